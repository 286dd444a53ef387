package dev.vbuf.sizing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PoolSizerTest {

    private static Duration ms(String s) {
        return Durations.parse(s + "ms");
    }

    /** The 8K@120 example of seed 000, done right: 2 + 2 (+ 1 producer), not 192 + 10. */
    @Test
    void seedExample8k120() {
        long bytes = FrameLayout.of(PixelFormat.RGBA, 7680, 4320).frameBytes();
        assertEquals(132_710_400L, bytes);
        PoolPlan plan = PoolSizer.plan(120, ms("16"), ms("2"), ms("3"), bytes);
        assertEquals(2, plan.base());
        assertEquals(2, plan.safety());
        assertEquals(1, plan.producer());
        assertEquals(5, plan.frames());
        assertEquals(5 * 132_710_400L, plan.totalBytes());
        String w = plan.working();
        assertTrue(w.contains("ceil(120 frames/s x 0.016 s) = ceil(1.92 frames) = 2 frames"), w);
        assertTrue(w.contains("ceil(120 frames/s x 2 x (0.002 s + 0.003 s)) = ceil(120 frames/s x 0.01 s) = ceil(1.2 frames) = 2 frames"), w);
        assertTrue(w.contains("192") && w.contains("202"), "notes the seed's wrong example: " + w);
        assertTrue(w.contains("= 663,552,000 bytes"), w);
    }

    @Test
    void example4k60() {
        long bytes = FrameLayout.of(PixelFormat.NV12, 3840, 2160).frameBytes();
        PoolPlan plan = PoolSizer.plan(60, ms("16"), ms("2"), ms("3"), bytes);
        assertEquals(1, plan.base());
        assertEquals(1, plan.safety());
        assertEquals(3, plan.frames());
        assertEquals(3 * 12_441_600L, plan.totalBytes());
        assertTrue(plan.working().contains("ceil(0.96 frames) = 1 frame"), plan.working());
        assertTrue(plan.working().contains("is a time, not a number of frames") && !plan.working().contains("seed"), plan.working());
    }

    /** Products that are exact in decimal must not be pushed over the integer by binary floating point. */
    @ParameterizedTest
    @CsvSource({
            "60,    16,  1", "120,   16, 2", "50,    20,  1", "30,   100, 3", "25,    40,  1",
            "59.94, 16,  1", "1000, 1,   1", "0.5, 2000,  1", "100,   10, 1", "29.97, 1001, 30",
            "48,    62.5, 3", "24, 41.666, 1", "144,  6.25, 1", "240, 12.5, 3", "1000, 60000, 60000",
    })
    void baseIsExactCeiling(double fps, String latencyMs, int base) {
        PoolPlan plan = PoolSizer.plan(fps, ms(latencyMs), Duration.ZERO, Duration.ZERO, 1);
        assertEquals(base, plan.base());
        assertEquals(0, plan.safety());
        assertEquals(base + 1, plan.frames());
    }

    @ParameterizedTest
    @CsvSource({"120, 2, 3, 2", "60, 2, 3, 1", "100, 2.5, 2.5, 1", "100, 2.5, 2.51, 2", "50, 5, 5, 1", "1000, 0, 0, 0"})
    void safetyIsExactCeiling(double fps, String transfer, String decode, int safety) {
        assertEquals(safety, PoolSizer.plan(fps, ms("1"), ms(transfer), ms(decode), 1).safety());
    }

    @Test
    void minimumWins() {
        PoolPlan plan = PoolSizer.plan(60, ms("16"), ms("2"), ms("3"), 100, 8);
        assertEquals(8, plan.frames());
        assertEquals(800, plan.totalBytes());
        assertTrue(plan.toString().contains("minimum 8"), plan.toString());
        assertEquals(3, PoolSizer.plan(60, ms("16"), ms("2"), ms("3"), 100, 2).frames());
    }

    @Test
    void invalidInputsAreRejectedClearly() {
        Duration l = ms("16");
        assertMessage(() -> PoolSizer.plan(0, l, l, l, 1), "Frame rate 0.0", "greater than 0");
        assertMessage(() -> PoolSizer.plan(-5, l, l, l, 1), "Frame rate -5.0");
        assertMessage(() -> PoolSizer.plan(1000.5, l, l, l, 1), "at most 1000");
        assertMessage(() -> PoolSizer.plan(Double.NaN, l, l, l, 1), "NaN");
        assertMessage(() -> PoolSizer.plan(Double.POSITIVE_INFINITY, l, l, l, 1), "Infinity");
        assertMessage(() -> PoolSizer.plan(60, Duration.ZERO, l, l, 1), "Maximum latency 0 ms", "greater than 0");
        assertMessage(() -> PoolSizer.plan(60, Duration.ofSeconds(61), l, l, 1), "Maximum latency 61 s");
        assertMessage(() -> PoolSizer.plan(60, null, l, l, 1), "Maximum latency is missing");
        assertMessage(() -> PoolSizer.plan(60, l, Duration.ofMillis(-1), l, 1), "Transfer latency -1 ms", "between 0 and 60 s");
        assertMessage(() -> PoolSizer.plan(60, l, l, Duration.ofMinutes(2), 1), "Decode latency 120 s");
        assertMessage(() -> PoolSizer.plan(60, l, l, l, 0), "Bytes per frame 0", "at least 1");
        assertMessage(() -> PoolSizer.plan(60, l, l, l, 1, -1), "Minimum frames -1");
        assertMessage(() -> PoolSizer.plan(60, l, l, l, Long.MAX_VALUE / 2), "overflows");
    }

    @Test
    void planRecordChecksConsistency() {
        Duration l = ms("16");
        assertThrows(IllegalArgumentException.class, () -> new PoolPlan(60, l, l, l, 10, 0, 1, 1, 1, 4, 40));
        assertThrows(IllegalArgumentException.class, () -> new PoolPlan(60, l, l, l, 10, 0, 1, 1, 1, 3, 31));
        assertEquals(3, new PoolPlan(60, l, l, l, 10, 0, 1, 1, 1, 3, 30).poolSize());
    }

    @Test
    void parseDurationDelegates() {
        assertEquals(Duration.ofMillis(16), PoolSizer.parseDuration("16ms"));
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable call, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + p + "' not in: " + e.getMessage());
        }
    }
}
