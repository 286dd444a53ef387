package dev.vbuf.pool;

import dev.vbuf.stats.GroupStats;
import dev.vbuf.stats.PoolStats;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Several producer threads and several consumer threads in several groups, under every
 * overflow policy. Every frame carries (producer, counter) and a checksum of its bytes; every
 * consumer checks the checksum when it takes a frame and again just before it releases it (a
 * frame reclaimed or rewritten while held would fail the second check). At the end, for every
 * group: no sequence number delivered twice, taken + dropped == published, and under BLOCK and
 * FAIL every frame reached every group.
 *
 * <p>Frames per producer: {@code -Dvbuf.stress.frames} (default 20000); the long run in
 * docs/TESTING.md uses millions.
 */
@org.junit.jupiter.api.Timeout(value = 10, unit = java.util.concurrent.TimeUnit.MINUTES) // a hang fails, never blocks CI
abstract class PoolStressConformance extends PoolConformance {
    static final int PRODUCERS = 2;
    static final int CONSUMERS_PER_GROUP = 2;
    static final String[] GROUPS = {"fast", "also-fast", "slow"};
    static final int BUFFER = 4096;
    static final long FRAMES = Long.getLong("vbuf.stress.frames", 20_000);

    /** Frames per producer on this backing. */
    long frames() { return FRAMES; }

    /** Producer threads: one where the suite runs the single-writer path. */
    int producers() { return singleWriter() ? 1 : PRODUCERS; }

    /** Consumer threads per group: one where the suite runs the single-writer path. */
    int consumersPerGroup() { return singleWriter() ? 1 : CONSUMERS_PER_GROUP; }

    @ParameterizedTest
    @EnumSource(Overflow.class)
    void nothingLostDuplicatedOrTorn(Overflow policy) throws Exception {
        try (FramePool pool = builder().count(8).bufferSize(BUFFER).groups(GROUPS).overflow(policy)
                .waitStrategy(WaitStrategy.spinYield()).jmx(false).build()) {
            var failures = new ConcurrentLinkedQueue<String>();
            var producersDone = new AtomicBoolean();
            var refused = new AtomicLong();
            // seen[g] bit i = sequence i delivered to group g
            BitSet[] seen = new BitSet[GROUPS.length];
            for (int g = 0; g < GROUPS.length; g++) seen[g] = new BitSet();

            List<Thread> consumers = new ArrayList<>();
            for (int g = 0; g < GROUPS.length; g++) {
                final int group = g;
                for (int c = 0; c < consumersPerGroup(); c++) {
                    Consumer consumer = pool.consumer(GROUPS[g]);
                    consumers.add(Thread.ofPlatform().name("c-" + GROUPS[g] + "-" + c).start(() -> {
                        long n = 0;
                        while (true) {
                            Frame f = consumer.acquireFilled(Duration.ofMillis(20));
                            if (f == null) {
                                if (producersDone.get() && consumer.lag() == 0) return;
                                continue;
                            }
                            try {
                                String bad = check(f.segment());
                                if (bad != null) failures.add(GROUPS[group] + " at take: " + bad);
                                long seq = f.sequence();
                                synchronized (seen[group]) {
                                    if (seen[group].get((int) seq)) failures.add(GROUPS[group] + ": sequence " + seq + " twice");
                                    seen[group].set((int) seq);
                                }
                                if (group == 2 && (++n & 63) == 0) Thread.sleep(1); // the slow group
                                bad = check(f.segment());
                                if (bad != null) failures.add(GROUPS[group] + " before release (frame changed while held): " + bad);
                            } catch (InterruptedException e) {
                                return;
                            } finally {
                                f.close();
                            }
                        }
                    }));
                }
            }
            List<Thread> producers = new ArrayList<>();
            for (int p = 0; p < producers(); p++) {
                final long id = p;
                producers.add(Thread.ofPlatform().name("p-" + p).start(() -> {
                    for (long i = 0; i < frames(); i++) {
                        Frame f;
                        while ((f = pool.acquireFree(Duration.ofMillis(50))) == null) {
                            refused.incrementAndGet();
                            if (policy == Overflow.FAIL) Thread.onSpinWait();
                        }
                        fill(f.segment(), (id << 48) | i);
                        f.submit();
                    }
                }));
            }
            for (Thread t : producers) t.join();
            producersDone.set(true);
            for (Thread t : consumers) t.join();

            assertTrue(failures.isEmpty(), () -> failures.size() + " failures, first: " + failures.peek());
            PoolStats s = pool.stats();
            long published = producers() * frames();
            assertEquals(published, s.published());
            for (int g = 0; g < GROUPS.length; g++) {
                GroupStats gs = s.groups().get(g);
                assertEquals(published, gs.taken() + gs.dropped(), gs.toString());
                assertEquals(gs.taken(), seen[g].cardinality(), gs.toString());
                if (policy == Overflow.BLOCK || policy == Overflow.FAIL) {
                    assertEquals(0, gs.dropped(), gs.toString());
                    assertEquals(published, seen[g].nextClearBit(0), "every sequence reached " + gs.name());
                }
            }
            if (policy == Overflow.DROP_OLDEST) {
                // unpaced producers outrun six checking consumers: the reclaim path must have run
                assertTrue(s.reclaims() > 0, s.toString());
            }
            assertEquals(8, s.idle(), s.toString());
            assertTrue(pool.validateAllBuffers());
        }
    }

    /** Writes the frame's identity, a pattern derived from it and a checksum of both. */
    static void fill(MemorySegment seg, long ident) {
        seg.set(ValueLayout.JAVA_LONG, 0, ident);
        long x = ident * 0x9E3779B97F4A7C15L + 1;
        long sum = ident;
        for (long off = 8; off < BUFFER - 8; off += 8) {
            x ^= x << 13; x ^= x >>> 7; x ^= x << 17;
            seg.set(ValueLayout.JAVA_LONG, off, x);
            sum = sum * 31 + x;
        }
        seg.set(ValueLayout.JAVA_LONG, BUFFER - 8, sum);
    }

    /** @return null when the frame is whole, else what is wrong. */
    static String check(MemorySegment seg) {
        long ident = seg.get(ValueLayout.JAVA_LONG, 0);
        long x = ident * 0x9E3779B97F4A7C15L + 1;
        long sum = ident;
        for (long off = 8; off < BUFFER - 8; off += 8) {
            x ^= x << 13; x ^= x >>> 7; x ^= x << 17;
            long v = seg.get(ValueLayout.JAVA_LONG, off);
            if (v != x) return "frame " + Long.toHexString(ident) + " torn at byte " + off;
            sum = sum * 31 + v;
        }
        long stored = seg.get(ValueLayout.JAVA_LONG, BUFFER - 8);
        return stored == sum ? null : "frame " + Long.toHexString(ident) + " checksum mismatch";
    }
}
