package dev.vbuf.media;

import dev.vbuf.format.PixelFormat;
import dev.vbuf.pool.Frame;
import dev.vbuf.media.sink.ChecksumSink;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class PipelineTest {
    static SourceOptions small() {
        return SourceOptions.defaults().withSize(64, 48).withFormat(PixelFormat.I420);
    }

    /** A sink that fails at its third picture. */
    static final class Failing implements Sink {
        int n;
        @Override public void open(StreamInfo info) {}
        @Override public void accept(Frame frame) throws IOException {
            frame.release();
            if (++n == 3) throw new IOException("disk full (test)");
        }
        @Override public void finish() {}
        @Override public String summary() { return "failing"; }
        @Override public void close() {}
    }

    /** A sink that keeps up to two frames and releases them later, as an encoder does. */
    static final class Holding implements Sink {
        final List<Frame> held = new ArrayList<>();
        long frames;
        @Override public void open(StreamInfo info) {}
        @Override public void accept(Frame frame) {
            held.add(frame);
            if (held.size() > 2) held.removeFirst().release();
            frames++;
        }
        @Override public void finish() { held.forEach(Frame::release); held.clear(); }
        @Override public int maxHeldFrames() { return 2; }
        @Override public String summary() { return "holding"; }
        @Override public void close() { held.forEach(f -> { if (f.isOpen()) f.release(); }); }
    }

    @Test
    void aFailingSinkStopsTheSourceAndEverySlotComesBack() throws Exception {
        var c = new MediaCounters(100_000);
        try (Source src = TestSource.open(small()); Sink bad = new Failing(); ChecksumSink good = new ChecksumSink(c)) {
            var r = Pipeline.run(src, List.of(bad, good), Pipeline.Options.defaults(), c, null);
            assertEquals(1, r.sinkErrors().size());
            assertTrue(r.sinkErrors().getFirst().getMessage().contains("disk full"));
            assertNull(r.sourceError());
            assertTrue(c.frames.sum() < 100_000, "the source was asked to stop");
            assertEquals(r.poolFrames(), r.slotsBack());
            assertEquals(c.frames.sum(), good.frames(), "the healthy sink saw every picture");
            assertEquals(good.frames(), good.patternMatches());
        }
    }

    @Test
    void twoSinksSeeEveryPictureAndHeldFramesAreCountedInThePool() throws Exception {
        var c = new MediaCounters(50);
        try (Source src = TestSource.open(small()); Holding h = new Holding(); ChecksumSink sum = new ChecksumSink(c)) {
            assertEquals(Math.max(4, 1 + (2 + 1) + (0 + 1) + 2), Pipeline.minimumFrames(src, List.of(h, sum)));
            var r = Pipeline.run(src, List.of(h, sum), Pipeline.Options.defaults(), c, null);
            assertTrue(r.ok(), () -> r.sinkErrors().toString());
            assertEquals(50, h.frames);
            assertEquals(50, sum.patternMatches());
            assertEquals(r.poolFrames(), r.slotsBack());
            assertEquals(0, c.copies.sum());
        }
    }

}
