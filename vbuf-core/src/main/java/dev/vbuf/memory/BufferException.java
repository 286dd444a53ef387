package dev.vbuf.memory;

/** Base of vbuf's resource failures (seed 001's BufferException family): each message says what was asked, what the system had, and what to do. */
public class BufferException extends RuntimeException {
    public BufferException(String message) { super(message); }
    public BufferException(String message, Throwable cause) { super(message, cause); }
}
