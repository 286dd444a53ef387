package dev.vbuf.media;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.format.TestPattern;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code testsrc}: the moving, sequence-stamped {@link TestPattern}, written straight into pool
 * buffers, picture {@code n} with {@code pts n}: a synthetic camera.
 *
 * <p>{@link #open} makes it go as fast as the pool lets it (the rate is metadata for encoders);
 * {@link #paced} makes picture {@code n} due at {@code start + n / fps} (absolute deadlines, so
 * the rate does not drift; a source held up by a full pool catches up as fast as the pool lets
 * it) and can end after a duration. Either way {@code --frames} (the counters' limit) or a stop
 * request ends it, or it runs forever (the pattern has no end, so {@code --loop} changes nothing).
 *
 * <p>Each picture takes a buffer under the pool's overflow policy: BLOCK and ADAPTIVE wait for
 * one, DROP_OLDEST takes back the oldest queued frame, FAIL skips the picture (its number is not
 * reused: consumers see the gap in {@code pts}) and counts it in
 * {@link MediaCounters#sourceDrops}.
 */
public final class TestSource implements Source {
    /** Size and format when the options give none. */
    public static final int DEFAULT_WIDTH = 1280, DEFAULT_HEIGHT = 720;
    public static final double DEFAULT_FPS = 25;

    private final StreamInfo info;
    private final TestPattern pattern;
    private final long periodNanos;
    private final long durationNanos;
    private volatile long startNanos, firstSubmitNanos, lastSubmitNanos;

    private TestSource(FrameLayout layout, double fps, boolean paced, long durationNanos) {
        this.pattern = new TestPattern(layout);
        this.periodNanos = paced && fps > 0 ? Math.round(1e9 / fps) : 0;
        this.durationNanos = durationNanos;
        String rate = fps > 0 ? fps + " fps" : "as fast as possible";
        this.info = StreamInfo.of("testsrc " + layout.width() + "x" + layout.height() + " " + layout.format()
                + " " + rate + (paced ? ", paced" : "") + " (moving test pattern, pts stamped in every plane)", layout,
                fps > 0 ? fps : 0, -1, Map.of("source", "testsrc"));
    }

    /** Opens the test pattern at the options' size, format and rate (defaults 1280x720 NV12 25 fps), unpaced. */
    public static TestSource open(SourceOptions o) {
        int w = o.width() > 0 ? o.width() : DEFAULT_WIDTH;
        int h = o.height() > 0 ? o.height() : DEFAULT_HEIGHT;
        PixelFormat f = o.format() != null ? o.format() : PixelFormat.NV12;
        return new TestSource(FrameLayout.of(f, w, h), o.fps() > 0 ? o.fps() : DEFAULT_FPS, false, 0);
    }

    /**
     * A synthetic camera: the pattern at {@code fps} pictures a second (0: as fast as the pool
     * lets it), for {@code durationNanos} (0: until the frame limit or a stop).
     *
     * @throws IllegalArgumentException when the layout is too small for the pattern's stamp, or
     *                                  the rate or duration is negative
     */
    public static TestSource paced(FrameLayout layout, double fps, long durationNanos) {
        if (!(fps >= 0) || durationNanos < 0) {
            throw new IllegalArgumentException("testsrc: rate " + fps + " fps and duration " + durationNanos
                    + " ns must be 0 or more");
        }
        return new TestSource(layout, fps, true, durationNanos);
    }

    /** The pattern this source writes (sinks use the same to check content). */
    public TestPattern pattern() {
        return pattern;
    }

    /**
     * Compiles the pattern's write and verify paths before the clock starts, on a small frame of
     * the same format and then on up to 400 MiB of frames of the real size: interpreted,
     * verifying one 4K frame takes tens of milliseconds, enough for a consumer that keeps up in
     * steady state to fall a pool's worth of frames behind in the first second and lose frames
     * that a warmed-up pipeline would not.
     */
    public void warmUp() {
        FrameLayout layout = info.layout();
        FrameLayout small = FrameLayout.of(layout.format(), 320, 240);
        try (TestPattern p = new TestPattern(small); Arena arena = Arena.ofConfined()) {
            MemorySegment frame = arena.allocate(small.frameBytes(), 4096);
            long bad = 0;
            for (int i = 0; i < 3000; i++) {
                p.write(frame, i);
                bad += p.verify(frame, i) + 1 + (p.readSequence(frame) == i ? 0 : 1);
            }
            MemorySegment full = arena.allocate(layout.frameBytes(), 4096);
            int rounds = (int) Math.max(4, Math.min(50, (400L << 20) / layout.frameBytes()));
            for (int i = 0; i < rounds; i++) {
                pattern.write(full, i);
                bad += pattern.verify(full, i) + 1;
            }
            if (bad != 0) throw new IllegalStateException("the test pattern failed its own check while warming up");
        }
    }

    /** When {@code produce} started (System.nanoTime), 0 before. */
    public long startNanos() {
        return startNanos;
    }

    /** Submit times of the first and the last picture (System.nanoTime), 0 before the first. */
    public long firstSubmitNanos() {
        return firstSubmitNanos;
    }

    public long lastSubmitNanos() {
        return lastSubmitNanos;
    }

    @Override
    public StreamInfo info() {
        return info;
    }

    @Override
    public void produce(FramePool pool, MediaCounters counters) throws InterruptedException {
        long start = System.nanoTime();
        startNanos = start;
        for (long tick = 0; ; tick++) {
            if (periodNanos > 0 && !sleepUntil(start + tick * periodNanos, counters)) return;
            if (durationNanos > 0 && tick > 0 && System.nanoTime() - start >= durationNanos) return;
            long n = counters.claim();
            if (n < 0) return;
            long t0 = System.nanoTime();
            Frame f = pool.acquireFree();
            if (f == null) {
                if (counters.stopRequested() || pool.isClosed()) return;
                if (Thread.interrupted()) throw new InterruptedException("testsrc: interrupted waiting for a free buffer");
                counters.sourceDrops.increment(); // FAIL: no free buffer, the picture is skipped
                continue;
            }
            try {
                pattern.write(f.segment(), n);
                f.pts(n).captureTimeNs(System.nanoTime()).flags(Frame.FLAG_KEY_FRAME);
                f.submit();
            } finally {
                f.close();
            }
            long now = System.nanoTime();
            if (firstSubmitNanos == 0) firstSubmitNanos = now;
            lastSubmitNanos = now;
            counters.frames.increment();
            counters.produceNanos.recordValue(Math.min(now - t0, 60_000_000_000L));
        }
    }

    /** Sleeps until {@code deadline}; false when a stop was requested or the thread interrupted. */
    private static boolean sleepUntil(long deadline, MediaCounters counters) {
        for (long left = deadline - System.nanoTime(); left > 0; left = deadline - System.nanoTime()) {
            LockSupport.parkNanos(Math.min(left, 50_000_000L));
            if (counters.stopRequested() || Thread.currentThread().isInterrupted()) return false;
        }
        return !counters.stopRequested();
    }

    @Override
    public void close() {
        pattern.close();
    }
}
