package dev.vbuf.cli;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.util.concurrent.TimeUnit;

/**
 * Hand-off latencies of one consumer group, in nanoseconds. The reader thread calls
 * {@link #record(long)} (wait-free, allocation-free: an HdrHistogram {@link Recorder} with a
 * fixed range); the main thread calls {@link #interval()} once a second for the status line
 * and {@link #total()} at the end. Values beyond 60 s are recorded as 60 s.
 */
final class LatencyStats {
    static final long HIGHEST_NANOS = TimeUnit.SECONDS.toNanos(60);
    private static final int DIGITS = 3;

    private final Recorder recorder = new Recorder(HIGHEST_NANOS, DIGITS);
    private final Histogram total = new Histogram(HIGHEST_NANOS, DIGITS);
    private Histogram interval;

    /** Records one latency (reader thread). */
    void record(long nanos) {
        recorder.recordValue(Math.max(0, Math.min(HIGHEST_NANOS, nanos)));
    }

    /** Latencies recorded since the previous call, also added to the total (main thread). */
    Histogram interval() {
        interval = recorder.getIntervalHistogram(interval);
        total.add(interval);
        return interval;
    }

    /** Every latency recorded so far (main thread; call after the reader has finished). */
    Histogram total() {
        interval();
        return total;
    }
}
