package dev.vbuf.media.file;

import dev.vbuf.media.Source;
import dev.vbuf.media.SourceOptions;
import dev.vbuf.media.SourceProvider;

import java.io.IOException;
import java.nio.file.Path;

/** Opens raw and Y4M files ({@link VideoFile#handles}). */
public final class FileSourceProvider implements SourceProvider {
    @Override
    public boolean accepts(String input) {
        return VideoFile.handles(input);
    }

    @Override
    public Source open(String input, SourceOptions options) throws IOException {
        return new FileSource(VideoFile.open(Path.of(input), options), options);
    }
}
