package dev.vbuf.sizing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

class PoolSizerPropertyTest {

    private static Duration micros(long us) {
        return Duration.ofNanos(us * 1000);
    }

    @Property
    void monotonicInFps(@ForAll @IntRange(min = 1, max = 999_000) int millihertz,
                        @ForAll @IntRange(min = 1, max = 1000) int delta,
                        @ForAll @LongRange(min = 1, max = 2_000_000) long latencyUs,
                        @ForAll @LongRange(min = 0, max = 100_000) long transferUs,
                        @ForAll @LongRange(min = 0, max = 100_000) long decodeUs) {
        double lo = millihertz / 1000.0;
        double hi = (millihertz + delta) / 1000.0;
        PoolPlan a = PoolSizer.plan(lo, micros(latencyUs), micros(transferUs), micros(decodeUs), 1);
        PoolPlan b = PoolSizer.plan(hi, micros(latencyUs), micros(transferUs), micros(decodeUs), 1);
        assertTrue(a.base() <= b.base());
        assertTrue(a.safety() <= b.safety());
        assertTrue(a.frames() <= b.frames());
    }

    @Property
    void monotonicInLatencies(@ForAll @IntRange(min = 1, max = 1000) int fps,
                              @ForAll @LongRange(min = 1, max = 1_000_000) long latencyUs,
                              @ForAll @LongRange(min = 0, max = 1_000_000) long extraUs,
                              @ForAll @LongRange(min = 0, max = 100_000) long transferUs,
                              @ForAll @LongRange(min = 0, max = 100_000) long decodeUs) {
        PoolPlan a = PoolSizer.plan(fps, micros(latencyUs), micros(transferUs), micros(decodeUs), 1);
        PoolPlan b = PoolSizer.plan(fps, micros(latencyUs + extraUs), micros(transferUs + extraUs), micros(decodeUs), 1);
        assertTrue(a.base() <= b.base());
        assertTrue(a.safety() <= b.safety());
        assertTrue(a.frames() <= b.frames());
    }

    /** For integer fps and whole microseconds the exact answer is an integer ceiling division. */
    @Property
    void matchesIntegerArithmetic(@ForAll @IntRange(min = 1, max = 1000) int fps,
                                  @ForAll @LongRange(min = 1, max = 60_000_000) long latencyUs,
                                  @ForAll @LongRange(min = 0, max = 1_000_000) long transferUs,
                                  @ForAll @LongRange(min = 0, max = 1_000_000) long decodeUs,
                                  @ForAll @LongRange(min = 1, max = 1L << 32) long bytes,
                                  @ForAll @IntRange(min = 0, max = 1000) int min) {
        PoolPlan p = PoolSizer.plan(fps, micros(latencyUs), micros(transferUs), micros(decodeUs), bytes, min);
        assertEquals(Math.ceilDiv(fps * latencyUs, 1_000_000L), p.base());
        assertEquals(Math.ceilDiv(fps * 2 * (transferUs + decodeUs), 1_000_000L), p.safety());
        assertEquals(Math.max(min, p.base() + p.safety() + 1), p.frames());
        assertTrue(p.frames() >= min, "never below the minimum");
        assertTrue(p.frames() >= 2, "at least one in flight plus the producer's");
        assertEquals(p.frames() * bytes, p.totalBytes());
    }

    /** Decimal frame rates (e.g. 59.94, 23.976) are taken at their printed decimal value. */
    @Property
    void decimalFpsIsExact(@ForAll @IntRange(min = 1, max = 1_000_000) int millihertz,
                           @ForAll @LongRange(min = 1, max = 10_000_000) long latencyUs) {
        double fps = millihertz / 1000.0;
        BigDecimal expected = new BigDecimal(millihertz).multiply(new BigDecimal(latencyUs))
                .divide(new BigDecimal(1_000_000_000L), 0, RoundingMode.CEILING);
        assertEquals(expected.intValueExact(), PoolSizer.plan(fps, micros(latencyUs), Duration.ZERO, Duration.ZERO, 1).base());
    }

    @Property
    void workingMentionsEveryNumber(@ForAll @IntRange(min = 1, max = 1000) int fps,
                                    @ForAll @LongRange(min = 1, max = 100_000) long latencyUs) {
        PoolPlan p = PoolSizer.plan(fps, micros(latencyUs), Duration.ofMillis(2), Duration.ofMillis(3), 4096);
        String w = p.working();
        assertTrue(w.contains("= " + p.base() + " frame"), w);
        assertTrue(w.contains("= " + p.safety() + " frame"), w);
        assertTrue(w.contains("= " + p.frames() + " frame"), w);
    }
}
