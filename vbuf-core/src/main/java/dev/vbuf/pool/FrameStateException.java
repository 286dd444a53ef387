package dev.vbuf.pool;

/**
 * An operation was asked of a frame in a state that does not allow it: double release,
 * release of a frame never acquired, submit by a consumer, use of a handle after release.
 * The message names the frame id, its generation, its state and the state the operation
 * expected.
 */
public class FrameStateException extends IllegalStateException {
    private final int frameId;
    private final FrameState actual;
    private final FrameState expected;

    public FrameStateException(String operation, int frameId, long generation, FrameState actual, FrameState expected,
                               String detail) {
        super(operation + ": frame " + frameId + " (generation " + generation + ") is " + actual
                + ", expected " + expected + (detail == null || detail.isEmpty() ? "" : "; " + detail));
        this.frameId = frameId;
        this.actual = actual;
        this.expected = expected;
    }

    public int frameId() { return frameId; }
    public FrameState actual() { return actual; }
    public FrameState expected() { return expected; }
}
