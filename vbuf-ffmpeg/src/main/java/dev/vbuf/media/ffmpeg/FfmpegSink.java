package dev.vbuf.media.ffmpeg;

import dev.vbuf.media.Geometry;
import dev.vbuf.media.MediaCounters;
import dev.vbuf.media.Sink;
import dev.vbuf.media.StreamInfo;
import dev.vbuf.pool.Frame;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVIOContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVBufferRef;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.ffmpeg.avutil.Free_Pointer_ByteBuffer;
import org.bytedeco.javacpp.Pointer;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;

import static org.bytedeco.ffmpeg.global.avcodec.*;
import static org.bytedeco.ffmpeg.global.avformat.*;
import static org.bytedeco.ffmpeg.global.avutil.*;

/**
 * Encodes pictures straight out of pool buffers with FFmpeg, to any container FFmpeg writes
 * (chosen from the file name) and a codec: FFV1 (lossless) for .mkv / .nut / .avi, H.264
 * (libx264, else openh264) for .mp4 / .mov / .ts / .h264, or the one named at construction.
 *
 * <p>Zero copy: the AVFrame given to {@code avcodec_send_frame} has {@code data[]} /
 * {@code linesize[]} pointing at the pool frame's planes and {@code buf[0]} an AVBufferRef over
 * the pool buffer (read-only) whose free callback releases the consumer frame. The encoder
 * takes its own reference when it keeps the picture (lookahead, threads); the frame goes back
 * to the pool when FFmpeg drops the last one. pts = the picture number, time base 1/fps.
 */
public final class FfmpegSink implements Sink {
    private final String name;
    private final String codecName;
    private final java.util.Map<String, String> options;
    private final MediaCounters counters;
    private AVFormatContext fmt;
    private AVCodecContext ctx;
    private AVStream stream;
    private AVPacket pkt;
    private Geometry g;
    private int avFormat;
    private long frames, bytes;
    private final ConcurrentHashMap<Long, Frame> held = new ConcurrentHashMap<>();
    /** One callback instance for the JVM (JavaCPP has a fixed number of native thunks per class). */
    private static final Release RELEASE = new Release();
    private static final ConcurrentHashMap<Long, FfmpegSink> BY_CONTEXT = new ConcurrentHashMap<>();
    private volatile Throwable releaseError;
    private boolean finished;

    public FfmpegSink(String name, String codecName, MediaCounters counters) {
        this(name, codecName, java.util.Map.of(), counters);
    }

    /**
     * @param options encoder options as FFmpeg's CLI takes them after {@code -c:v} (e.g.
     *                {@code bf=3}, {@code g=12}, {@code refs=4}, libvpx's {@code auto-alt-ref=1}); an
     *                option the encoder does not know is an error at open
     */
    public FfmpegSink(String name, String codecName, java.util.Map<String, String> options, MediaCounters counters) {
        Av.init();
        this.name = name;
        this.codecName = codecName != null ? codecName : defaultCodec(name);
        this.options = java.util.Map.copyOf(options);
        this.counters = counters;
    }

