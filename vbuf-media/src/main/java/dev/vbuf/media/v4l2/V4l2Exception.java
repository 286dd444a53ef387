package dev.vbuf.media.v4l2;

import dev.vbuf.memory.BufferException;

/** A V4L2 device refused, is missing, or answered in a way vbuf cannot use. The message names the device and what to do. */
public final class V4l2Exception extends BufferException {
    public V4l2Exception(String message) { super(message); }
    public V4l2Exception(String message, Throwable cause) { super(message, cause); }
}
