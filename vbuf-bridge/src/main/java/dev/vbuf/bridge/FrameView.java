package dev.vbuf.bridge;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.format.Plane;
import dev.vbuf.pool.Frame;
import org.bytedeco.ffmpeg.avutil.AVBufferRef;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.avutil.Free_Pointer_BytePointer;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.opencv.opencv_core.Mat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicInteger;

import static org.bytedeco.ffmpeg.global.avutil.AV_BUFFER_FLAG_READONLY;
import static org.bytedeco.ffmpeg.global.avutil.av_buffer_create;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.opencv.global.opencv_core.CV_16UC;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC;

/**
 * One pool frame seen by JavaCV, OpenCV, FFmpeg and NIO: the same memory, no copy.
 *
 * <h2>What it gives</h2>
 * <ul>
 *   <li>{@link #plane(int)}: a {@code ByteBuffer} over plane i (native byte order; read-only for a
 *       consumer, whose buffer other groups read too); {@link #scopedPlane(int)}: the same, revoked
 *       at release.</li>
 *   <li>{@link #mat(int)}: an OpenCV {@code Mat} over plane i ({@code CV_8UC(n)} or
 *       {@code CV_16UC(n)}, the plane's stride as its step); {@link #mat()}: the whole picture as
 *       OpenCV lays it out for {@code cvtColor} (a packed format's one plane; NV12, NV21, I420 and
 *       YV12 as one {@code CV_8UC1} Mat of height x 3/2 rows, when the pool's planes follow each
 *       other with that step).</li>
 *   <li>{@link #javacvFrame()}: a JavaCV {@code Frame} whose {@code image[0]} is the buffer (what
 *       {@code FFmpegFrameRecorder.record(frame, pixelFormat)} and JavaCV's converters read).</li>
 *   <li>{@link #avFrame()}: an FFmpeg {@code AVFrame} whose {@code data[]}/{@code linesize[]} are the
 *       planes and whose {@code buf[0]} is an {@code AVBufferRef} over the buffer: the frame stays
 *       held until FFmpeg drops the last reference (an encoder may keep one), and its free callback
 *       releases it.</li>
 * </ul>
 *
 * <h2>Lifetime, and what is refused after release</h2>
 * The view is valid while its frame is held. {@link #close()} (try-with-resources) revokes what the
 * view handed out and releases the frame (a producer's unsubmitted frame is aborted); a frame that
 * an {@code AVFrame} still references is released when the last reference goes, not before.
 * After that:
 * <ul>
 *   <li>every method of this view throws {@link IllegalStateException}, also when the frame was
 *       released directly ({@code Frame.close()}) rather than through the view;</li>
 *   <li>the Mats it returned are emptied ({@code Mat.release()} on a header over outside memory
 *       drops the pointer): OpenCV refuses them ({@code !_src.empty()});</li>
 *   <li>the JavaCV frame's image is an empty buffer and its size 0 x 0: JavaCV's converters return
 *       empty results and {@code FFmpegFrameRecorder.record} throws (it cannot scale 0 x 0);</li>
 *   <li>buffers from {@link #scopedPlane(int)} throw {@code IllegalStateException} on access.</li>
 * </ul>
 * Not revocable: buffers from {@link #plane(int)} (a {@code ByteBuffer} cannot lose its memory
 * without an arena per hand-out, which {@link #scopedPlane} pays for), native pointers already
 * taken from any view (a {@code Mat} ROI or copy of the header, {@code BytePointer}s), and views
 * of a frame released directly (the bridge does not see that release). As with the pool's own
 * {@code Frame} handles, the view objects are issued again for the buffer's next use: keep the
 * frame's number ({@code Frame.sequence()}), not the view or its Mats.
 *
 * <h2>Cost</h2>
 * After the first use of a buffer, {@code bridge.view(frame)}, {@link #plane}, {@link #mat},
 * {@link #javacvFrame()} and {@link #close()} allocate nothing. {@link #scopedPlane} allocates an
 * arena per frame; {@link #avFrame()} an {@code AVFrame} and its JavaCPP wrappers per call.
 */
