package dev.vbuf.media;

import org.HdrHistogram.Recorder;

import java.util.concurrent.atomic.LongAdder;

/**
 * Counters a source and its sinks share with the pipeline, safe to update from any thread
 * without locks or allocation ({@link LongAdder}s and HdrHistogram {@link Recorder}s, whose
 * {@code recordValue} is wait-free), plus the pipeline's stop request.
 *
 * <p>{@link #copies} is the honesty counter of the zero-copy claim: every time pixel data is
 * copied by the CPU on its way into or out of a pool buffer (a decoder that refuses custom
 * buffers, an unaligned direct-I/O tail, a packed-to-planar conversion), the code that copies
 * adds one. The reads the kernel does into a pool buffer (read, O_DIRECT, io_uring) and the
 * decoder writing its output planes in place are not copies.
 */
public final class MediaCounters {
    /** Pictures submitted into the pool by the source. */
    public final LongAdder frames = new LongAdder();
    /** Bytes read from the input (file bytes, compressed bytes for a decoder). */
    public final LongAdder bytesIn = new LongAdder();
    /** CPU copies of pixel data made on the way through (0 on zero-copy paths). */
    public final LongAdder copies = new LongAdder();
    /** Pictures the source had to skip (no free buffer under the FAIL policy, a device drop). */
    public final LongAdder sourceDrops = new LongAdder();
    /** Frames the sinks finished with. */
    public final LongAdder sinkFrames = new LongAdder();
    /** Bytes the sinks wrote. */
    public final LongAdder bytesOut = new LongAdder();
    /** Warnings the run let through (a truncated input with --allow-truncated); the first one's text in {@link #firstWarning}. */
    public final LongAdder warnings = new LongAdder();
    private volatile String firstWarning;

    /** Counts a warning; the first one's text is kept for the summary. */
    public void warn(String text) {
        if (firstWarning == null) firstWarning = text;
        warnings.increment();
    }

    /** The first warning's text, or null. */
    public String firstWarning() {
        return firstWarning;
    }
    /** Nanoseconds per picture spent producing it (read, decode, capture wait), up to 60 s. */
    public final Recorder produceNanos = new Recorder(60_000_000_000L, 3);

    private volatile boolean stop;
    private final long maxFrames;

    /** @param maxFrames stop after this many pictures (-1: no limit, the input's own end) */
    public MediaCounters(long maxFrames) {
        this.maxFrames = maxFrames;
    }

    public MediaCounters() {
        this(-1);
    }

    /** Pictures the source should produce at most, -1 for no limit. */
    public long maxFrames() {
        return maxFrames;
    }

    /** Asks the source to return from {@code produce} soon. */
    public void requestStop() {
        stop = true;
    }

    /** True once a stop was requested. Sources poll this between pictures. */
    public boolean stopRequested() {
        return stop;
    }

    /**
     * Claims the next picture number for a producer thread, or -1 when the frame limit is
     * reached or a stop was requested. Thread-safe; pictures are numbered in claim order.
     */
    public long claim() {
        if (stop) return -1;
        long n = claimed.getAndIncrement();
        if (maxFrames >= 0 && n >= maxFrames) return -1;
        return n;
    }

    private final java.util.concurrent.atomic.AtomicLong claimed = new java.util.concurrent.atomic.AtomicLong();
}
