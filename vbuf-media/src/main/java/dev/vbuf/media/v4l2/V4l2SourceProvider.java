package dev.vbuf.media.v4l2;

import dev.vbuf.media.Source;
import dev.vbuf.media.SourceOptions;
import dev.vbuf.media.SourceProvider;

import java.io.IOException;

/** Opens {@code /dev/videoN} inputs as {@link V4l2Source}s (found by {@code Media} by class name). */
public final class V4l2SourceProvider implements SourceProvider {
    public V4l2SourceProvider() {}

    @Override
    public boolean accepts(String input) {
        return input != null && input.startsWith("/dev/video");
    }

    @Override
    public Source open(String input, SourceOptions options) throws IOException {
        return new V4l2Source(input, options);
    }
}
