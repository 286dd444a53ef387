package dev.vbuf.media;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.format.TestPattern;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;

import java.util.Map;

/**
 * {@code testsrc}: the moving, sequence-stamped {@link TestPattern}, written straight into pool
 * buffers, picture {@code n} with {@code pts n}. As fast as the pool lets it go (the rate is
 * metadata for encoders); {@code --frames} or a stop request ends it, or it runs forever
 * (the pattern has no end, so {@code --loop} changes nothing).
 */
public final class TestSource implements Source {
    /** Size and format when the options give none. */
    public static final int DEFAULT_WIDTH = 1280, DEFAULT_HEIGHT = 720;
    public static final double DEFAULT_FPS = 25;

    private final StreamInfo info;
    private final TestPattern pattern;

    private TestSource(FrameLayout layout, double fps) {
        this.pattern = new TestPattern(layout);
        this.info = StreamInfo.of("testsrc " + layout.width() + "x" + layout.height() + " " + layout.format()
                + " " + fps + " fps (moving test pattern, pts stamped in every plane)", layout, fps, -1,
                Map.of("source", "testsrc"));
    }

    /** Opens the test pattern at the options' size, format and rate (defaults 1280x720 NV12 25 fps). */
    public static TestSource open(SourceOptions o) {
        int w = o.width() > 0 ? o.width() : DEFAULT_WIDTH;
        int h = o.height() > 0 ? o.height() : DEFAULT_HEIGHT;
        PixelFormat f = o.format() != null ? o.format() : PixelFormat.NV12;
        return new TestSource(FrameLayout.of(f, w, h), o.fps() > 0 ? o.fps() : DEFAULT_FPS);
    }

    /** The pattern this source writes (sinks use the same to check content). */
    public TestPattern pattern() {
        return pattern;
    }

    @Override
    public StreamInfo info() {
        return info;
    }

    @Override
    public void produce(FramePool pool, MediaCounters counters) throws InterruptedException {
        long n;
        while ((n = counters.claim()) >= 0) {
            long t0 = System.nanoTime();
            Frame f = pool.acquireFree();
            if (f == null) {
                if (Thread.interrupted()) throw new InterruptedException("testsrc: interrupted waiting for a free buffer");
                counters.sourceDrops.increment();
                continue;
            }
            try {
                pattern.write(f.segment(), n);
                f.pts(n).captureTimeNs(System.nanoTime()).flags(Frame.FLAG_KEY_FRAME);
                f.submit();
            } finally {
                f.close();
            }
            counters.frames.increment();
            counters.produceNanos.recordValue(Math.min(System.nanoTime() - t0, 60_000_000_000L));
        }
    }

    @Override
    public void close() {
        pattern.close();
    }
}
