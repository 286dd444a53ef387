package dev.vbuf.media.ffmpeg;

import dev.vbuf.media.Source;
import dev.vbuf.media.SourceOptions;
import dev.vbuf.media.SourceProvider;

import java.io.IOException;

/** Anything vbuf-media's own sources do not take: FFmpeg decides whether it can open it. */
public final class FfmpegSourceProvider implements SourceProvider {
    /** Called by {@link java.util.ServiceLoader}. */
    public FfmpegSourceProvider() {}

    @Override
    public boolean accepts(String input) {
        return true;
    }

    @Override
    public boolean fallback() {
        return true;
    }

    @Override
    public Source open(String input, SourceOptions options) throws IOException {
        return new FfmpegSource(input, options.loop(), options.convert()).allowTruncated(options.allowTruncated());
    }
}