public final class FrameView implements AutoCloseable {
    private static final Buffer[] REVOKED = {ByteBuffer.allocateDirect(0)};
    private static final FreeCallback FREE = new FreeCallback();
    /** AVFrame starts with {@code uint8_t *data[8]; int linesize[8];} (libavutil/frame.h). */
    private static final long AV_DATA = 0, AV_LINESIZE = 64;

    private final FrameBridge bridge;
    private final Frame frame;
    final int index;
    private final FrameLayout layout;
    private final PixelFormat format;
    private final boolean producer;
    private final MemorySegment buffer;
    private final int planeCount;

    private long gen;
    private boolean open;
    /** The picture's visible size for this use (frame metadata; a decoder's layout may be padded beyond it). */
    private int vw, vh;
    /** 1 for the view while open, plus one per AVBufferRef handed to FFmpeg; the frame is released at 0. */
    private final AtomicInteger holds = new AtomicInteger();

    private ByteBuffer[] planes;         // writable, made once
    private ByteBuffer[] readPlanes;     // what plane(i) returns
    private Mat[] planeTemplates, planeMats;
    private Mat wholeTemplate, wholeMat;
    private int armedMats;               // bit i: planeMats[i] armed for this use; bit 31: wholeMat
    private org.bytedeco.javacv.Frame jcv;
    private Buffer[] jcvImage;
    private boolean jcvArmed;
    private Arena scope;

    FrameView(FrameBridge bridge, Frame frame, int index) {
        this.bridge = bridge;
        this.frame = frame;
        this.index = index;
        this.layout = bridge.layout();
        this.format = layout.format();
        this.producer = frame.isProducerSide();
        this.buffer = frame.segment();
        this.planeCount = layout.planeCount();
        if (buffer.byteSize() < layout.frameBytes()) {
            throw new IllegalStateException("buffer " + frame.id() + " of pool " + bridge.pool().name() + " holds " + buffer.byteSize()
                    + " bytes, less than its layout's " + layout.frameBytes() + " (" + layout + ")");
        }
    }

    boolean isBoundTo(Frame f) {
        return open && f == frame && frame.generation() == gen;
    }

    void bind() {
        gen = frame.generation();
        open = true;
        holds.set(1);
        armedMats = 0;
        jcvArmed = false;
        int w = frame.width(), h = frame.height();
        if (w < 1 || w > layout.width()) w = layout.width();
        if (h < 1 || h > layout.height()) h = layout.height();
        if (w != vw || h != vh) { // a new visible size: the Mat headers are made again for it
            vw = w;
            vh = h;
            disposeMats();
        }
    }

    /** @return the visible width of the picture (the frame's; at most the layout's) */
    public int width() {
        check("width");
        return vw;
    }

    /** @return the visible height of the picture */
    public int height() {
        check("height");
        return vh;
    }

    private void check(String what) {
        if (!open || !frame.isOpen() || frame.generation() != gen || bridge.isClosed()) {
            throw new IllegalStateException(what + ": the view of buffer " + frame.id() + " in pool " + bridge.pool().name()
                    + " is no longer valid: its frame was " + (producer ? "submitted or aborted" : "released")
                    + (bridge.isClosed() ? " (the bridge is closed)" : "")
                    + ". A view is valid only while its frame is held; view the next frame instead.");
        }
    }

    private void checkPlane(int i) {
        if (i < 0 || i >= planeCount) {
            throw new IndexOutOfBoundsException("plane " + i + " does not exist: " + format + " has " + planeCount
                    + " plane" + (planeCount == 1 ? "" : "s") + " (0.." + (planeCount - 1) + ")");
        }
    }

    /** @return the vbuf frame this view shows (for its metadata: pts, sequence, flags) */
    public Frame frame() {
        check("frame");
        return frame;
    }

    /** @return the pixel layout (format, size, plane offsets and strides) */
    public FrameLayout layout() {
        return layout;
    }

    /** @return true from {@code bridge.view(frame)} until the frame is released, submitted or aborted */
    public boolean isValid() {
        return open && frame.isOpen() && frame.generation() == gen && !bridge.isClosed();
    }

