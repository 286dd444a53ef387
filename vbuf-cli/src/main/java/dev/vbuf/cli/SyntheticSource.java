package dev.vbuf.cli;

import dev.vbuf.format.TestPattern;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import dev.vbuf.pool.Overflow;

import java.util.concurrent.locks.LockSupport;

/**
 * The producer thread of {@code vbuf run}: a synthetic camera that writes the moving test
 * pattern into pool buffers at a fixed rate.
 *
 * <p>Frame {@code i} is due at {@code start + i / fps} (absolute deadlines, so the rate does not
 * drift; a producer held up by a full pool catches up as fast as the pool lets it). At each tick
 * it acquires a buffer under the run's overflow policy, writes the pattern for the sequence
 * number the pool will give the frame, and submits it. The pool numbers frames at submit, from
 * 0; with this single producer thread the next number is the count of frames submitted so far,
 * and the verifying groups detect any mismatch.
 *
 * <p>The run ends after {@code ticks} ticks, or, when {@code ticks} is -1, with the first tick
 * at or after {@code durationNanos}. The last frame carries {@link Frame#FLAG_END_OF_STREAM};
 * it is never skipped (under FAIL it waits for a buffer like BLOCK), so every group sees the end.
 * A tick whose buffer FAIL refused is skipped and counted ({@link #skipped}).
 *
 * <p>The rate achieved is {@link #fps()}: frames submitted over the time they took, measured
 * from submit to submit.
 */
final class SyntheticSource implements Runnable {
    private final FramePool pool;
    private final TestPattern pattern;
    private final Overflow policy;
    private final long periodNanos;
    private final long ticks;
    private final long durationNanos;

    volatile long submitted;
    volatile long skipped;
    long startNanos;
    long endNanos;
    long firstSubmitNanos;
    long lastSubmitNanos;
    volatile Throwable error;
    boolean interrupted;

    /**
     * @param periodNanos   time between frames, 0 for as fast as possible
     * @param ticks         frames to generate, or -1 to run for {@code durationNanos}
     * @param durationNanos how long to run when {@code ticks} is -1
     */
    SyntheticSource(FramePool pool, TestPattern pattern, Overflow policy, long periodNanos, long ticks, long durationNanos) {
        this.pool = pool;
        this.pattern = pattern;
        this.policy = policy;
        this.periodNanos = periodNanos;
        this.ticks = ticks;
        this.durationNanos = durationNanos;
    }

    @Override
    public void run() {
        startNanos = System.nanoTime();
        try {
            produce();
        } catch (Throwable t) {
            error = t;
        } finally {
            endNanos = System.nanoTime();
        }
    }

    private void produce() {
        long count = 0;
        for (long tick = 0; ; tick++) {
            if (periodNanos > 0 && !sleepUntil(startNanos + tick * periodNanos)) return;
            boolean last = ticks >= 0 ? tick == ticks - 1 : System.nanoTime() - startNanos >= durationNanos;
            Overflow p = last && policy == Overflow.FAIL ? Overflow.BLOCK : policy;
            Frame f = pool.acquireFree(p, p == Overflow.FAIL ? 0 : Long.MAX_VALUE);
            if (f == null) {
                if (p == Overflow.FAIL) {
                    skipped++;
                    continue;
                }
                interrupted = true; // interrupted or the pool closed: the run is being stopped
                return;
            }
            long seq = count;
            pattern.write(f.segment(), seq);
            f.captureTimeNs(System.nanoTime()).pts(seq).flags(last ? Frame.FLAG_END_OF_STREAM : 0);
            f.submit();
            lastSubmitNanos = System.nanoTime();
            if (count == 0) firstSubmitNanos = lastSubmitNanos;
            submitted = ++count;
            if (last) return;
        }
    }

    /** Frames per second from the first submit to the last: (n - 1) intervals over their span. */
    double fps() {
        long n = submitted;
        long span = lastSubmitNanos - firstSubmitNanos;
        return n < 2 || span <= 0 ? 0 : (n - 1) * 1e9 / span;
    }

    /** Parks until {@code deadline}; false when interrupted. */
    private boolean sleepUntil(long deadline) {
        for (long left = deadline - System.nanoTime(); left > 0; left = deadline - System.nanoTime()) {
            LockSupport.parkNanos(left);
            if (Thread.currentThread().isInterrupted()) {
                interrupted = true;
                return false;
            }
        }
        return true;
    }
}
