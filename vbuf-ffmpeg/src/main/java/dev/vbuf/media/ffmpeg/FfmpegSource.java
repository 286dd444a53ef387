package dev.vbuf.media.ffmpeg;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.media.Geometry;
import dev.vbuf.media.MediaCounters;
import dev.vbuf.media.MediaException;
import dev.vbuf.media.Source;
import dev.vbuf.media.StreamInfo;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;

import static org.bytedeco.ffmpeg.global.avcodec.*;
import static org.bytedeco.ffmpeg.global.avformat.*;
import static org.bytedeco.ffmpeg.global.avutil.*;
import static org.bytedeco.ffmpeg.global.swscale.*;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Any video file FFmpeg opens, decoded <b>into pool buffers</b>.
 *
 * <h2>Overview</h2>
 * The decoder's {@code get_buffer2} is ours (an upcall stub of java.lang.foreign): it takes a free pool frame,
 * points the AVFrame's {@code data[]} / {@code linesize[]} at the frame's planes and wraps the
 * buffer in an {@code AVBufferRef} (av_buffer_create) whose free callback (another upcall)
 * fires when FFmpeg drops its <em>last</em> reference. The pool is built with the layout the
 * codec asks for: {@code avcodec_align_dimensions2} gives the padded width and height and the
 * line-size alignment, and the pool's {@link FrameLayout} uses them (strides are multiples of
 * 64 bytes, at least the codec's alignment), with 256 bytes of slack after the last plane.
 *
 * <h2>Ownership and order</h2>
 * Pictures go to the consumers in <em>presentation order</em>: the moment
 * {@code avcodec_receive_frame} returns one (B-frames and other reordering undone by the
 * decoder), its pts and size are written into the pool frame and it is published with
 * {@link FramePool#submitKeepingReference}: the decoder's reference is one more holder of the
 * slot, read-only like every consumer. The free callback drops that reference when FFmpeg
 * drops its last one (intra codecs at once, H.264 when the picture leaves the reference list),
 * and the slot is IDLE again only when the consumers released it too. A buffer freed without
 * having been output (flush, error, a picture the decoder never shows) is aborted back to the
 * pool. So a picture never changes while anybody reads it, no pixel is copied, and the pool's
 * bounded size covers the decoder's references ({@link #maxHeldFrames()}). A buffer the decoder
 * outputs a second time (VP9's show-existing-frame) is copied once into a fresh pool frame,
 * counted in {@link MediaCounters#copies}.
 *
 * <h2>Truncated files</h2>
 * At the end of the file the pictures decoded are compared with what the container promised
 * (its frame count, else its duration times the frame rate); fewer, a demuxer error, or a packet
 * the decoder refuses is a {@link MediaException} naming the file, the last good picture and the
 * byte offset, unless truncation is allowed ({@link #allowTruncated}), when it is a warning
 * ({@link #truncation()}). FFmpeg's own log lines go to the {@code dev.vbuf.ffmpeg} logger
 * (Av's log callback).
 *
 * <h2>Copy fallback</h2>
 * A codec without {@code AV_CODEC_CAP_DR1}, or a picture whose format or size changed mid-
 * stream, is decoded into FFmpeg's own buffers and copied once into a pool frame, counted in
 * {@link MediaCounters#copies}.
 */
public final class FfmpegSource implements Source {
    static final int AVERROR_EAGAIN = -11, AVERROR_ENOMEM = -12;
    private static final int SLACK = 256;

    private final String name;
    private final AVFormatContext fmt;
    private final AVCodecContext ctx;
    private final AVStream stream;
    private final int streamIndex;
    private final StreamInfo info;
    private final FrameLayout layout;
    private final PixelFormat format;
    private final int avFormat;
    private final boolean dr1;
    private final int held;
    private final double fps;
    /** Pictures the container promises (frame count, else duration x rate), or -1 when it does not say. */
    private final long expected;
    private final String expectedFrom;
    private volatile boolean allowTruncated;
    private volatile String truncation;

    // get_buffer2 state, set for the duration of produce(); by slot id, guarded by this
    private volatile FramePool pool;
    private MediaCounters counters;
    /** The producer frame the decoder is writing (get_buffer2 to output), by slot id. */
    private Frame[] decoding;
    /** The decoder's reference to an output picture (submitKeepingReference), by slot id. */
    private Frame[] references;
    /** Buffer addresses by slot id (0 = not seen yet), to find a slot from a data pointer. */
    private long[] bases;
    private long bufferBytes;
    /**
     * The decoder's callbacks, get_buffer2 and the AVBufferRef free callback, are upcall stubs of
     * java.lang.foreign bound to this source (alive until {@link #close()}), and av_buffer_create
     * a downcall: pointers cross as {@code long}s (one integer register on the LP64 ABIs vbuf ships
     * FFmpeg for, x86-64 and aarch64), so a picture allocates nothing on the Java heap. JavaCPP's
     * callbacks made a Java object for every pointer argument and result, about 860 B per picture.
     */
    private final Arena callbacks = Arena.ofShared();
    private final MemorySegment getBufferStub, freeBufferStub;
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle AV_BUFFER_CREATE = downcall("av_buffer_create",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT));
    private static final MethodHandle DEFAULT_GET_BUFFER2 = downcall("avcodec_default_get_buffer2",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
    private static final long FRAME_FORMAT = Loader.offsetof(AVFrame.class, "format"),
            FRAME_WIDTH = Loader.offsetof(AVFrame.class, "width"), FRAME_HEIGHT = Loader.offsetof(AVFrame.class, "height"),
            FRAME_BUF = Loader.offsetof(AVFrame.class, "buf"), FRAME_DATA = Loader.offsetof(AVFrame.class, "data"),
            FRAME_EXTENDED_DATA = Loader.offsetof(AVFrame.class, "extended_data"),
            CTX_GET_BUFFER2 = Loader.offsetof(AVCodecContext.class, "get_buffer2");
    private static final java.time.Duration DECODER_WAIT = java.time.Duration.ofMillis(500);
    private volatile Throwable callbackError;
    private boolean ctxFreed;
    private final boolean loop;
    /** An MPEG transport stream (checked for a cut inside a 188-byte packet at its end). */
    private final boolean mpegts;
    /** libswscale context when the decoder's format is converted (--convert), else null. */
    private SwsContext sws;
    /** The destination of sws_scale: data[] / linesize[] pointed at the pool frame's planes. */
    private AVFrame swsDst;

    public FfmpegSource(String name) throws IOException {
        this(name, false);
    }

    /** @param loop seek back to the start at the end of the file (the picture numbers restart at 0) */
    public FfmpegSource(String name, boolean loop) throws IOException {
        this(name, loop, false);
    }

    /**
     * @param loop    seek back to the start at the end of the file (the picture numbers restart at 0)
     * @param convert when the decoder's pixel format has no vbuf format, convert each picture to the
     *                nearest one vbuf has through libswscale (one counted copy per picture) instead of
     *                refusing the file
     */
    public FfmpegSource(String name, boolean loop, boolean convert) throws IOException {
        Av.init();
        this.name = name;
        this.loop = loop;
        try {
            getBufferStub = LINKER.upcallStub(MethodHandles.lookup().findVirtual(FfmpegSource.class, "getBuffer",
                    MethodType.methodType(int.class, long.class, long.class, int.class)).bindTo(this),
                    FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT), callbacks);
            freeBufferStub = LINKER.upcallStub(MethodHandles.lookup().findVirtual(FfmpegSource.class, "freeBuffer",
                    MethodType.methodType(void.class, long.class, long.class)).bindTo(this),
                    FunctionDescriptor.ofVoid(JAVA_LONG, JAVA_LONG), callbacks);
        } catch (ReflectiveOperationException e) {
            callbacks.close();
            throw new IllegalStateException(e);
        }
        if (!name.contains("://") && !Files.exists(Path.of(name))) {
            callbacks.close();
            throw new NoSuchFileException(name, null, "no such file");
        }
        AVFormatContext f = new AVFormatContext(null);
        int r = avformat_open_input(f, name, null, (AVDictionary) null);
        if (r < 0) {
            callbacks.close();
            throw cannotOpen(name, "FFmpeg cannot open it: " + Av.err(r));
        }
        this.fmt = f;
        try {
            r = avformat_find_stream_info(fmt, (AVDictionary) null);
            if (r < 0) throw cannotOpen(name, "FFmpeg cannot read its streams: " + Av.err(r));
            streamIndex = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, (AVCodec) null, 0);
            if (streamIndex < 0) throw cannotOpen(name, "FFmpeg finds no video stream in it");
            stream = fmt.streams(streamIndex);
            AVCodecParameters par = stream.codecpar();
            AVCodec codec = avcodec_find_decoder(par.codec_id());
            if (codec == null) throw new MediaException(name, -1, -1, "no decoder in this FFmpeg build for codec "
                    + avcodec_get_name(par.codec_id()).getString());
            ctx = avcodec_alloc_context3(codec);
            avcodec_parameters_to_context(ctx, par);
            avFormat = par.format();
            PixelFormat own = Av.fromAv(avFormat);
            String to = Av.convertTo(avFormat);
            if (own == null && !convert) throw new MediaException(name, -1, -1, "its pictures are " + Av.name(avFormat)
                    + ", which has no vbuf pixel format (vbuf has " + Av.supported() + "). Pass --convert to have vbuf"
                    + " convert each picture to " + to + " while decoding (libswscale, one counted copy per picture),"
                    + " or convert the file first, e.g. `ffmpeg -i " + name + " -pix_fmt " + to + " -c:v ffv1 converted.mkv`");
            format = own != null ? own : Av.fromAv(av_get_pix_fmt(to));
            if (format == null) throw new MediaException(name, -1, -1, "its pictures are " + Av.name(avFormat)
                    + " and vbuf has no format near it to convert to (vbuf has " + Av.supported() + ")");
            boolean converting = own == null;
            int w = par.width(), h = par.height();
            int[] aw = {w}, ah = {h}, align = new int[8];
            avcodec_align_dimensions2(ctx, aw, ah, align);
            int strideAlign = 64;
            for (int a : align) while (a > strideAlign) strideAlign <<= 1;
            int lw = aw[0] + (aw[0] % format.widthMultiple()), lh = ah[0] + (ah[0] % format.heightMultiple());
            layout = FrameLayout.of(format, lw, lh, strideAlign);
            // converting: the decoder writes its own buffers, libswscale writes the pool's
            dr1 = !converting && (codec.capabilities() & AV_CODEC_CAP_DR1) != 0;
            if (converting) {
                sws = sws_getContext(w, h, avFormat, w, h, Av.toAv(format), SWS_BICUBIC, null, null, (double[]) null);
                if (sws == null) throw new MediaException(name, -1, -1, "libswscale cannot convert " + Av.name(avFormat)
                        + " to " + to + " at " + w + "x" + h);
                swsDst = av_frame_alloc();
            }
            AVRational rate = av_guess_frame_rate(fmt, stream, null);
            fps = rate.num() > 0 && rate.den() > 0 ? (double) rate.num() / rate.den() : 0;
            boolean intra = codec.id() == AV_CODEC_ID_FFV1;
            // a codec descriptor tells intra-only; FFV1 is intra-only but not always flagged
            var desc = avcodec_descriptor_get(codec.id());
            if (desc != null && (desc.props() & AV_CODEC_PROP_INTRA_ONLY) != 0) intra = true;
            ctx.thread_count(2);
            held = intra ? 4 : 16 + 4;
            if (dr1) {
                Av.ALL.set(JAVA_LONG, ctx.address() + CTX_GET_BUFFER2, getBufferStub.address());
                ctx.thread_type(2 /* FF_THREAD_SLICE */); // frame threads would hold one picture per thread more
            }
            r = avcodec_open2(ctx, codec, (AVDictionary) null);
            if (r < 0) throw new MediaException(name, -1, -1, "cannot open the " + codec.name().getString() + " decoder: " + Av.err(r));
            long frames = stream.nb_frames() > 0 ? stream.nb_frames() : -1;
            long exp = frames;
            String from = frames > 0 ? "its frame count" : null;
            if (exp < 0 && fps > 0) {
                double secs = -1;
                if (stream.duration() != AV_NOPTS_VALUE && stream.duration() > 0) {
                    secs = stream.duration() * av_q2d(stream.time_base());
                    from = "the stream's duration";
                } else {
                    var tag = av_dict_get(stream.metadata(), "DURATION", null, 0);
                    if (tag != null && !tag.isNull()) {
                        secs = parseDuration(tag.value().getString());
                        if (secs > 0) from = "the stream's DURATION tag";
                    }
                    if (secs <= 0 && fmt.duration() > 0 && fmt.nb_streams() == 1) {
                        secs = fmt.duration() / 1e6;
                        from = "the container's duration";
                    }
                }
                if (secs > 0) exp = Math.round(secs * fps);
            }
            this.expected = exp;
            this.expectedFrom = from;
            this.mpegts = fmt.iformat().name().getString().equals("mpegts");
            var meta = new LinkedHashMap<String, String>();
            meta.put("container", fmt.iformat().name().getString());
            meta.put("codec", codec.name().getString());
            meta.put("pixfmt", Av.name(avFormat));
            if (converting) meta.put("convert", Av.name(avFormat) + " -> " + to + " (libswscale, one counted copy per picture)");
            meta.put("decodeIntoPool", dr1 ? "yes (get_buffer2)" : converting ? "no: converted with libswscale, one counted copy"
                    + " per picture" : "no: the codec lacks AV_CODEC_CAP_DR1, one counted copy per picture");
            if (fmt.duration() > 0) {
                meta.put("duration", String.format(java.util.Locale.ROOT, "%.3f s", fmt.duration() / 1e6));
                if (frames < 0 && fps > 0) meta.put("pictures", "about " + Math.round(fmt.duration() / 1e6 * fps) + " (from the duration)");
            }
            if (par.color_range() != AVCOL_RANGE_UNSPECIFIED) meta.put("colorRange", av_color_range_name(par.color_range()).getString());
            // what a Y4M output carries on (FileSink): the chroma siting of 4:2:0, and the colour range as an X tag
            boolean full = par.color_range() == AVCOL_RANGE_JPEG || avFormat == AV_PIX_FMT_YUVJ420P
                    || avFormat == AV_PIX_FMT_YUVJ422P || avFormat == AV_PIX_FMT_YUVJ444P;
            if (full || par.color_range() == AVCOL_RANGE_MPEG) meta.put("COLORRANGE", full ? "FULL" : "LIMITED");
            if (format == PixelFormat.I420) {
                String siting = switch (par.chroma_location()) {
                    case AVCHROMA_LOC_LEFT -> "420mpeg2";
                    case AVCHROMA_LOC_TOPLEFT -> "420paldv";
                    case AVCHROMA_LOC_CENTER -> "420jpeg";
                    default -> null;
                };
                if (siting != null) meta.put("chroma", siting);
            }
            info = new StreamInfo("file " + name + ": " + meta.get("container") + " " + meta.get("codec") + " " + w + "x" + h
                    + " " + format + (fps > 0 ? " " + String.format("%.3f", fps) + " fps" : ""), layout,
                    layout.frameBytes() + SLACK, w, h, fps, frames, meta);
        } catch (IOException | RuntimeException e) {
            freeSws();
            avformat_close_input(fmt);
            callbacks.close();
            throw e;
        }
    }

    private static MethodHandle downcall(String symbol, FunctionDescriptor d) {
        Av.init();
        Loader.load(org.bytedeco.ffmpeg.global.avcodec.class); // libavcodec (and libavutil) loaded before their symbols are looked up
        Pointer p = Loader.addressof(symbol);
        if (p == null || p.isNull()) throw new IllegalStateException("FFmpeg's " + symbol + " is not in the loaded libraries");
        return LINKER.downcallHandle(MemorySegment.ofAddress(p.address()), d);
    }

    /**
     * A file FFmpeg cannot open: named with its size (where a cut file ends), no picture decoded.
     * A cut in the header, or in an index that comes before the pictures (mp4's moov), ends here.
     */
    private static MediaException cannotOpen(String name, String why) {
        long size = -1;
        try {
            if (!name.contains("://")) size = Files.size(Path.of(name));
        } catch (IOException | RuntimeException ignored) {
            // the size is only for the message
        }
        return new MediaException(name, -1, size, why + "; no picture decoded"
                + (size >= 0 ? " (the file ends at byte " + size + ")" : "") + ". A file cut or damaged in its header or"
                + " index cannot be read at all: get it again; or it is not a video file FFmpeg reads");
    }

    @Override
    public StreamInfo info() {
        return info;
    }

    @Override
    public int maxHeldFrames() {
        return held;
    }

    /** True when the decoder writes straight into pool buffers. */
    public boolean decodesIntoPool() {
        return dr1;
    }

    @Override
    public void produce(FramePool pool, MediaCounters c) throws IOException, InterruptedException {
        this.counters = c;
        this.decoding = new Frame[pool.getTotalCount()];
        this.references = new Frame[pool.getTotalCount()];
        this.bases = new long[pool.getTotalCount()];
        this.bufferBytes = pool.getBufferSize();
        this.pool = pool;
        AVPacket pkt = av_packet_alloc();
        AVFrame frame = av_frame_alloc();
        Geometry g = Geometry.of(info);
        long counter = 0;
        AVRational tb = stream.time_base();
        AVRational perFrame = fps > 0 ? av_inv_q(av_guess_frame_rate(fmt, stream, null)) : null;
        long start = stream.start_time() != AV_NOPTS_VALUE ? stream.start_time() : 0;
        long limit = c.maxFrames();
        long t0 = System.nanoTime();
        long lastPos = -1, lastGood = -1, packets = 0;
        long damageMark = Av.damageMark();
        try {
            boolean draining = false;
            long passStart = 0;
            outer:
            while (true) {
                if (!draining) {
                    if (c.stopRequested() || (limit >= 0 && counter >= limit)) break;
                    int r = av_read_frame(fmt, pkt);
                    if (r == AVERROR_EOF || r == AVERROR_EOF()) {
                        draining = true;
                        r = avcodec_send_packet(ctx, null);
                    } else if (r < 0) {
                        truncated(counter, lastGood, lastPos, "reading a packet after byte " + lastPos + " failed: " + Av.err(r));
                        draining = true;
                        avcodec_send_packet(ctx, null);
                    } else {
                        if (pkt.stream_index() != streamIndex) { av_packet_unref(pkt); continue; }
                        long pos = pkt.pos();
                        c.bytesIn.add(pkt.size());
                        packets++;
                        r = avcodec_send_packet(ctx, pkt);
                        av_packet_unref(pkt);
                        if (r < 0 && r != AVERROR_EAGAIN) {
                            truncated(counter, lastGood, pos, "the decoder refused packet " + packets + " at byte " + pos
                                    + ": " + Av.err(r));
                        }
                        if (pos >= 0) lastPos = pos;
                    }
                }
                while (true) {
                    int r = avcodec_receive_frame(ctx, frame);
                    if (r == AVERROR_EAGAIN) break;
                    if (r == AVERROR_EOF()) {
                        String logged = Av.damageSince(damageMark);
                        if (logged != null) truncated(counter, lastGood, lastPos, "FFmpeg: " + logged);
                        else checkComplete(counter - passStart, lastGood, lastPos);
                        damageMark = Av.damageMark();
                        boolean more = loop && counter > passStart && !c.stopRequested() && (limit < 0 || counter < limit);
                        if (!more) return;
                        avcodec_flush_buffers(ctx); // after EOF the decoder must be reset; output references are submitted
                        int s = av_seek_frame(fmt, -1, fmt.start_time() != AV_NOPTS_VALUE ? fmt.start_time() : 0,
                                AVSEEK_FLAG_BACKWARD);
                        if (s < 0) throw new MediaException(name, counter, -1, "--loop: cannot seek back to the start: " + Av.err(s));
                        passStart = counter;
                        draining = false;
                        continue outer;
                    }
                    if (r < 0) {
                        truncated(counter, lastGood, lastPos, "decoding failed after byte " + lastPos + ": " + Av.err(r));
                        break; // allowed: go on with the next packet
                    }
                    if (callbackError != null) throw new IOException(name + ": handing a decoder buffer from the pool failed: " + callbackError.getMessage(), callbackError);
                    long ts = frame.best_effort_timestamp();
                    long n = ts != AV_NOPTS_VALUE && perFrame != null
                            ? av_rescale_q_rnd(ts - start, tb, perFrame, AV_ROUND_NEAR_INF | AV_ROUND_PASS_MINMAX) : counter;
                    boolean last = limit >= 0 && counter + 1 >= limit;
                    deliver(frame, g, n, c);
                    lastGood = n;
                    counter++;
                    long now = System.nanoTime();
                    c.produceNanos.recordValue(Math.min(now - t0, 60_000_000_000L)); // read + decode since the last picture
                    t0 = now;
                    if (last || c.stopRequested()) return;
                }
                if (draining && callbackError != null) throw new IOException(name + ": handing a decoder buffer from the pool failed: " + callbackError.getMessage(), callbackError);
            }
        } finally {
            av_frame_free(frame);
            av_packet_free(pkt);
            // free the decoder now, not at close(): it drops the references it keeps (the last
            // picture of FFV1, H.264's reference list), so the free callback submits the pictures
            // that were output and aborts the others before the end-of-stream frame goes out
            avcodec_free_context(ctx);
            ctxFreed = true;
        }
    }

    /** Hands a decoded picture over: in place when it is a pool buffer, else one counted copy. */
    private void deliver(AVFrame frame, Geometry g, long n, MediaCounters c) throws InterruptedException {
        int id = slotOf(Av.plane(frame.address(), 0));
        Frame f = null;
        if (id >= 0) {
            synchronized (this) {
                f = decoding[id];
                decoding[id] = null;
            }
        }
        if (f != null) {
            // presentation order: to the consumers now; the decoder's reference is one more holder
            f.pts(n).captureTimeNs(System.nanoTime()).dimensions(frame.width(), frame.height())
                    .flags((frame.flags() & 2) != 0 /* AV_FRAME_FLAG_KEY */ ? Frame.FLAG_KEY_FRAME : 0);
            Frame ref = pool.submitKeepingReference(f);
            synchronized (this) {
                references[id] = ref;
            }
            av_frame_unref(frame); // if this was the last reference, freeBuffer drops the decoder's hold now
            c.frames.increment();
            return;
        }
        // not a pool buffer, or one already output (shown again): one counted copy
        f = pool.acquireFree();
        if (f == null) {
            av_frame_unref(frame);
            if (Thread.currentThread().isInterrupted()) throw new InterruptedException(name + ": interrupted");
            c.sourceDrops.increment();
            return;
        }
        try {
            if (frame.format() != avFormat || frame.width() > layout.width() || frame.height() > layout.height()) {
                throw new IllegalStateException(name + ": picture " + n + " changed to " + Av.name(frame.format()) + " "
                        + frame.width() + "x" + frame.height() + " mid-stream; vbuf does not rebuild the pool");
            }
            MemorySegment dst = f.segment();
            if (sws != null) { // --convert: libswscale writes the pool frame's planes (the one copy)
                for (int p = 0; p < layout.planeCount(); p++) {
                    Av.setPlane(swsDst.address(), p, dst.address() + layout.plane(p).offset(), layout.plane(p).stride());
                }
                int rows = sws_scale(sws, frame.data(), frame.linesize(), 0, frame.height(), swsDst.data(), swsDst.linesize());
                if (rows <= 0) throw new IllegalStateException(name + ": libswscale failed to convert picture " + n + " ("
                        + Av.err(rows) + ")");
            } else for (int p = 0; p < g.planes(); p++) {
                long src = Av.plane(frame.address(), p);
                int ls = Av.linesize(frame.address(), p);
                MemorySegment s = MemorySegment.ofAddress(src).reinterpret((long) ls * g.rows(p));
                for (int row = 0; row < g.rows(p); row++) {
                    MemorySegment.copy(s, (long) row * ls, dst, g.offset(p) + (long) row * g.stride(p), g.rowBytes(p));
                }
            }
            c.copies.increment();
            f.pts(n).captureTimeNs(System.nanoTime()).dimensions(frame.width(), frame.height()).submit();
            c.frames.increment();
        } finally {
            f.close();
            av_frame_unref(frame);
        }
    }

    private int slotOf(long address) {
        long[] b = bases;
        for (int i = 0; i < b.length; i++) {
            if (b[i] != 0 && address >= b[i] && address < b[i] + bufferBytes) return i;
        }
        return -1;
    }

    /** get_buffer2 (an upcall): a pool frame as the decoder's picture. */
    private int getBuffer(long c, long f, int flags) {
        try {
            FramePool p = pool;
            MemorySegment all = Av.ALL;
            if (p == null || all.get(JAVA_INT, f + FRAME_FORMAT) != avFormat || all.get(JAVA_INT, f + FRAME_WIDTH) > layout.width()
                    || all.get(JAVA_INT, f + FRAME_HEIGHT) > layout.height()) {
                return (int) DEFAULT_GET_BUFFER2.invokeExact(c, f, flags);
            }
            Frame fr = acquireForDecoder(p);
            if (fr == null) return AVERROR_ENOMEM;
            int id = fr.id();
            MemorySegment seg = fr.segment();
            synchronized (this) {
                decoding[id] = fr;
                bases[id] = seg.address();
            }
            for (int i = 0; i < layout.planeCount(); i++) {
                Av.setPlane(f, i, seg.address() + layout.plane(i).offset(), layout.plane(i).stride());
            }
            // opaque: the codec context, only to tell FFmpeg's own buffers from ours in messages
            long ref = (long) AV_BUFFER_CREATE.invokeExact(seg.address(), seg.byteSize(), freeBufferStub.address(), c, 0);
            if (ref == 0) {
                synchronized (this) {
                    decoding[id] = null;
                }
                fr.close();
                return AVERROR_ENOMEM;
            }
            all.set(JAVA_LONG, f + FRAME_BUF, ref);
            all.set(JAVA_LONG, f + FRAME_EXTENDED_DATA, f + FRAME_DATA);
            return 0;
        } catch (Throwable t) { // an upcall must not throw: the decode loop reports it
            callbackError = t;
            return AVERROR_ENOMEM;
        }
    }

    /**
     * A free buffer for the decoder, waiting while consumers hold the pool; an error (not a hang)
     * when every buffer is held by the decoder itself (the pool is smaller than its references).
     */
    private Frame acquireForDecoder(FramePool p) {
        while (true) {
            Frame fr = p.acquireFree(DECODER_WAIT);
            if (fr != null || p.isClosed() || Thread.currentThread().isInterrupted()) return fr;
            var st = p.stats();
            if (st.heldByDecoder() + st.producerLocked() >= st.total()) {
                throw new IllegalStateException("all " + st.total() + " pool buffers are held by the decoder (reference"
                        + " pictures and pictures being decoded), so it cannot get another; the pool needs more than "
                        + held + " buffers for this stream");
            }
        }
    }

    /**
     * The AVBufferRef free callback (an upcall): the buffer's last reference is gone. Drops the
     * decoder's hold if it was output, else gives the frame back.
     */
    private void freeBuffer(long opaque, long data) {
        try {
            int id = slotOf(data);
            if (id < 0) return;
            Frame ref, unshown;
            synchronized (this) {
                ref = references[id];
                references[id] = null;
                unshown = decoding[id];
                decoding[id] = null;
            }
            FramePool p = pool;
            if (ref != null && p != null) p.releaseReference(ref);
            if (unshown != null) unshown.close(); // never output: back to the pool unpublished
        } catch (Throwable t) { // an upcall must not throw
            callbackError = t;
        }
    }

    /** Lets a file that ends early through as a warning ({@link #truncation()}) instead of an error. */
    public FfmpegSource allowTruncated(boolean allow) {
        this.allowTruncated = allow;
        return this;
    }

    /** What was wrong with the end of the file when truncation is allowed, else null. */
    public String truncation() {
        return truncation;
    }

    /** Pictures the container promises, or -1 when it does not say. */
    public long expectedPictures() {
        return expected;
    }

    /** The file ended early or is damaged: an error naming the file, the last good picture and the offset, or a warning. */
    private void truncated(long decoded, long lastGood, long pos, String why) throws MediaException {
        String text = why + "; " + decoded + " picture(s) decoded" + (expected > 0 ? " of " + expected + " expected from "
                + expectedFrom : "") + ", the last good one " + (lastGood < 0 ? "none" : "picture " + lastGood);
        if (!allowTruncated) {
            throw new MediaException(name, decoded, pos, text + ". The file is truncated or damaged: get it again, or pass"
                    + " --allow-truncated to keep what decodes");
        }
        if (truncation == null) truncation = text;
        if (counters != null) counters.warn(name + ": " + text);
        System.getLogger("dev.vbuf.ffmpeg").log(System.Logger.Level.WARNING, name + ": " + text);
    }

    /**
     * At the end of the file: fewer pictures than the container promised is a truncation (a frame
     * count is exact; a count from a duration may be one over), and so is a transport stream that
     * ends inside a transport packet. One warning at most.
     */
    private void checkComplete(long decoded, long lastGood, long lastPos) throws MediaException {
        // nothing is built unless something is wrong: with --loop this runs at every pass of the file
        long slack = "its frame count".equals(expectedFrom) ? 0 : 1;
        if (expected > 0 && decoded < expected - slack && (maxFramesOf(counters) < 0 || decoded < maxFramesOf(counters))) {
            long size = fileSize();
            truncated(decoded, lastGood, size >= 0 ? size : lastPos, endText(size) + afterText(lastPos));
            return;
        }
        // a transport stream is a sequence of 188-byte packets (192 with a time code, 204 with FEC):
        // a file that is not a whole number of them ends inside one
        if (mpegts) {
            long size = fileSize();
            if (size > 0 && size % 188 != 0 && size % 192 != 0 && size % 204 != 0) {
                truncated(decoded, lastGood, size, endText(size) + ", inside a transport packet (not a whole number of 188-byte"
                        + " packets)" + afterText(lastPos));
            }
        }
    }

    private static String endText(long size) {
        return size >= 0 ? "the file ends at byte " + size : "the input ends";
    }

    private static String afterText(long lastPos) {
        return lastPos >= 0 ? ", after the picture packet at byte " + lastPos : ", before the first whole picture packet";
    }

    private static long maxFramesOf(MediaCounters c) {
        return c == null ? -1 : c.maxFrames();
    }

    /** The input file's size in bytes, or -1 (a URL, or the file is gone). */
    private long fileSize() {
        try {
            return name.contains("://") ? -1 : Files.size(Path.of(name));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** "HH:MM:SS.fraction" (Matroska's DURATION tag) in seconds, or -1. */
    static double parseDuration(String s) {
        try {
            String[] p = s.trim().split(":");
            if (p.length != 3) return -1;
            return Integer.parseInt(p[0]) * 3600 + Integer.parseInt(p[1]) * 60 + Double.parseDouble(p[2]);
        } catch (RuntimeException e) {
            return -1;
        }
    }

    private void freeSws() {
        if (sws != null) sws_freeContext(sws);
        sws = null;
        if (swsDst != null) av_frame_free(swsDst);
        swsDst = null;
    }

    @Override
    public void close() {
        freeSws();
        if (!ctxFreed) avcodec_free_context(ctx); // its last buffers' free callbacks run here
        ctxFreed = true;
        avformat_close_input(fmt);
        pool = null;
        if (callbacks.scope().isAlive()) callbacks.close(); // no buffer of ours is left in FFmpeg: the stubs can go
    }
}