    /** @return the address of plane i (for native code; not revocable) */
    public long planeAddress(int i) {
        check("planeAddress");
        checkPlane(i);
        return buffer.address() + layout.plane(i).offset();
    }

    private void makePlanes() {
        if (planes != null) return;
        ByteBuffer[] p = new ByteBuffer[planeCount], r = new ByteBuffer[planeCount];
        for (int i = 0; i < planeCount; i++) {
            Plane pl = layout.plane(i);
            p[i] = buffer.asSlice(pl.offset(), pl.bytes()).asByteBuffer().order(ByteOrder.nativeOrder());
            r[i] = producer ? p[i] : p[i].asReadOnlyBuffer().order(ByteOrder.nativeOrder());
        }
        planes = p;
        readPlanes = r;
    }

    /**
     * Plane i as a {@code ByteBuffer} over the pool buffer: position 0, limit = the plane's bytes
     * (stride x rows), native byte order; read-only for a consumer. Not revoked at release (see the
     * class comment); {@link #scopedPlane(int)} is.
     *
     * @param i the plane, 0 .. planes - 1
     * @return the buffer (the same object each time this buffer is viewed)
     */
    public ByteBuffer plane(int i) {
        check("plane");
        checkPlane(i);
        makePlanes();
        ByteBuffer b = readPlanes[i];
        b.clear();
        return b;
    }

    /**
     * Plane i as a {@code ByteBuffer} that is revoked when the view is closed: any get or put after
     * that throws {@code IllegalStateException}. It belongs to the calling thread (a confined arena,
     * closed at release). Allocates an arena per frame; JNI code reading it through
     * {@code GetDirectBufferAddress} is not stopped.
     *
     * @param i the plane
     * @return the buffer
     */
    public ByteBuffer scopedPlane(int i) {
        check("scopedPlane");
        checkPlane(i);
        if (scope == null) scope = Arena.ofConfined();
        Plane pl = layout.plane(i);
        ByteBuffer b = MemorySegment.ofAddress(buffer.address() + pl.offset()).reinterpret(pl.bytes(), scope, null)
                .asByteBuffer().order(ByteOrder.nativeOrder());
        return producer ? b : b.asReadOnlyBuffer().order(ByteOrder.nativeOrder());
    }

    /** Samples per element and bytes per sample of plane i as OpenCV sees it. */
    private int matType(int i) {
        Plane pl = layout.plane(i);
        int cols = i == 0 ? layout.width() : layout.width() / format.horizontalSubsampling();
        int depth = format.bytesPerSample();
        int channels = pl.rowBytes() / (cols * depth);
        if (channels < 1 || channels > 4 || channels * cols * depth != pl.rowBytes()) {
            throw new IllegalStateException("plane " + i + " of " + format + " (" + pl.rowBytes() + " bytes a row) has no OpenCV element type");
        }
        return depth == 1 ? CV_8UC(channels) : CV_16UC(channels);
    }

    private int matCols(int i) {
        // chroma planes of planar formats are narrower; a packed 4:2:2 row has one element per pixel
        int hs = format.horizontalSubsampling();
        return i == 0 ? vw : (vw + hs - 1) / hs;
    }

    private int matRows(int i) {
        int vs = format.verticalSubsampling();
        return i == 0 ? vh : (vh + vs - 1) / vs;
    }

    /**
     * Plane i as an OpenCV {@code Mat} over the pool buffer: rows = the plane's rows, cols = its
     * samples across (the chroma planes of NV12 are {@code CV_8UC2} at half width, YUYV is
     * {@code CV_8UC2} at full width, RGBA {@code CV_8UC4}, P010 {@code CV_16UC1}/{@code CV_16UC2}),
     * step = the plane's stride. Emptied at release.
     *
     * @param i the plane
     * @return the Mat (the same header each time this buffer is viewed)
     */
    public Mat mat(int i) {
        check("mat");
        checkPlane(i);
        makePlanes();
        if (planeMats == null) {
            planeTemplates = new Mat[planeCount];
            planeMats = new Mat[planeCount];
        }
        if (planeTemplates[i] == null) {
            Plane pl = layout.plane(i);
            planeTemplates[i] = new Mat(matRows(i), matCols(i), matType(i), new Pointer(planes[i]), pl.stride());
            planeMats[i] = new Mat();
        }
        if ((armedMats & (1 << i)) == 0) {
            planeMats[i].put(planeTemplates[i]);
            armedMats |= 1 << i;
        }
        return planeMats[i];
    }

