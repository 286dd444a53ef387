package dev.vbuf.media.fb;

import dev.vbuf.media.MediaCounters;
import dev.vbuf.media.Sink;
import dev.vbuf.media.SinkProvider;

/** Opens {@code /dev/fbN} outputs as {@link FramebufferSink}s (found by {@code Media} by class name). */
public final class FramebufferSinkProvider implements SinkProvider {
    public FramebufferSinkProvider() {}

    @Override
    public boolean accepts(String output) {
        return output != null && output.startsWith("/dev/fb");
    }

    @Override
    public Sink open(String output, MediaCounters counters) {
        return new FramebufferSink(output, counters);
    }
}
