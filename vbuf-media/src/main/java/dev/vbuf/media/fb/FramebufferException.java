package dev.vbuf.media.fb;

import dev.vbuf.memory.BufferException;

/** A framebuffer device is missing, refused, or answered in a way vbuf cannot use; the message names it and what to do. */
public final class FramebufferException extends BufferException {
    public FramebufferException(String message) { super(message); }
    public FramebufferException(String message, Throwable cause) { super(message, cause); }
}
