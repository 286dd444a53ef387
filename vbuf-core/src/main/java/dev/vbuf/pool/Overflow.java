package dev.vbuf.pool;

/**
 * What {@code acquireFree} does when no buffer is free.
 * Every frame taken back from the consumers is counted as a drop for each consumer group that
 * had not yet released it. A frame a consumer holds is never taken back.
 */
public enum Overflow {
    /** Wait for a buffer to come back, up to the timeout; then return {@code null} (a timeout). */
    BLOCK,
    /** Return {@code null} at once (counted as a fail). */
    FAIL,
    /**
     * Take back the oldest queued frame that no consumer holds (lowest sequence number) and
     * give it to the producer: live video keeps flowing, slow groups lose their oldest frames.
     * When every filled frame is held, wait like BLOCK.
     */
    DROP_OLDEST,
    /**
     * The adaptive rule: when the pool is dry and the HOT ratio (frames being filled or
     * read / all frames) exceeds 0.8, take back the least recently used WARM frame (queued,
     * not held: the oldest submitted); otherwise wait for the first COLD frame (the first one
     * returned to the free ring), as BLOCK, re-evaluating the ratio while waiting.
     */
    ADAPTIVE;

    /** The HOT ratio above which ADAPTIVE reclaims a WARM frame. */
    public static final double ADAPTIVE_HOT_RATIO = 0.8;
}
