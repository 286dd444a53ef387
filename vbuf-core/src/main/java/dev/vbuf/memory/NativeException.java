package dev.vbuf.memory;

/**
 * A system call failed. The message names the call, its arguments, errno with its name and
 * the system's text for it, and (where the caller gave one) what to do.
 */
public final class NativeException extends BufferException {
    private final String call;
    private final int errno;

    public NativeException(String call, int errno, String message) {
        super(message);
        this.call = call;
        this.errno = errno;
    }

    /** The failing call, e.g. "mlock". */
    public String call() { return call; }

    /** errno as the call left it. */
    public int errno() { return errno; }
}
