package dev.vbuf.bridge;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.format.Plane;
import dev.vbuf.media.MediaCounters;
import dev.vbuf.media.MediaException;
import dev.vbuf.media.Source;
import dev.vbuf.media.StreamInfo;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FrameGrabber;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.Buffer;
import java.util.LinkedHashMap;

/**
 * Any JavaCV {@code FrameGrabber} (a camera, a network stream, an {@code FFmpegFrameGrabber}
 * configured with the user's options) as a vbuf {@link Source}: its pictures fill pool frames, so
 * the rest of a program gets vbuf's bounded memory, consumer groups and cross-process sharing
 * ({@code Pipeline.run}, a shared pool) without changing how it grabs.
 *
 * <p>One copy per picture, counted in {@link MediaCounters#copies}: a JavaCV grabber decodes (and
 * converts) into its own buffer, which the next grab overwrites, so the picture is copied row by
 * row into a pool frame, the copy JavaCV code otherwise makes with {@code Frame.clone()}. For a
 * file or URL FFmpeg reads, {@link PoolGrabber} (or vbuf-ffmpeg's source) decodes into the pool
 * without this copy.
 *
 * <p>The grabber is started here (if it was not) to learn the picture size and format: 8-bit
 * pictures of 1, 3 or 4 channels become GRAY8, BGR24 or BGRA (JavaCV's orders), 16-bit of 1
 * channel GRAY16; an {@code FFmpegFrameGrabber}'s pixel format, when set, is taken as it is.
 */
public final class GrabberSource implements Source {
    private final FrameGrabber grabber;
    private final String name;
    private final StreamInfo info;
    private final FrameLayout layout;
    private org.bytedeco.javacv.Frame pending;

    /**
     * @param grabber a JavaCV grabber, started or not; closed by {@link #close()}
     * @param name    what to call it in messages ("camera 0", the URL)
     * @throws IOException when the grabber cannot start or delivers no picture, or a picture vbuf has no format for
     */
    public GrabberSource(FrameGrabber grabber, String name) throws IOException {
        this.grabber = grabber;
        this.name = name;
        try {
            grabber.start();
            org.bytedeco.javacv.Frame first = nextImage();
            if (first == null || first.image == null) throw new MediaException(name, 0, -1, "the grabber delivered no picture");
            PixelFormat f = formatOf(grabber, first);
            layout = FrameLayout.of(f, first.imageWidth, first.imageHeight);
            pending = first;
            double fps = grabber.getFrameRate() > 0 ? grabber.getFrameRate() : 0;
            long n = grabber.getLengthInFrames() > 0 ? grabber.getLengthInFrames() : -1;
            var meta = new LinkedHashMap<String, String>();
            meta.put("grabber", grabber.getClass().getSimpleName());
            meta.put("copies", "one per picture (the grabber's buffer is reused by the next grab)");
            info = StreamInfo.of(name + ": " + first.imageWidth + "x" + first.imageHeight + " " + f
                    + (fps > 0 ? String.format(java.util.Locale.ROOT, " %.3f fps", fps) : ""), layout, fps, n, meta);
        } catch (FrameGrabber.Exception e) {
            throw new IOException(name + ": the grabber failed to start: " + e.getMessage(), e);
        }
    }

    /** The next picture (audio and data frames skipped), or null at the end. */
    private org.bytedeco.javacv.Frame nextImage() throws FrameGrabber.Exception {
        if (grabber instanceof FFmpegFrameGrabber ff) return ff.grabImage();
        for (int skipped = 0; skipped < 100_000; skipped++) {
            org.bytedeco.javacv.Frame f = grabber.grab();
            if (f == null || f.image != null) return f;
        }
        throw new FrameGrabber.Exception(name + ": 100000 frames in a row without a picture");
    }

    static PixelFormat formatOf(FrameGrabber g, org.bytedeco.javacv.Frame fr) throws MediaException {
        if (g instanceof FFmpegFrameGrabber ff && ff.getPixelFormat() >= 0) {
            PixelFormat f = AvFormats.fromAv(ff.getPixelFormat());
            if (f != null && f.planeCount() == 1) return f;
        }
        int ch = fr.imageChannels, depth = Math.abs(fr.imageDepth);
        if (depth == 8 && ch == 1) return PixelFormat.GRAY8;
        if (depth == 8 && ch == 3) return PixelFormat.BGR24;
        if (depth == 8 && ch == 4) return PixelFormat.BGRA;
        if (depth == 16 && ch == 1) return PixelFormat.GRAY16;
        throw new MediaException("grabber", 0, -1, "its pictures are " + depth + "-bit with " + ch + " channels, which has no vbuf"
                + " format; accepted: 8-bit 1, 3 or 4 channels (GRAY8, BGR24, BGRA), 16-bit 1 channel (GRAY16)");
    }

    @Override
    public StreamInfo info() {
        return info;
    }

    @Override
    public void produce(FramePool pool, MediaCounters c) throws IOException, InterruptedException {
        Plane pl = layout.plane(0);
        int bytesPer = layout.format().bytesPerSample();
        long n = 0, limit = c.maxFrames();
        try {
            while (!c.stopRequested() && (limit < 0 || n < limit)) {
                org.bytedeco.javacv.Frame fr = pending != null ? pending : nextImage();
                pending = null;
                if (fr == null) return;
                if (fr.imageWidth != layout.width() || fr.imageHeight != layout.height()) {
                    throw new MediaException(name, n, -1, "the picture size changed to " + fr.imageWidth + "x" + fr.imageHeight
                            + " (the pool holds " + layout.width() + "x" + layout.height() + "); vbuf does not rebuild the pool");
                }
                Frame f = pool.acquireFree();
                if (f == null) {
                    if (Thread.currentThread().isInterrupted()) throw new InterruptedException(name + ": interrupted");
                    c.sourceDrops.increment();
                    continue;
                }
                try {
                    Buffer img = fr.image[0];
                    MemorySegment src = MemorySegment.ofBuffer(img);
                    long srcStride = (long) fr.imageStride * bytesPer;
                    MemorySegment dst = f.segment();
                    for (int r = 0; r < pl.rows(); r++) {
                        MemorySegment.copy(src, r * srcStride, dst, pl.offset() + (long) r * pl.stride(), pl.rowBytes());
                    }
                    c.copies.increment();
                    c.bytesIn.add(pl.dataBytes());
                    f.pts(n).captureTimeNs(System.nanoTime()).flags(fr.keyFrame ? Frame.FLAG_KEY_FRAME : 0).submit();
                    c.frames.increment();
                    n++;
                } finally {
                    f.close();
                }
            }
        } catch (FrameGrabber.Exception e) {
            throw new IOException(name + ": grabbing picture " + n + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() throws IOException {
        try {
            grabber.close();
        } catch (FrameGrabber.Exception e) {
            throw new IOException(name + ": closing the grabber failed: " + e.getMessage(), e);
        }
    }
}