    /**
     * The whole picture as one OpenCV {@code Mat}, as {@code cvtColor} takes it: for a packed format
     * (RGB, RGBA, YUYV, GRAY ...) the same as {@link #mat(int) mat(0)}; for NV12, NV21, I420 and YV12
     * one {@code CV_8UC1} Mat of width x (height x 3/2) rows (for example
     * {@code cvtColor(view.mat(), bgr, COLOR_YUV2BGR_NV12)}).
     *
     * @return the Mat (emptied at release)
     * @throws IllegalStateException for NV16 and P010 (OpenCV has no single-Mat form of them: use
     *                               {@link #mat(int)} per plane), or when the pool's planes do not
     *                               follow each other with one step
     */
    public Mat mat() {
        check("mat");
        if (planeCount == 1) return mat(0);
        if (wholeTemplate == null) {
            boolean yuv420 = format == PixelFormat.NV12 || format == PixelFormat.NV21 || format == PixelFormat.I420 || format == PixelFormat.YV12;
            if (!yuv420) {
                throw new IllegalStateException(format + " has no single-Mat form in OpenCV; use mat(plane) for each of its "
                        + planeCount + " planes");
            }
            Plane y = layout.plane(0);
            long step = y.stride();
            long end = y.offset() + step * y.rows();
            for (int p = 1; p < planeCount; p++) {
                Plane c = layout.plane(p);
                long want = planeCount == 2 ? step : step / 2;
                if (c.offset() != end || c.stride() != want) {
                    throw new IllegalStateException("the planes of this pool's " + format + " layout (" + layout + ") do not follow each other"
                            + " with one step, so OpenCV cannot read them as one Mat; use mat(plane) per plane, or build the pool with"
                            + " a stride alignment that divides the width (FrameLayout.of(format, width, height, 16))");
                }
                end = c.offset() + c.stride() * (long) c.rows();
            }
            makePlanes();
            ByteBuffer all = buffer.asSlice(y.offset(), end - y.offset()).asByteBuffer();
            // the chroma rows follow the layout's luma rows: a padded height shows as extra rows
            wholeTemplate = new Mat(y.rows() * 3 / 2, vw, CV_8UC(1), new Pointer(all), step);
            wholeMat = new Mat();
        }
        if ((armedMats & (1 << 31)) == 0) {
            wholeMat.put(wholeTemplate);
            armedMats |= 1 << 31;
        }
        return wholeMat;
    }

