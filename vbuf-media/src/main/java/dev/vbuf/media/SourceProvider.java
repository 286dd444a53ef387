package dev.vbuf.media;

import java.io.IOException;

/**
 * Opens sources of one kind. {@link Media#openSource} finds the providers with
 * {@link java.util.ServiceLoader} and asks them in turn: list an implementation in
 * {@code META-INF/services/dev.vbuf.media.SourceProvider} (class path) and in its module's
 * {@code provides dev.vbuf.media.SourceProvider with ...} (module path). Implementations need a
 * public no-argument constructor.
 */
public interface SourceProvider {
    /**
     * True when this provider handles the input.
     *
     * @param input the input as the user named it ("/dev/video0", "clip.y4m" ...)
     * @return whether {@link #open} should be called with it
     */
    boolean accepts(String input);

    /**
     * True for a provider that tries any name (FFmpeg): it is asked after every other one.
     *
     * @return false unless this provider is the catch-all
     */
    default boolean fallback() {
        return false;
    }

    /**
     * Opens the input; errors name it.
     *
     * @param input   the input as the user named it
     * @param options size, format, rate and reader options
     * @return the opened source
     * @throws IOException when the input cannot be opened or is not what it claims to be
     */
    Source open(String input, SourceOptions options) throws IOException;
}
