package dev.vbuf.media.sink;

import dev.vbuf.media.MediaCounters;
import dev.vbuf.media.Sink;
import dev.vbuf.media.StreamInfo;
import dev.vbuf.pool.Frame;

/** Releases every frame at once: measures what the source and the pool can do. */
public final class NullSink implements Sink {
    private final MediaCounters counters;
    private long frames;

    public NullSink(MediaCounters counters) {
        this.counters = counters;
    }

    @Override public void open(StreamInfo info) {}

    @Override
    public void accept(Frame frame) {
        frame.release();
        frames++;
        counters.sinkFrames.increment();
    }

    @Override public void finish() {}

    @Override public String summary() { return "null: " + frames + " pictures released unread"; }

    @Override public void close() {}
}