    /** FFV1 for lossless containers, H.264 for delivery containers. */
    static String defaultCodec(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.endsWith(".mp4") || n.endsWith(".mov") || n.endsWith(".ts") || n.endsWith(".h264") || n.endsWith(".264")) {
            return avcodec_find_encoder_by_name("libx264") != null ? "libx264" : "libopenh264";
        }
        return "ffv1";
    }

    /**
     * Checks an output name before anything is encoded: FFmpeg must know a container for its
     * extension, and its directory must exist and be writable.
     *
     * @param name the output file
     * @throws IOException naming the file and what is accepted
     */
    static void checkOutput(String name) throws IOException {
        Av.init();
        if (av_guess_format(null, name, null) == null) {
            throw new IOException(name + ": no container is known for this file name's extension;"
                    + " give .mkv, .nut or .avi (FFV1, lossless), .mp4, .mov or .ts (H.264), .y4m or a raw .yuv");
        }
        if (name.contains("://")) return; // a URL: FFmpeg's protocols say
        java.nio.file.Path dir = java.nio.file.Path.of(name).toAbsolutePath().getParent();
        if (dir != null && !java.nio.file.Files.isDirectory(dir)) {
            throw new java.nio.file.NoSuchFileException(name, null, "the directory " + dir + " does not exist; create it or write elsewhere");
        }
        if (dir != null && !java.nio.file.Files.isWritable(dir)) {
            throw new java.nio.file.AccessDeniedException(name, null, "the directory " + dir + " is not writable");
        }
    }

    /** True when this FFmpeg build has an encoder by that name. */
    public static boolean hasEncoder(String codec) {
        Av.init();
        return avcodec_find_encoder_by_name(codec) != null;
    }

    @Override
    public int maxHeldFrames() {
        return codecName.equals("ffv1") ? 4 : 24;
    }

    @Override
    public void open(StreamInfo info) throws IOException {
        g = Geometry.of(info);
        avFormat = Av.toAv(info.layout().format());
        if (avFormat < 0) throw new IOException(name + ": FFmpeg has no pixel format for " + info.layout().format());
        fmt = new AVFormatContext(null);
        int r = avformat_alloc_output_context2(fmt, null, null, name);
        if (r < 0 || fmt.isNull()) {
            fmt = null;
            throw new IOException(name + ": FFmpeg has no container for this file name: " + Av.err(r)
                + "; use .mkv, .mp4, .nut, .mov, .ts, .avi");
        }
        AVCodec codec = avcodec_find_encoder_by_name(codecName);
        if (codec == null) throw new IOException(name + ": this FFmpeg build has no encoder '" + codecName + "'"
                + (codecName.equals("libx264") ? "; libx264 is in FFmpeg's GPL build: depend on dev.vbuf:vbuf-ffmpeg-gpl"
                + " instead of vbuf-ffmpeg (or build the vbuf command with -Pgpl), or use libopenh264" : ""));
        ctx = avcodec_alloc_context3(codec);
        ctx.width(info.width());
        ctx.height(info.height());
        ctx.pix_fmt(avFormat);
        double fps = info.fps() > 0 ? info.fps() : 25;
        AVRational rate = av_d2q(fps, 100000);
        ctx.time_base(av_inv_q(rate));
        ctx.framerate(rate);
        ctx.thread_count(2);
        if ((fmt.oformat().flags() & AVFMT_GLOBALHEADER) != 0) ctx.flags(ctx.flags() | AV_CODEC_FLAG_GLOBAL_HEADER);
        if (codecName.equals("ffv1")) {
            ctx.level(3);   // FFV1 version 3: slices, so both encoder and decoder can use slice threads
            ctx.slices(4);
            av_opt_set(ctx.priv_data(), "slicecrc", "1", 0);
        }
        if (codecName.equals("libx264")) {
            av_opt_set(ctx.priv_data(), "preset", "ultrafast", 0);
            if (options.isEmpty()) av_opt_set(ctx.priv_data(), "tune", "zerolatency", 0);
        }
        BY_CONTEXT.put(ctx.address(), this);
        AVDictionary opts = new AVDictionary(null);
        for (var e : options.entrySet()) av_dict_set(opts, e.getKey(), e.getValue(), 0);
        r = avcodec_open2(ctx, codec, opts);
        if (r >= 0 && av_dict_count(opts) > 0) {
            var unknown = new StringBuilder();
            for (var e = av_dict_get(opts, "", null, AV_DICT_IGNORE_SUFFIX); e != null && !e.isNull();
                 e = av_dict_get(opts, "", e, AV_DICT_IGNORE_SUFFIX)) {
                unknown.append(unknown.isEmpty() ? "" : ", ").append(e.key().getString());
            }
            av_dict_free(opts);
            throw new IOException(name + ": the " + codecName + " encoder has no option " + unknown
                    + "; see `ffmpeg -h encoder=" + codecName + "`");
        }
        av_dict_free(opts);
        if (r < 0) throw new IOException(name + ": cannot open the " + codecName + " encoder for " + Av.name(avFormat) + " "
                + info.width() + "x" + info.height() + ": " + Av.err(r)
                + (r == -22 ? "; the codec may not take " + Av.name(avFormat) + " (FFV1 takes yuv420p = --format i420, gray,"
                + " gray16; libx264 takes yuv420p and nv12)" : ""));
        stream = avformat_new_stream(fmt, null);
        avcodec_parameters_from_context(stream.codecpar(), ctx);
        stream.time_base(ctx.time_base());
        stream.avg_frame_rate(rate);
        if ((fmt.oformat().flags() & AVFMT_NOFILE) == 0) {
            AVIOContext io = new AVIOContext(null);
            r = avio_open(io, name, AVIO_FLAG_WRITE);
            if (r < 0) throw new IOException(name + ": cannot create the file: " + Av.err(r));
            fmt.pb(io);
        }
        r = avformat_write_header(fmt, (AVDictionary) null);
        if (r < 0) throw new IOException(name + ": cannot write the container header: " + Av.err(r));
        pkt = av_packet_alloc();
    }

    @Override
    public void accept(Frame frame) throws IOException {
        AVFrame av = av_frame_alloc();
        try {
            MemorySegment seg = frame.segment();
            av.format(avFormat);
            av.width(g.width());
            av.height(g.height());
            for (int p = 0; p < g.planes(); p++) Av.setPlane(av.address(), p, seg.address() + g.offset(p), g.stride(p));
            held.put(seg.address(), frame);
            AVBufferRef ref = av_buffer_create(seg.asByteBuffer(), seg.byteSize(), RELEASE, ctx, AV_BUFFER_FLAG_READONLY);
            if (ref == null) {
                held.remove(seg.address());
                frame.release();
                throw new IOException(name + ": av_buffer_create failed (out of memory)");
            }
            av.buf(0, ref);
            av.extended_data(av.data());
            av.pts(frame.pts() >= 0 ? frame.pts() : frames);
            int r = avcodec_send_frame(ctx, av);
            if (r < 0) throw new IOException(name + ": the encoder refused picture " + frames + ": " + Av.err(r));
            frames++;
        } finally {
            av_frame_free(av); // drops our reference; the encoder keeps its own if it needs the picture
        }
        drain();
        counters.sinkFrames.increment();
        if (releaseError != null) throw new IOException(name + ": releasing a frame failed: " + releaseError.getMessage(), releaseError);
    }

    private void drain() throws IOException {
        while (true) {
            int r = avcodec_receive_packet(ctx, pkt);
            if (r == FfmpegSource.AVERROR_EAGAIN || r == AVERROR_EOF()) return;
            if (r < 0) throw new IOException(name + ": encoding failed: " + Av.err(r));
            av_packet_rescale_ts(pkt, ctx.time_base(), stream.time_base());
            pkt.stream_index(stream.index());
            bytes += pkt.size();
            counters.bytesOut.add(pkt.size());
            r = av_interleaved_write_frame(fmt, pkt);
            if (r < 0) throw new IOException(name + ": writing a packet failed: " + Av.err(r));
        }
    }

    @Override
    public void finish() throws IOException {
        if (ctx == null || finished) return;
        finished = true;
        avcodec_send_frame(ctx, null);
        drain();
        int r = av_write_trailer(fmt);
        if (r < 0) throw new IOException(name + ": writing the trailer failed: " + Av.err(r));
    }

    /** FFmpeg dropped its last reference to a pool buffer: release the consumer frame. */
    private static final class Release extends Free_Pointer_ByteBuffer {
        @Override
        public void call(Pointer opaque, ByteBuffer data) {
            FfmpegSink s = BY_CONTEXT.get(opaque.address());
            if (s != null) s.release(data);
        }
    }

    private void release(ByteBuffer data) {
        {
            try {
                Frame f = held.remove(MemorySegment.ofBuffer(data).address());
                if (f != null) f.release();
            } catch (Throwable t) {
                releaseError = t;
            }
        }
    }

    @Override
    public String summary() {
        return "wrote " + name + ": " + frames + " pictures, " + codecName + " in " + (fmt != null && fmt.oformat() != null
                ? fmt.oformat().name().getString() : "?") + ", " + bytes + " bytes";
    }

    @Override
    public void close() {
        if (ctx != null) avcodec_free_context(ctx); // drops the encoder's references: held frames are released
        ctx = null;
        BY_CONTEXT.values().remove(this);
        for (Frame f : held.values()) if (f.isOpen()) f.release();
        held.clear();
        if (pkt != null) av_packet_free(pkt);
        pkt = null;
        if (fmt != null && fmt.isNull()) fmt = null; // avformat_alloc_output_context2 failed
        if (fmt != null) {
            if (fmt.oformat() != null && fmt.pb() != null && !fmt.pb().isNull() && (fmt.oformat().flags() & AVFMT_NOFILE) == 0) avio_closep(fmt.pb());
            avformat_free_context(fmt);
            fmt = null;
        }
    }
}
