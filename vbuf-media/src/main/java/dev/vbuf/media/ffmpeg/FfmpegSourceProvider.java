package dev.vbuf.media.ffmpeg;

import dev.vbuf.media.Source;
import dev.vbuf.media.SourceOptions;
import dev.vbuf.media.SourceProvider;

import java.io.IOException;

/** Anything else: FFmpeg decides whether it can open it. */
public final class FfmpegSourceProvider implements SourceProvider {
    @Override
    public boolean accepts(String input) {
        return true;
    }

    @Override
    public Source open(String input, SourceOptions options) throws IOException {
        return new FfmpegSource(input);
    }
}
