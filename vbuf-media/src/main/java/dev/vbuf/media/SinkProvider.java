package dev.vbuf.media;

import java.io.IOException;

/**
 * Opens sinks of one kind. {@link Media#openSink} asks the providers in turn; the framebuffer
 * provider ({@code dev.vbuf.media.fb.FramebufferSinkProvider} for {@code /dev/fbN}) is found by
 * class name. Implementations need a public no-argument constructor.
 */
public interface SinkProvider {
    /** True when this provider handles the output name ("null", "checksum", "x.y4m", "/dev/fb0" ...). */
    boolean accepts(String output);

    /**
     * Opens the sink.
     *
     * @param output   the output as the user named it
     * @param counters shared counters (bytes written, copies)
     */
    Sink open(String output, MediaCounters counters) throws IOException;
}
