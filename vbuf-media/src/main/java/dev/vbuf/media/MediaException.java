package dev.vbuf.media;

import java.io.IOException;

/**
 * Bad input: a file that is truncated, lies about its size, or holds something vbuf does not
 * read. The message names the input, the frame number and the byte offset where they are
 * known, and says what would be accepted.
 */
public class MediaException extends IOException {
    private final String input;
    private final long frame;
    private final long offset;

    /**
     * @param input  the file or device, as the user named it
     * @param frame  0-based picture number, -1 when the problem is not in a picture (a header)
     * @param offset byte offset in the input, -1 when unknown
     * @param what   what is wrong and what to do
     */
    public MediaException(String input, long frame, long offset, String what) {
        super(input + (frame >= 0 ? ": frame " + frame : "") + (offset >= 0 ? " at byte offset " + offset : "")
                + ": " + what);
        this.input = input;
        this.frame = frame;
        this.offset = offset;
    }

    public MediaException(String input, long frame, long offset, String what, Throwable cause) {
        this(input, frame, offset, what);
        initCause(cause);
    }

    public String input() { return input; }
    public long frame() { return frame; }
    public long offset() { return offset; }
}
