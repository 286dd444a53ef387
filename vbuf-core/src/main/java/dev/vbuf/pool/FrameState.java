package dev.vbuf.pool;

/**
 * The state of a frame buffer. The legal cycle is
 * IDLE &rarr; LOCKED_BY_PRODUCER &rarr; READY_FOR_CONSUME &rarr; LOCKED_BY_CONSUMER &rarr; IDLE;
 * a producer may also abort (LOCKED_BY_PRODUCER &rarr; IDLE), and a frame fanned out to several
 * consumer groups stays READY_FOR_CONSUME / LOCKED_BY_CONSUMER until the last group releases it.
 * RETIRED marks an external buffer whose owner freed it: the pool never hands it out again.
 */
public enum FrameState {
    IDLE(Bank.COLD),
    LOCKED_BY_PRODUCER(Bank.HOT),
    READY_FOR_CONSUME(Bank.WARM),
    LOCKED_BY_CONSUMER(Bank.HOT),
    RETIRED(Bank.NONE);

    /** The three banks: HOT being processed, WARM queued, COLD reusable. */
    public enum Bank { HOT, WARM, COLD, NONE }

    private final Bank bank;

    FrameState(Bank bank) { this.bank = bank; }

    public Bank bank() { return bank; }
}
