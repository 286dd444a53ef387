package dev.vbuf.net;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A log-linear histogram of nanosecond latencies (16 sub-buckets per power of two, so a
 * percentile is within 1/16 = 6.25% of the recorded value): recorded by one thread without
 * allocation, read by any.
 */
public final class Latency {
    private static final int SUB_BITS = 4;
    private static final int SUB = 1 << SUB_BITS;
    private final AtomicLongArray counts = new AtomicLongArray(64 * SUB);
    private final AtomicLongArray total = new AtomicLongArray(1);

    static int bucket(long v) {
        if (v < SUB) return (int) Math.max(v, 0);
        int e = 63 - Long.numberOfLeadingZeros(v);          // v in [2^e, 2^(e+1))
        int sub = (int) (v >>> (e - SUB_BITS)) & (SUB - 1); // next 4 bits below the top one
        return (e - SUB_BITS + 1) * SUB + sub;
    }

    /** The largest value that falls in bucket {@code b}. */
    static long upper(int b) {
        if (b < SUB) return b;
        int e = b / SUB + SUB_BITS - 1;
        long sub = b % SUB;
        long low = (1L << e) + (sub << (e - SUB_BITS));
        return low + (1L << (e - SUB_BITS)) - 1;
    }

    /** Records one value in nanoseconds (writer thread only); negative values count as 0. */
    void record(long nanos) {
        int b = bucket(nanos);
        counts.setRelease(b, counts.getPlain(b) + 1);
        total.setRelease(0, total.getPlain(0) + 1);
    }

    /** Values recorded. */
    public long count() { return total.getAcquire(0); }

    /**
     * The value at a percentile, in nanoseconds (the upper edge of its bucket); 0 when nothing
     * was recorded.
     *
     * @param percentile 0..100
     */
    public long valueAt(double percentile) {
        long n = count();
        if (n == 0) return 0;
        long rank = Math.max(1, (long) Math.ceil(percentile / 100.0 * n));
        long seen = 0;
        for (int b = 0; b < counts.length(); b++) {
            seen += counts.getAcquire(b);
            if (seen >= rank) return upper(b);
        }
        return upper(counts.length() - 1);
    }
}
