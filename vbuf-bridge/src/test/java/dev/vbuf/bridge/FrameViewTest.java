package dev.vbuf.bridge;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.format.Plane;
import dev.vbuf.pool.Consumer;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.javacpp.indexer.UByteIndexer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.time.Duration;

import static org.bytedeco.ffmpeg.global.avutil.*;
import static org.bytedeco.opencv.global.opencv_core.*;
import static org.bytedeco.opencv.global.opencv_imgproc.*;
import static org.junit.jupiter.api.Assertions.*;

/** Every view is the pool buffer itself (proved by address), valid while held, refused after release. */
class FrameViewTest {
    private FramePool pool;
    private FrameBridge bridge;

    private FrameBridge open(PixelFormat f, int w, int h, int align, int count) {
        pool = FramePool.builder().layout(FrameLayout.of(f, w, h, align)).count(count).groups("g").build();
        bridge = FrameBridge.of(pool);
        return bridge;
    }

    @AfterEach
    void close() {
        if (bridge != null) bridge.close();
        if (pool != null) pool.close();
    }

    /** Producer writes byte (plane, row, col) = p*50 + row + 3*col through its ByteBuffers; submits. */
    private void produce(int n) {
        for (int k = 0; k < n; k++) {
            Frame f = pool.acquireFree(Duration.ofSeconds(5));
            try (FrameView v = bridge.view(f)) {
                for (int p = 0; p < v.layout().planeCount(); p++) {
                    Plane pl = v.layout().plane(p);
                    ByteBuffer b = v.plane(p);
                    for (int r = 0; r < pl.rows(); r++)
                        for (int c = 0; c < pl.rowBytes(); c++) b.put(r * pl.stride() + c, (byte) (p * 50 + r + 3 * c + k));
                }
                f.pts(k);
                v.submit();
            }
        }
    }

    private static long addr(ByteBuffer b) {
        return MemorySegment.ofBuffer(b).address();
    }

    @Test
    void everyViewIsThePoolBufferByAddress() {
        open(PixelFormat.NV12, 640, 480, 64, 4);
        produce(1);
        Frame f = pool.consumer("g").acquireFilled(Duration.ofSeconds(5));
        long base = f.segment().address();
        FrameLayout l = pool.layout();
        try (FrameView v = bridge.view(f)) {
            for (int p = 0; p < 2; p++) {
                long want = base + l.plane(p).offset();
                assertEquals(want, addr(v.plane(p)), "ByteBuffer of plane " + p);
                assertEquals(want, v.mat(p).data().address(), "Mat of plane " + p);
                assertEquals(l.plane(p).stride(), v.mat(p).step());
            }
            assertEquals(CV_8UC1, v.mat(0).type());
            assertEquals(CV_8UC2, v.mat(1).type());
            assertEquals(320, v.mat(1).cols());
            Mat whole = v.mat();
            assertEquals(base, whole.data().address());
            assertEquals(720, whole.rows());
            org.bytedeco.javacv.Frame j = v.javacvFrame();
            assertEquals(base, addr((ByteBuffer) j.image[0]));
            assertEquals(640, j.imageStride);
            AVFrame av = v.avFrame();
            try {
                assertEquals(base, av.data(0).address());
                assertEquals(base + l.plane(1).offset(), av.data(1).address());
                assertEquals(l.plane(1).stride(), av.linesize(1));
                assertEquals(base, av.buf(0).data().address());
                assertEquals(AV_PIX_FMT_NV12, av.format());
            } finally {
                av_frame_free(av);
            }
            // the content the producer wrote, read through OpenCV
            UByteIndexer y = v.mat(0).createIndexer();
            assertEquals(7 + 3 * 11, y.get(7, 11));
            UByteIndexer uv = v.mat(1).createIndexer();
            assertEquals((50 + 5 + 3 * 9) & 0xFF, uv.get(5, 4, 1)); // row 5, byte 9 = element 4 channel 1
            assertEquals(0, v.plane(0).position());
            assertTrue(v.plane(0).isReadOnly(), "a consumer's plane buffer is read-only");
        }
        assertEquals(4, pool.getFreeCount(), "closing the view released the frame");
    }

    @Test
    void opencvRunsOnThePoolBufferInPlace() {
        open(PixelFormat.BGR24, 320, 240, 64, 3);
        Frame f = pool.acquireFree(Duration.ofSeconds(5));
        try (FrameView v = bridge.view(f)) {
            Mat m = v.mat();
            m.put(new Scalar(10, 20, 30, 0)); // OpenCV writes the pool buffer
            assertEquals(10, f.getByte(0));
            assertEquals(30, f.getByte(2));
            Mat gray = new Mat();
            cvtColor(m, gray, COLOR_BGR2GRAY);
            assertEquals(240, gray.rows());
            gray.close();
            v.submit();
        }
        Frame c = pool.consumer("g").acquireFilled(Duration.ofSeconds(5));
        try (FrameView v = bridge.view(c)) {
            assertEquals(new Scalar(10, 20, 30, 0).get(2), mean(v.mat()).get(2), 1e-9);
        }
    }

