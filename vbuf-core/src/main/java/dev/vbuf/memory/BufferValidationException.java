package dev.vbuf.memory;

/** A buffer failed validation: wrong size, alignment, or a descriptor that does not check out. */
public class BufferValidationException extends BufferException {
    public BufferValidationException(String message) { super(message); }
    public BufferValidationException(String message, Throwable cause) { super(message, cause); }
}