    /**
     * The picture as a JavaCV {@code Frame} over the pool buffer, as JavaCV's grabbers lay out
     * theirs: {@code image[0]} the buffer from plane 0 on, {@code imageStride} plane 0's stride in
     * samples, {@code imageChannels} its samples per pixel, {@code imageDepth} 8 or 16 bits unsigned,
     * {@code timestamp} the frame's pts. Record it with
     * {@code recorder.record(view.javacvFrame(), view.avPixelFormat())}.
     *
     * @return the frame (the same object each time this buffer is viewed)
     * @throws IllegalStateException for a planar format whose planes are not packed one after the
     *                               other with stride = row bytes: JavaCV (and FFmpegFrameRecorder)
     *                               locate chroma planes from the width alone
     */
    public org.bytedeco.javacv.Frame javacvFrame() {
        check("javacvFrame");
        if (jcv == null) {
            makePlanes();
            long end = 0;
            for (int p = 0; p < planeCount; p++) {
                Plane pl = layout.plane(p);
                if (planeCount > 1 && (pl.offset() != end || pl.stride() != pl.rowBytes() || vw != layout.width() || vh != layout.height())) {
                    throw new IllegalStateException("JavaCV reads a " + format + " picture as planes packed one after the other with no"
                            + " padding, and this pool's layout (" + layout + ") pads plane " + p + "; build the pool with"
                            + " FrameLayout.of(" + format + ", " + layout.width() + ", " + layout.height() + ", 1), or use avFrame()"
                            + " or mat(plane), which follow any stride");
                }
                end = pl.offset() + pl.bytes();
            }
            ByteBuffer all = planeCount == 1 ? planes[0] : buffer.asSlice(0, end).asByteBuffer().order(ByteOrder.nativeOrder());
            Buffer img = format.bytesPerSample() == 2 ? all.asShortBuffer() : all;
            jcvImage = new Buffer[] {img};
            jcv = new org.bytedeco.javacv.Frame();
        }
        if (!jcvArmed) {
            Plane p0 = layout.plane(0);
            int depth = format.bytesPerSample();
            jcv.imageWidth = vw;
            jcv.imageHeight = vh;
            jcv.imageDepth = depth == 2 ? org.bytedeco.javacv.Frame.DEPTH_USHORT : org.bytedeco.javacv.Frame.DEPTH_UBYTE;
            jcv.imageChannels = p0.rowBytes() / (layout.width() * depth);
            jcv.imageStride = p0.stride() / depth;
            jcv.image = jcvImage;
            jcvImage[0].clear();
            jcv.keyFrame = (frame.flags() & Frame.FLAG_KEY_FRAME) != 0;
            jcv.timestamp = frame.pts();
            jcv.type = org.bytedeco.javacv.Frame.Type.VIDEO;
            jcvArmed = true;
        }
        return jcv;
    }

    /** @return FFmpeg's pixel format for this picture ({@code AV_PIX_FMT_*}), or -1 for a format FFmpeg lacks */
    public int avPixelFormat() {
        return AvFormats.toAv(format);
    }

    /**
     * The picture as an FFmpeg {@code AVFrame} over the pool buffer: {@code data[i]} /
     * {@code linesize[i]} the planes, {@code format}/{@code width}/{@code height} the layout's,
     * {@code pts} the frame's, and {@code buf[0]} an {@code AVBufferRef} over the whole buffer
     * (read-only for a consumer). The frame stays held while FFmpeg holds a reference: give it to
     * {@code avcodec_send_frame}, {@code sws_scale}, a filter graph, and {@code av_frame_free} it;
     * the last reference's free callback releases the frame (when the view was closed too).
     * A producer can fill it ({@code sws_scale} into it, {@code av_frame_copy} to it) and
     * {@link #submit()} once it was freed.
     *
     * @return a new AVFrame the caller frees with {@code av_frame_free}
     * @throws IllegalStateException if the format has no FFmpeg pixel format, or FFmpeg is out of memory
     */
    public AVFrame avFrame() {
        check("avFrame");
        int avFormat = AvFormats.toAv(format);
        if (avFormat < 0) throw new IllegalStateException(format + " has no FFmpeg pixel format; FFmpeg has none for YV12 (use I420)");
        AVFrame av = av_frame_alloc();
        if (av == null || av.isNull()) throw new IllegalStateException("av_frame_alloc failed (out of memory)");
        av.format(avFormat);
        av.width(vw);
        av.height(vh);
        av.pts(frame.pts());
        MemorySegment f = MemorySegment.ofAddress(av.address()).reinterpret(AV_LINESIZE + 4 * 8);
        for (int p = 0; p < planeCount; p++) {
            Plane pl = layout.plane(p);
            f.set(ValueLayout.JAVA_LONG, AV_DATA + 8L * p, buffer.address() + pl.offset());
            f.set(ValueLayout.JAVA_INT, AV_LINESIZE + 4L * p, pl.stride());
        }
        holds.incrementAndGet();
        AVBufferRef ref = av_buffer_create(new BytePointer(buffer.asByteBuffer()), buffer.byteSize(), FREE,
                new Key(((long) bridge.id << 32) | index), producer ? 0 : AV_BUFFER_FLAG_READONLY);
        if (ref == null || ref.isNull()) {
            holds.decrementAndGet();
            av_frame_free(av);
            throw new IllegalStateException("av_buffer_create failed (out of memory)");
        }
        av.buf(0, ref);
        av.extended_data(av.data());
        return av;
    }