    @Test
    void useAfterReleaseIsRefusedWhereTheBridgeSeesIt() throws Exception {
        open(PixelFormat.BGR24, 64, 48, 64, 3);
        produce(1);
        Frame f = pool.consumer("g").acquireFilled(Duration.ofSeconds(5));
        FrameView v = bridge.view(f);
        Mat m = v.mat();
        org.bytedeco.javacv.Frame j = v.javacvFrame();
        ByteBuffer scoped = v.scopedPlane(0);
        assertEquals(1, scoped.get(1) - scoped.get(0) - 2, "scoped buffer reads the frame");
        v.close();

        IllegalStateException notHeld = assertThrows(IllegalStateException.class, () -> bridge.view(f));
        assertTrue(notHeld.getMessage().contains("is not held"), notHeld.getMessage());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> v.mat(0));
        assertTrue(e.getMessage().contains("no longer valid") && e.getMessage().contains("view the next frame"), e.getMessage());
        assertThrows(IllegalStateException.class, v::javacvFrame);
        assertThrows(IllegalStateException.class, () -> v.plane(0));
        assertThrows(IllegalStateException.class, v::avFrame);
        assertTrue(m.empty(), "the Mat handed out was emptied");
        Mat out = new Mat();
        RuntimeException cv = assertThrows(RuntimeException.class, () -> cvtColor(m, out, COLOR_BGR2GRAY));
        assertTrue(cv.getMessage().contains("empty"), cv.getMessage());
        assertEquals(0, j.imageWidth);
        assertEquals(0, j.image[0].capacity());
        java.nio.file.Path mkv = java.nio.file.Files.createTempFile("vbuf-revoked-", ".mkv");
        try (org.bytedeco.javacv.FFmpegFrameRecorder rec = new org.bytedeco.javacv.FFmpegFrameRecorder(mkv.toString(), 64, 48)) {
            rec.setFormat("matroska");
            rec.setVideoCodec(org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_FFV1);
            rec.setPixelFormat(AV_PIX_FMT_YUV420P);
            rec.start();
            assertThrows(Exception.class, () -> rec.record(j, AV_PIX_FMT_BGR24), "the recorder refuses the revoked JavaCV frame");
        } finally {
            java.nio.file.Files.deleteIfExists(mkv);
        }
        assertThrows(IllegalStateException.class, () -> scoped.get(0), "the scoped buffer is revoked");

