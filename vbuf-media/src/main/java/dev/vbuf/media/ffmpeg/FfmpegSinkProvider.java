package dev.vbuf.media.ffmpeg;

import dev.vbuf.media.MediaCounters;
import dev.vbuf.media.Sink;
import dev.vbuf.media.SinkProvider;

/** Files FFmpeg writes (.mkv, .mp4, .nut, .mov, .ts, .avi ...). */
public final class FfmpegSinkProvider implements SinkProvider {
    @Override
    public boolean accepts(String output) {
        return output.contains(".");
    }

    @Override
    public Sink open(String output, MediaCounters counters) {
        return new FfmpegSink(output, null, counters);
    }
}
