package dev.vbuf.pool;

/**
 * A {@link Frame} handle was used after it was released, submitted or aborted, or after the
 * pool reclaimed or reused its buffer: the handle's generation no longer matches the slot.
 */
public final class StaleFrameException extends FrameStateException {
    public StaleFrameException(String operation, int frameId, long generation, FrameState actual, FrameState expected,
                               String detail) {
        super(operation, frameId, generation, actual, expected, detail);
    }
}
