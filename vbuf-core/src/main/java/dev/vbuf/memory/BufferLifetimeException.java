package dev.vbuf.memory;

/** An external buffer was used after its owner freed it. */
public class BufferLifetimeException extends BufferException {
    public BufferLifetimeException(String message) { super(message); }
    public BufferLifetimeException(String message, Throwable cause) { super(message, cause); }
}
