package dev.vbuf.media.sink;

import dev.vbuf.media.MediaCounters;
import dev.vbuf.media.Sink;
import dev.vbuf.media.SinkProvider;
import dev.vbuf.media.file.FileSink;
import dev.vbuf.media.file.VideoFile;

/** null, checksum, and Y4M / raw files. */
public final class BasicSinkProvider implements SinkProvider {
    @Override
    public boolean accepts(String output) {
        return "null".equals(output) || "checksum".equals(output) || VideoFile.handles(output);
    }

    @Override
    public Sink open(String output, MediaCounters counters) {
        return switch (output) {
            case "null" -> new NullSink(counters);
            case "checksum" -> new ChecksumSink(counters);
            default -> new FileSink(output, counters);
        };
    }
}