    /** @return AVBufferRefs handed out by {@link #avFrame()} that FFmpeg still holds */
    public int avReferences() {
        return Math.max(0, holds.get() - (open ? 1 : 0));
    }

    /**
     * Submits a producer's frame to the consumers, after revoking this view's Mats and JavaCV frame.
     *
     * @throws IllegalStateException on a consumer's view, or while FFmpeg still holds a reference
     *                               from {@link #avFrame()} (free the AVFrame first: a picture must
     *                               not change after it is published)
     */
    public void submit() {
        check("submit");
        if (!producer) throw new IllegalStateException("submit: this is a consumer's view (group " + frame.group() + "); close it to release the frame");
        if (holds.get() != 1) {
            throw new IllegalStateException("submit: FFmpeg still holds " + (holds.get() - 1) + " reference(s) to buffer " + frame.id()
                    + " from avFrame(); av_frame_free every AVFrame (and drain any encoder or filter holding it) before submitting");
        }
        revoke();
        open = false;
        holds.set(0);
        frame.submit();
    }

    /**
     * Revokes what this view handed out (see the class comment) and releases the frame (a
     * producer's unsubmitted frame is aborted); a frame an AVFrame still references is released
     * when FFmpeg drops the last reference. Closing twice does nothing.
     */
    @Override
    public void close() {
        if (!open) return;
        revoke();
        open = false;
        unhold();
    }

    private void revoke() {
        if (planeMats != null) {
            for (int i = 0; i < planeMats.length; i++) if ((armedMats & (1 << i)) != 0) planeMats[i].release();
        }
        if ((armedMats & (1 << 31)) != 0) wholeMat.release();
        armedMats = 0;
        if (jcvArmed) {
            jcv.image = REVOKED;
            jcv.imageWidth = 0;
            jcv.imageHeight = 0;
            jcv.imageStride = 0;
            jcvArmed = false;
        }
        if (scope != null) {
            scope.close();
            scope = null;
        }
    }

    /** One holder let go; the last one releases (or aborts) the frame. */
    void unhold() {
        if (holds.decrementAndGet() == 0 && frame.isOpen() && frame.generation() == gen) {
            frame.close();
        }
    }

    /** Frees the native Mat headers (bridge close). */
    void dispose() {
        revoke();
        open = false;
        disposeMats();
    }

    private void disposeMats() {
        for (Mat[] ms : new Mat[][] {planeTemplates, planeMats}) {
            if (ms != null) for (Mat m : ms) if (m != null) m.close();
        }
        if (wholeTemplate != null) wholeTemplate.close();
        if (wholeMat != null) wholeMat.close();
        planeTemplates = planeMats = null;
        wholeTemplate = wholeMat = null;
        armedMats = 0;
    }

    @Override
    public String toString() {
        return "view of buffer " + frame.id() + " (" + (producer ? "producer" : "group " + frame.group()) + ", " + layout + ")"
                + (isValid() ? "" : " [released]");
    }

    /** The opaque pointer of an AVBufferRef: bridge id and view index, not an address. */
    private static final class Key extends Pointer {
        Key(long value) {
            address = value;
        }
    }

    /**
     * FFmpeg dropped the last reference to a buffer handed out by {@link #avFrame()}. One instance
     * for the JVM (JavaCPP has a fixed number of native thunks per callback class).
     */
    private static final class FreeCallback extends Free_Pointer_BytePointer {
        @Override
        public void call(Pointer opaque, BytePointer data) {
            long key = opaque.address();
            FrameBridge b = FrameBridge.BY_ID.get((int) (key >>> 32));
            FrameView v = b == null ? null : b.viewAt((int) key);
            if (v != null) {
                try {
                    v.unhold();
                } catch (RuntimeException e) {
                    b.callbackError(e);
                }
            }
        }
    }
}
