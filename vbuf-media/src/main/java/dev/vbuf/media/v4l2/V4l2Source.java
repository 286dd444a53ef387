package dev.vbuf.media.v4l2;

import dev.vbuf.format.PixelFormat;
import dev.vbuf.media.MediaCounters;
import dev.vbuf.media.PoolRequest;
import dev.vbuf.media.Source;
import dev.vbuf.media.SourceOptions;
import dev.vbuf.media.StreamInfo;
import dev.vbuf.pool.FramePool;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A V4L2 capture device as a pipeline {@link Source} ({@code vbuf run --input /dev/video0}):
 * the driver writes straight into the pool's buffers ({@link V4l2Capture}). The memory type is
 * taken from the reader option (mmap, the default, userptr, dmabuf or expbuf); the size and
 * format from the options when given, else the device's current format.
 */
public final class V4l2Source implements Source {
    /** The reader values that name a V4L2 memory type. */
    public static final Set<String> MEMORY_TYPES = Set.of("mmap", "userptr", "dmabuf", "expbuf");
    /** Longest wait for one picture before produce fails. */
    static final int FRAME_TIMEOUT_MS = 10_000;

    private final String input;
    private final V4l2Device dev;
    private final V4l2Capture.Memory memory;
    private final V4l2Format format;
    private final StreamInfo info;
    private final long budgetBytes;
    private V4l2Capture capture;

    public V4l2Source(String input, SourceOptions o) throws IOException {
        this.input = input;
        String reader = o.reader() == null ? "mmap" : o.reader().toLowerCase(Locale.ROOT);
        if (!MEMORY_TYPES.contains(reader)) {
            throw new IllegalArgumentException("--reader " + o.reader() + " does not apply to " + input + ": for a V4L2 device"
                    + " give the memory type mmap (default), userptr, dmabuf or expbuf");
        }
        this.memory = V4l2Capture.Memory.parse(reader);
        this.budgetBytes = V4l2Capture.Options.defaults().budgetBytes();
        try {
            this.dev = V4l2Device.open(Path.of(input));
        } catch (V4l2Exception e) {
            throw new IOException(e.getMessage(), e);
        }
        try {
            V4l2Format cur = dev.format();
            if (o.format() != null || o.width() > 0) {
                V4l2Format now = cur;
                PixelFormat pf = o.format() != null ? o.format() : now.pixelFormat().orElseThrow(() -> new V4l2Exception(
                        input + " delivers '" + now.fourccString().strip() + "', not a format vbuf knows; give --format"));
                cur = dev.setFormat(pf, o.width() > 0 ? o.width() : cur.width(), o.height() > 0 ? o.height() : cur.height());
            }
            this.format = cur;
            var layout = cur.layout().orElseThrow(() -> new V4l2Exception(input + " delivers " + format
                    + ", which vbuf cannot describe as a frame layout; choose a raw format with --format (the device offers: "
                    + dev.offered() + ")"));
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("driver", dev.capability().driver());
            meta.put("card", dev.capability().card());
            meta.put("memory", memory.lower());
            meta.put("fourcc", cur.fourccString());
            meta.put("colorspace", Integer.toString(cur.colorspace()));
            this.info = new StreamInfo("V4L2 " + dev + ": " + cur + ", " + memory.lower() + " buffers", layout,
                    Math.max(layout.frameBytes(), cur.sizeImage()), layout.width(), layout.height(), 0, -1, meta);
        } catch (RuntimeException e) {
            dev.close();
            throw e;
        }
    }

    @Override
    public StreamInfo info() { return info; }

    @Override
    public FramePool createPool(PoolRequest r) {
        int count = Math.max(V4l2Capture.MIN_BUFFERS, Math.min(V4l2Capture.MAX_BUFFERS, r.frames()));
        var o = new V4l2Capture.Options(r.name(), count, budgetBytes, r.groups(), r.overflow(), r.allocator());
        capture = V4l2Capture.open(dev, memory, o);
        return capture.pool();
    }

    /** The capture, once {@link #createPool} built it. */
    public V4l2Capture capture() { return capture; }

    @Override
    public void produce(FramePool pool, MediaCounters c) throws IOException {
        if (capture == null || capture.pool() != pool) {
            throw new IllegalStateException("the V4L2 source fills the pool it built in createPool (its buffers are the"
                    + " driver's or registered with it); the pipeline passed another pool");
        }
        try {
            capture.start();
            long n;
            long drops = 0;
            while ((n = c.claim()) >= 0) {
                long t0 = System.nanoTime();
                int r;
                long waited = 0;
                while ((r = capture.captureNext(n, 500)) != V4l2Capture.CAPTURED) {
                    if (c.stopRequested()) return;
                    waited += 500;
                    if (waited >= FRAME_TIMEOUT_MS) {
                        throw new IOException("no frame from " + input + " in " + FRAME_TIMEOUT_MS / 1000 + " s after " + n
                                + " frames (" + (r == V4l2Capture.NO_BUFFER ? "every pool buffer is held by the consumers"
                                : "the device delivered nothing") + ")");
                    }
                }
                c.frames.increment();
                c.bytesIn.add(capture.lastBytesUsed());
                if (capture.driverDrops() > drops) {
                    c.sourceDrops.add(capture.driverDrops() - drops);
                    drops = capture.driverDrops();
                }
                c.produceNanos.recordValue(Math.min(System.nanoTime() - t0, 60_000_000_000L));
            }
        } catch (V4l2Exception e) {
            throw new IOException(e.getMessage(), e);
        } finally {
            capture.stop();
        }
    }

    /**
     * Stops streaming and closes the device. The pool (and with it the mappings of MMAP
     * buffers) is the pipeline's to close; the driver frees its buffers once they are unmapped.
     */
    @Override
    public void close() {
        try {
            if (capture != null) capture.stop();
        } finally {
            dev.close();
        }
    }
}
