package dev.vbuf.media;

import java.io.IOException;

/**
 * Opens sinks of one kind. {@link Media#openSink} finds the providers with
 * {@link java.util.ServiceLoader} and asks them in turn: list an implementation in
 * {@code META-INF/services/dev.vbuf.media.SinkProvider} (class path) and in its module's
 * {@code provides dev.vbuf.media.SinkProvider with ...} (module path). Implementations need a
 * public no-argument constructor.
 */
public interface SinkProvider {
    /**
     * True when this provider handles the output.
     *
     * @param output the output name ("null", "checksum", "x.y4m", "/dev/fb0" ...)
     * @return whether {@link #open} should be called with it
     */
    boolean accepts(String output);

    /**
     * True for a provider that tries any file name (FFmpeg): it is asked after every other one.
     *
     * @return false unless this provider is the catch-all
     */
    default boolean fallback() {
        return false;
    }

    /**
     * Opens the sink.
     *
     * @param output   the output as the user named it
     * @param counters shared counters (bytes written, copies)
     * @return the opened sink
     * @throws IOException when the output cannot be opened
     */
    Sink open(String output, MediaCounters counters) throws IOException;
}
