package dev.vbuf.media.ffmpeg;

import dev.vbuf.media.MediaCounters;
import dev.vbuf.media.Sink;
import dev.vbuf.media.SinkProvider;

/** Files FFmpeg writes (.mkv, .mp4, .nut, .mov, .ts, .avi ...): asked after vbuf-media's own sinks. */
public final class FfmpegSinkProvider implements SinkProvider {
    /** Called by {@link java.util.ServiceLoader}. */
    public FfmpegSinkProvider() {}

    @Override
    public boolean accepts(String output) {
        return output.contains(".");
    }

    @Override
    public boolean fallback() {
        return true;
    }

    @Override
    public Sink open(String output, MediaCounters counters) throws java.io.IOException {
        FfmpegSink.checkOutput(output); // before the first frame: unknown extension, missing directory
        return new FfmpegSink(output, null, counters);
    }
}
