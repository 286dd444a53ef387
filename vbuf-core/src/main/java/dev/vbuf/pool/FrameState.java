package dev.vbuf.pool;

/**
 * The state of a frame buffer. The legal cycle is
 * IDLE &rarr; LOCKED_BY_PRODUCER &rarr; READY_FOR_CONSUME &rarr; LOCKED_BY_CONSUMER &rarr; IDLE;
 * a producer may also abort (LOCKED_BY_PRODUCER &rarr; IDLE), and a frame fanned out to several
 * consumer groups stays READY_FOR_CONSUME / LOCKED_BY_CONSUMER until the last group releases it.
 * RETIRED marks an external buffer whose owner freed it: the pool never hands it out again.
 *
 * <p>A producer that keeps a reference to what it published (a decoder keeping a picture as a
 * reference for the pictures that follow: {@link FramePool#submitKeepingReference}) is one more
 * holder of the buffer. While consumer groups still have it the state is READY_FOR_CONSUME or
 * LOCKED_BY_CONSUMER as usual; once every group released it and the reference is still kept,
 * it is HELD_BY_DECODER; it is IDLE again only when both are done.
 */
public enum FrameState {
    IDLE(Bank.COLD),
    LOCKED_BY_PRODUCER(Bank.HOT),
    READY_FOR_CONSUME(Bank.WARM),
    LOCKED_BY_CONSUMER(Bank.HOT),
    RETIRED(Bank.NONE),
    /** Every consumer group released it; the producer's reference (a decoder's reference picture) still holds it. */
    HELD_BY_DECODER(Bank.HOT);

    /** The three banks: HOT being processed, WARM queued, COLD reusable. */
    public enum Bank { HOT, WARM, COLD, NONE }

    private final Bank bank;

    FrameState(Bank bank) { this.bank = bank; }

    public Bank bank() { return bank; }
}
