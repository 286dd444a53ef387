package dev.vbuf.bridge;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.format.Plane;
import dev.vbuf.media.MediaCounters;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_FFV1;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;
import static org.junit.jupiter.api.Assertions.*;

/** JavaCV's recorder consuming pool frames, and pool frames from a file: PoolGrabber (decode into the pool) and GrabberSource (any JavaCV grabber). */
class JavaCvLoopsTest {
    static final int W = 320, H = 240, N = 24;
    @TempDir
    Path tmp;

    static byte pattern(int k, int p, int r, int c) {
        return (byte) (k * 5 + p * 60 + r + 2 * c);
    }

    /** Records N I420 pool frames (packed layout: what JavaCV reads) with FFmpegFrameRecorder, FFV1 (lossless). */
    static Path record(Path dir) throws Exception {
        Path file = dir.resolve("clip.mkv");
        FrameLayout layout = FrameLayout.of(PixelFormat.I420, W, H, 1);
        try (FramePool pool = FramePool.builder().layout(layout).count(3).groups("rec").build();
             FrameBridge bridge = FrameBridge.of(pool);
             FFmpegFrameRecorder rec = new FFmpegFrameRecorder(file.toString(), W, H)) {
            rec.setFormat("matroska");
            rec.setVideoCodec(AV_CODEC_ID_FFV1);
            rec.setPixelFormat(AV_PIX_FMT_YUV420P);
            rec.setFrameRate(25);
            rec.start();
            for (int k = 0; k < N; k++) {
                try (FrameView v = bridge.view(pool.acquireFree(Duration.ofSeconds(5)))) {
                    for (int p = 0; p < 3; p++) {
                        Plane pl = layout.plane(p);
                        ByteBuffer b = v.plane(p);
                        for (int r = 0; r < pl.rows(); r++) for (int c = 0; c < pl.rowBytes(); c++) b.put(r * pl.stride() + c, pattern(k, p, r, c));
                    }
                    v.frame().pts(k);
                    v.submit();
                }
                try (FrameView v = bridge.view(pool.consumer("rec").acquireFilled(Duration.ofSeconds(5)))) {
                    rec.record(v.javacvFrame(), v.avPixelFormat()); // the recorder reads the pool buffer
                }
            }
            rec.stop();
        }
        return file;
    }

    @Test
    void recorderConsumesPoolFramesAndPoolGrabberDecodesIntoThePool() throws Exception {
        Path file = record(tmp);
        try (PoolGrabber g = PoolGrabber.open(file.toString(), PoolGrabber.Options.DEFAULT)) {
            assertTrue(g.decodesIntoPool(), "FFV1 decodes into pool buffers (get_buffer2)");
            int k = 0;
            FrameView previous = null;
            for (FrameView v; (v = g.grab()) != null; k++) {
                if (previous != null) assertFalse(previous.isValid(), "grab() released the previous picture");
                assertEquals(W, v.width());
                assertEquals(H, v.height());
                assertEquals(k, v.frame().pts());
                long base = v.frame().segment().address();
                assertEquals(base + v.layout().plane(0).offset(), v.mat(0).data().address(), "the decoder's picture, in the pool buffer");
                for (int p = 0; p < 3; p++) {
                    var idx = v.mat(p).createIndexer();
                    int rows = p == 0 ? H : H / 2, cols = p == 0 ? W : W / 2;
                    for (int r = 0; r < rows; r += 7)
                        for (int c = 0; c < cols; c += 5)
                            if ((byte) ((org.bytedeco.javacpp.indexer.UByteIndexer) idx).get(r, c) != pattern(k, p, r, c))
                                fail("picture " + k + " plane " + p + " at " + r + "," + c);
                }
                previous = v;
            }
            assertEquals(N, k);
            assertEquals(0, g.copies());
            assertThrows(IllegalStateException.class, previous::javacvFrame, "the last view is released at the end");
        }
    }

    @Test
    void aJavacvGrabberFillsPoolFramesWithOneCountedCopyEach() throws Exception {
        Path file = record(tmp);
        byte[] first;
        try (FFmpegFrameGrabber ref = new FFmpegFrameGrabber(file.toFile())) {
            ref.start();
            org.bytedeco.javacv.Frame f = ref.grabImage();
            ByteBuffer b = (ByteBuffer) f.image[0];
            first = new byte[W * 3];
            b.get(0, first); // row 0 of the BGR picture
        }
        try (GrabberSource src = new GrabberSource(new FFmpegFrameGrabber(file.toFile()), file.getFileName().toString())) {
            assertEquals(PixelFormat.BGR24, src.info().layout().format());
            try (FramePool pool = FramePool.builder().layout(src.info().layout()).count(4).groups("g").build()) {
                MediaCounters c = new MediaCounters();
                CompletableFuture<Void> run = CompletableFuture.runAsync(() -> {
                    try {
                        src.produce(pool, c);
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    } finally {
                        pool.markEndOfStream();
                    }
                });
                int n = 0;
                var cons = pool.consumer("g");
                while (true) {
                    Frame f = cons.acquireFilled(Duration.ofMillis(100));
                    if (f == null) {
                        if (pool.endOfStream() && cons.lag() == 0) break;
                        continue;
                    }
                    try (f) {
                        if (n == 0) {
                            byte[] row = new byte[W * 3];
                            f.copyTo(0, row, 0, row.length);
                            assertArrayEquals(first, row, "the grabber's first picture, copied into the pool");
                        }
                        assertEquals(n, f.pts());
                        n++;
                    }
                }
                run.get(60, TimeUnit.SECONDS);
                assertEquals(N, n);
                assertEquals(N, c.copies.sum(), "one counted copy per picture");
            }
        }
    }
}