        // released directly, not through the view: the view still refuses
        produce(1);
        Frame g = pool.consumer("g").acquireFilled(Duration.ofSeconds(5));
        FrameView w = bridge.view(g);
        g.close();
        assertFalse(w.isValid());
        assertThrows(IllegalStateException.class, () -> w.mat(0));
        w.close(); // nothing left to release
        assertEquals(3, pool.getFreeCount());
    }

    @Test
    void theAvBufferRefFreeCallbackReleasesTheFrame() {
        open(PixelFormat.I420, 160, 120, 64, 3);
        produce(1);
        Consumer cons = pool.consumer("g");
        Frame f = cons.acquireFilled(Duration.ofSeconds(5));
        FrameView v = bridge.view(f);
        AVFrame av = v.avFrame();
        assertSame(v, bridge.view(f), "viewing a held frame again gives the same view, its AVFrame reference kept");
        AVFrame second = av_frame_alloc();
        assertEquals(0, av_frame_ref(second, av)); // as an encoder keeping the picture would
        v.close();
        assertTrue(f.isOpen(), "FFmpeg still references the buffer: the frame stays held");
        assertEquals(2, pool.getFreeCount());
        av_frame_free(av);
        assertTrue(f.isOpen(), "one reference left");
        assertEquals(1, v.avReferences());
        av_frame_free(second);
        assertFalse(f.isOpen(), "the last reference's free callback released the frame");
        assertEquals(3, pool.getFreeCount());
    }

    /**
     * FFmpeg drops its reference on another thread while the holder closes the view, in either order:
     * every frame is released exactly once (the pool ends with every buffer free, every sequence seen
     * once, no stale-handle error), over many rounds.
     */
    @Test
    void theLastOfViewAndAvFrameReleasesExactlyOnceAcrossThreads() throws Exception {
        open(PixelFormat.GRAY8, 64, 16, 64, 4);
        Consumer cons = pool.consumer("g");
        var frees = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            java.util.List<java.util.concurrent.Future<?>> pending = new java.util.ArrayList<>();
            long expected = 0;
            for (int i = 0; i < 3000; i++) {
                Frame p = pool.acquireFree(Duration.ofSeconds(10));
                assertNotNull(p, "round " + i + ": no free buffer: a frame was not released");
                p.submit();
                Frame c = cons.acquireFilled(Duration.ofSeconds(10));
                assertEquals(expected++, c.sequence());
                FrameView v = bridge.view(c);
                AVFrame av = v.avFrame();
                pending.add(frees.submit(() -> av_frame_free(av))); // FFmpeg's thread lets go
                if ((i & 1) == 0) Thread.onSpinWait();
                v.close();
                if (pending.size() == 2) pending.remove(0).get();
            }
            for (var f : pending) f.get();
        } finally {
            frees.shutdown();
            assertTrue(frees.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS));
        }
        assertEquals(4, pool.getFreeCount(), "every frame released once");
        assertEquals(0, pool.stats().groups().get(0).held());
    }

    @Test
    void aUsersAvFrameFillsAPoolFrameInPlace() {
        open(PixelFormat.I420, 160, 120, 64, 3);
        // the user's own picture, in FFmpeg's memory
        AVFrame src = av_frame_alloc();
        src.format(AV_PIX_FMT_YUV420P);
        src.width(160);
        src.height(120);
        assertEquals(0, av_frame_get_buffer(src, 32));
        for (int p = 0; p < 3; p++) {
            int rows = p == 0 ? 120 : 60;
            MemorySegment s = MemorySegment.ofAddress(src.data(p).address()).reinterpret((long) src.linesize(p) * rows);
            s.fill((byte) (40 + p));
        }
        Frame f = pool.acquireFree(Duration.ofSeconds(5));
        FrameView v = bridge.view(f);
        AVFrame dst = v.avFrame();
        assertEquals(0, av_frame_copy(dst, src));
        IllegalStateException busy = assertThrows(IllegalStateException.class, v::submit);
        assertTrue(busy.getMessage().contains("av_frame_free"), busy.getMessage());
        av_frame_free(dst);
        v.submit();
        av_frame_free(src);

        Frame c = pool.consumer("g").acquireFilled(Duration.ofSeconds(5));
        try (FrameView r = bridge.view(c)) {
            for (int p = 0; p < 3; p++) assertEquals(40 + p, r.plane(p).get(5), "plane " + p);
            assertEquals(40.0, mean(r.mat(0)).get(0), 0.0);
        }
    }

    @Test
    void layoutsJavacvCannotReadAreRefusedWithWhatToDo() {
        open(PixelFormat.I420, 100, 60, 64, 2); // strides padded to 128 and 64: not packed
        Frame f = pool.acquireFree(Duration.ofSeconds(5));
        try (FrameView v = bridge.view(f)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, v::javacvFrame);
            assertTrue(e.getMessage().contains("FrameLayout.of(I420, 100, 60, 1)"), e.getMessage());
            assertEquals(90, v.mat().rows(), "OpenCV's one-Mat I420 still fits: chroma stride is half the luma stride");
            IndexOutOfBoundsException oob = assertThrows(IndexOutOfBoundsException.class, () -> v.mat(3));
            assertTrue(oob.getMessage().contains("3 planes"), oob.getMessage());
            assertEquals(64, v.mat(1).step());
        }
    }

    @Test
    void aFrameOfAnotherPoolIsRefused() {
        open(PixelFormat.GRAY8, 32, 32, 64, 2);
        try (FramePool other = FramePool.builder().layout(FrameLayout.of(PixelFormat.GRAY8, 32, 32)).count(2).build()) {
            Frame f = other.acquireFree(Duration.ofSeconds(5));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> bridge.view(f));
            assertTrue(e.getMessage().contains("FrameBridge.of(frame.pool())"), e.getMessage());
            f.close();
        }
    }

    /** The views are made once per buffer and side: afterwards viewing, Mats, JavaCV frames and release allocate nothing. */
    @Test
    void viewsAreReusedWithoutAllocation() {
        open(PixelFormat.RGBA, 64, 32, 64, 4);
        var mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        Consumer cons = pool.consumer("g");
        long before = 0;
        int rounds = 20_000, warm = 5_000;
        for (int i = 0; i < rounds; i++) {
            if (i == warm) before = mx.getCurrentThreadAllocatedBytes();
            Frame f = pool.acquireFree(5, java.util.concurrent.TimeUnit.SECONDS);
            f.submit();
            Frame c = cons.acquireFilled(5_000_000_000L);
            try (FrameView v = bridge.view(c)) {
                if (v.mat(0).cols() != 64 || v.javacvFrame().imageWidth != 64 || v.plane(0).limit() < 64) fail("wrong view");
            }
        }
        long bytes = mx.getCurrentThreadAllocatedBytes() - before;
        System.out.printf("views: %d bytes allocated over %d frames after warm-up (%.3f B/frame), %d views made%n",
                bytes, rounds - warm, (double) bytes / (rounds - warm), bridge.viewCount());
        assertTrue(bridge.viewCount() <= 8, "at most one view per buffer and side: " + bridge.viewCount());
        // a view, a Mat header or a JavaCV frame made per frame would be 16+ bytes per frame
        assertTrue(bytes < 16L * (rounds - warm), bytes + " bytes over " + (rounds - warm) + " frames");
    }
}
