package dev.vbuf.bridge;

import dev.vbuf.media.MediaCounters;
import dev.vbuf.media.StreamInfo;
import dev.vbuf.media.ffmpeg.FfmpegSource;
import dev.vbuf.pool.Consumer;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import dev.vbuf.pool.Overflow;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A JavaCV-style grab loop whose pictures are pool frames: FFmpeg decodes straight into the pool
 * (vbuf-ffmpeg's {@code get_buffer2} path, no copy), and {@link #grab()} hands out the next
 * picture as a {@link FrameView} (JavaCV {@code Frame}, OpenCV {@code Mat}s, {@code AVFrame},
 * {@code ByteBuffer}s).
 *
 * <pre>{@code
 * try (PoolGrabber g = PoolGrabber.open("clip.mkv", PoolGrabber.Options.DEFAULT)) {
 *     for (FrameView v; (v = g.grab()) != null; ) {
 *         Mat y = v.mat(0);          // the decoder's picture, in the pool buffer
 *         ...                        // valid until the next grab() (or close())
 *     }
 * }
 * }</pre>
 *
 * <h2>What changes for a JavaCV grab loop</h2>
 * {@code FFmpegFrameGrabber.grab()} returns the same {@code Frame} object every time, over a
 * buffer the next grab overwrites, so code that keeps a picture clones it (a full copy). Here
 * each picture stays in its own pool buffer until released: the pool's bounded size is the
 * memory bound, the decoder runs ahead on its own thread into free buffers, other consumer
 * groups (in this process or, with {@link Options#shared}, in others: {@code vbuf consume NAME})
 * see the same pictures, and the grab loop itself allocates nothing per picture after the
 * first round through the pool ({@code FrameViewTest}, docs/BRIDGES.md).
 *
 * <p>Pictures are in the decoder's own pixel format ({@code FrameView.layout().format()}, e.g.
 * I420 for most H.264 and FFV1 files) and its padded layout; {@link FrameView#width()} and
 * {@link FrameView#height()} are the visible size. Use the views' Mats with OpenCV's
 * {@code cvtColor} for BGR.
 */
public final class PoolGrabber implements AutoCloseable {
    /** The consumer group this grabber reads as. */
    public static final String GROUP = "grab";

    /**
     * How the pool is built.
     *
     * @param extraFrames frames beyond the minimum (the decoder's references, the picture in hand
     *                    and one queued): more lets the decoder run further ahead
     * @param shared      a shared pool name (/dev/shm/vbuf.NAME) so other processes can read the
     *                    pictures, or null for a pool private to this JVM
     * @param otherGroups consumer groups besides {@link #GROUP} (each must be read, or it holds
     *                    frames until dropped by the pool's policy)
     * @param loop        seek back to the start at the end of the input
     */
    public record Options(int extraFrames, String shared, List<String> otherGroups, boolean loop) {
        /** 4 extra frames, private, no other group, no loop. */
        public static final Options DEFAULT = new Options(4, null, List.of(), false);

        public Options {
            if (extraFrames < 0 || extraFrames > 1024) {
                throw new IllegalArgumentException("extraFrames " + extraFrames + " is out of range: give 0 to 1024 frames beyond the minimum");
            }
            otherGroups = otherGroups == null ? List.of() : List.copyOf(otherGroups);
            if (otherGroups.contains(GROUP)) throw new IllegalArgumentException("group '" + GROUP + "' is the grabber's own; name other groups differently");
        }
    }

    private final FfmpegSource source;
    private final FramePool pool;
    private final FrameBridge bridge;
    private final Consumer consumer;
    private final MediaCounters counters = new MediaCounters();
    private final Thread decoder;
    private volatile Throwable decodeError;
    private FrameView current;
    private boolean ended;

    private PoolGrabber(FfmpegSource source, Options o) {
        this.source = source;
        StreamInfo info = source.info();
        List<String> groups = new ArrayList<>();
        groups.add(GROUP);
        groups.addAll(o.otherGroups());
        int frames = source.maxHeldFrames() + 2 + o.extraFrames() + 2 * o.otherGroups().size();
        var b = FramePool.builder().layout(info.layout()).bufferSize(info.bufferBytes()).count(frames).groups(groups)
                .overflow(Overflow.BLOCK);
        if (o.shared() != null) b.shared(o.shared());
        this.pool = b.build();
        try {
            this.bridge = FrameBridge.of(pool);
            this.consumer = pool.consumer(GROUP);
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
        this.decoder = Thread.ofPlatform().name("vbuf-grab-decode").daemon().unstarted(() -> {
            try {
                source.produce(pool, counters);
            } catch (Throwable t) {
                decodeError = t;
            } finally {
                pool.markEndOfStream();
            }
        });
        decoder.start();
    }

    /**
     * Opens a video file (or any URL FFmpeg reads) and starts decoding into a new pool.
     *
     * @param input a file name or URL
     * @param o     how the pool is built
     * @return the grabber
     * @throws IOException when FFmpeg cannot open or decode the input (the message names it)
     */
    public static PoolGrabber open(String input, Options o) throws IOException {
        FfmpegSource s = new FfmpegSource(input, o.loop());
        try {
            return new PoolGrabber(s, o);
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** @return what the input holds (size, format, rate, frame count when known) */
    public StreamInfo info() {
        return source.info();
    }

    /** @return the pool the pictures are decoded into */
    public FramePool pool() {
        return pool;
    }

    /** @return the bridge whose views {@link #grab()} returns */
    public FrameBridge bridge() {
        return bridge;
    }

    /** @return true when FFmpeg decodes straight into pool buffers (else one counted copy per picture) */
    public boolean decodesIntoPool() {
        return source.decodesIntoPool();
    }

    /** @return pictures copied because the codec cannot decode into outside buffers (0 on the zero-copy path) */
    public long copies() {
        return counters.copies.sum();
    }

    /**
     * Releases the previous picture and returns the next one, waiting for the decoder.
     *
     * @return the next picture's view (valid until the next grab or close), or null at the end of the input
     * @throws IOException          when decoding failed (the message names the input and the picture)
     * @throws InterruptedException when the thread is interrupted while waiting
     */
    public FrameView grab() throws IOException, InterruptedException {
        if (current != null) {
            current.close();
            current = null;
        }
        if (ended) return null;
        while (true) {
            Frame f = consumer.acquireFilled(50_000_000L);
            if (f != null) {
                current = bridge.view(f);
                return current;
            }
            if (Thread.interrupted()) throw new InterruptedException("interrupted while waiting for the next picture");
            if (pool.endOfStream() && consumer.lag() == 0) {
                ended = true;
                Throwable t = decodeError;
                if (t instanceof IOException io) throw io;
                if (t != null) throw new IOException("decoding stopped: " + t.getMessage(), t);
                return null;
            }
        }
    }

    /** Stops the decoder, releases the picture in hand and closes the pool. */
    @Override
    public void close() throws IOException {
        counters.requestStop();
        if (current != null) {
            current.close();
            current = null;
        }
        // drain so a decoder waiting for a free buffer can finish its picture and see the stop
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (decoder.isAlive() && System.nanoTime() < deadline) {
            Frame f = consumer.acquireFilled(10_000_000L);
            if (f != null) f.close();
        }
        if (decoder.isAlive()) decoder.interrupt();
        try {
            decoder.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        bridge.close();
        try {
            source.close();
        } finally {
            pool.close();
        }
    }
}
