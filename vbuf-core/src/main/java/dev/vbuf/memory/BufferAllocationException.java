package dev.vbuf.memory;

/** Memory for buffers could not be obtained; nothing stays allocated after it is thrown. */
public class BufferAllocationException extends BufferException {
    public BufferAllocationException(String message) { super(message); }
    public BufferAllocationException(String message, Throwable cause) { super(message, cause); }
}
