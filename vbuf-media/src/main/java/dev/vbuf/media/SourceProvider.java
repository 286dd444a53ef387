package dev.vbuf.media;

import java.io.IOException;

/**
 * Opens sources of one kind. {@link Media#openSource} asks the providers in turn; the device
 * providers ({@code dev.vbuf.media.v4l2.V4l2SourceProvider} for {@code /dev/videoN}) are found
 * by class name, so a build without them says so clearly instead of failing to compile.
 * Implementations need a public no-argument constructor.
 */
public interface SourceProvider {
    /** True when this provider handles the input (by name: "/dev/video0", "clip.y4m" ...). */
    boolean accepts(String input);

    /** Opens the input; errors name it. */
    Source open(String input, SourceOptions options) throws IOException;
}
