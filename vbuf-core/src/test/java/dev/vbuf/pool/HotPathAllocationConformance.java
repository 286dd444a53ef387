package dev.vbuf.pool;

import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hot path (acquireFree, submitFilled, acquireFilled, releaseFilled, metadata) allocates
 * nothing per frame: measured with the JVM's per-thread allocation counter over 200,000 round
 * trips after warm-up; usually exactly 0 bytes, once 88 bytes in all (a one-off, not per
 * frame). JMH with -prof gc gives 0 B/op, see docs/BENCHMARKS.md.
 */
abstract class HotPathAllocationConformance extends PoolConformance {
    @Test
    void roundTripAllocatesNothing() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (FramePool pool = builder().count(4).bufferSize(4096).groups("a", "b")
                .recordTimestamps(true).jmx(false).build()) {
            Consumer a = pool.consumer("a"), b = pool.consumer("b");
            long sink = 0;
            for (int i = 0; i < 50_000; i++) sink += roundTrip(pool, a, b);
            long tid = Thread.currentThread().threadId();
            long before = threads.getThreadAllocatedBytes(tid);
            for (int i = 0; i < 200_000; i++) sink += roundTrip(pool, a, b);
            long allocated = threads.getThreadAllocatedBytes(tid) - before;
            // Any allocation per round trip would be at least 16 bytes x 200,000 = 3.2 MB. A few
            // dozen bytes once (the counter's own bookkeeping, a JIT transition) are not per frame.
            assertTrue(allocated < 1024, allocated + " bytes allocated by 200,000 round trips ("
                    + (double) allocated / 200_000 + " B/op; sink " + sink + ")");
        }
    }

    private static long roundTrip(FramePool pool, Consumer a, Consumer b) {
        Frame f = pool.tryAcquireFree();
        f.captureTimeNs(1).pts(2).flags(Frame.FLAG_KEY_FRAME);
        f.submit();
        Frame x = a.tryAcquireFilled();
        Frame y = b.tryAcquireFilled();
        assertNotNull(y);
        long s = x.sequence() + y.pts();
        x.release();
        y.release();
        return s;
    }
}
