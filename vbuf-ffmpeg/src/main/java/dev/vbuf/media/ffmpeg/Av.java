package dev.vbuf.media.ffmpeg;

import dev.vbuf.format.PixelFormat;
import org.bytedeco.ffmpeg.global.avutil;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.bytedeco.ffmpeg.global.avutil.*;

/** Small FFmpeg helpers: error text, pixel format mapping, AVFrame plane pointers. */
public final class Av {
    /** AVFrame starts with {@code uint8_t *data[8]; int linesize[8];} (libavutil/frame.h, stable ABI). */
    static final long DATA = 0, LINESIZE = 64;

    private Av() {}

    /** FFmpeg's log lines that say a file is damaged or cut (demuxers and decoders word it so). */
    private static final String[] DAMAGE = {"ended prematurely", "truncat", "partial file", "premature end",
            "invalid nal unit size", "packet corrupt", "corrupt input packet", "incomplete frame"};
    private static final java.util.concurrent.atomic.AtomicLong DAMAGE_COUNT = new java.util.concurrent.atomic.AtomicLong();
    private static volatile String lastDamage;
    private static final System.Logger LOG = System.getLogger("dev.vbuf.ffmpeg");
    /** One callback for the JVM (JavaCPP has a fixed number of native thunks per callback class). */
    private static final LogTo LOG_TO = new LogTo();

    static {
        // FFmpeg's log lines go to the dev.vbuf.ffmpeg logger (System.Logger), not raw to stderr;
        // -Dvbuf.ffmpeg.log=quiet|error|warning|info|verbose|debug sets which ones FFmpeg formats.
        avutil.av_log_set_level(logLevel(System.getProperty("vbuf.ffmpeg.log", "warning")));
        avutil.setLogCallback(LOG_TO);
    }

    static int logLevel(String name) {
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "quiet" -> AV_LOG_QUIET;
            case "panic", "fatal" -> AV_LOG_FATAL;
            case "error" -> AV_LOG_ERROR;
            case "info" -> AV_LOG_INFO;
            case "verbose" -> AV_LOG_VERBOSE;
            case "debug" -> AV_LOG_DEBUG;
            default -> AV_LOG_WARNING;
        };
    }

    /** Routes one FFmpeg log line to the logger, and notes lines that say the input is damaged. */
    private static final class LogTo extends org.bytedeco.ffmpeg.avutil.LogCallback {
        @Override
        public void call(int level, org.bytedeco.javacpp.BytePointer msg) {
            try {
                String line = msg == null || msg.isNull() ? "" : msg.getString().strip();
                if (line.isEmpty()) return;
                if (level <= AV_LOG_WARNING) {
                    String low = line.toLowerCase(java.util.Locale.ROOT);
                    for (String d : DAMAGE) {
                        if (low.contains(d)) {
                            // "[matroska,webm @ 0x55d0c0a3e2c0] File ended prematurely ...": without the address
                            lastDamage = line.replaceFirst("^\\[([^\\]@]+?) @ 0x[0-9a-fA-F]+\\] ", "$1: ");
                            DAMAGE_COUNT.incrementAndGet();
                            break;
                        }
                    }
                }
                System.Logger.Level l = level <= AV_LOG_ERROR ? System.Logger.Level.ERROR
                        : level <= AV_LOG_WARNING ? System.Logger.Level.WARNING
                        : level <= AV_LOG_INFO ? System.Logger.Level.INFO : System.Logger.Level.DEBUG;
                LOG.log(l, "FFmpeg: " + line);
            } catch (Throwable ignored) {
                // never throw into native code
            }
        }
    }

    /** A mark for {@link #damageSince}. */
    static long damageMark() {
        return DAMAGE_COUNT.get();
    }

    /** The last log line since {@code mark} that said the input is damaged, or null (any source of this JVM). */
    static String damageSince(long mark) {
        return DAMAGE_COUNT.get() != mark ? lastDamage : null;
    }

    static void init() {
        // loads the natives and sets the log level (static initialiser)
    }

    static String err(int code) {
        byte[] b = new byte[256];
        avutil.av_strerror(code, b, b.length);
        int n = 0;
        while (n < b.length && b[n] != 0) n++;
        return new String(b, 0, n) + " (" + code + ")";
    }

    /**
     * FFmpeg's {@code AV_PIX_FMT_*} with the memory layout of a vbuf format (the one table of it;
     * vbuf-bridge's {@code AvFormats} answers from it), or -1 (YV12: FFmpeg has no Y,V,U planar 4:2:0).
     */
    public static int toAv(PixelFormat f) {
        return switch (f) {
            case I420 -> AV_PIX_FMT_YUV420P;
            case YV12 -> -1;
            case NV12 -> AV_PIX_FMT_NV12;
            case NV21 -> AV_PIX_FMT_NV21;
            case NV16 -> AV_PIX_FMT_NV16;
            case P010 -> AV_PIX_FMT_P010LE;
            case YUYV -> AV_PIX_FMT_YUYV422;
            case UYVY -> AV_PIX_FMT_UYVY422;
            case RGB24 -> AV_PIX_FMT_RGB24;
            case BGR24 -> AV_PIX_FMT_BGR24;
            case RGBA -> AV_PIX_FMT_RGBA;
            case BGRA -> AV_PIX_FMT_BGRA;
            case ARGB -> AV_PIX_FMT_ARGB;
            case RGBA64 -> AV_PIX_FMT_RGBA64LE;
            case GRAY8 -> AV_PIX_FMT_GRAY8;
            case GRAY16 -> AV_PIX_FMT_GRAY16LE;
            case I422 -> AV_PIX_FMT_YUV422P;
            case I444 -> AV_PIX_FMT_YUV444P;
            case I010 -> AV_PIX_FMT_YUV420P10LE;
            case I210 -> AV_PIX_FMT_YUV422P10LE;
            case I410 -> AV_PIX_FMT_YUV444P10LE;
        };
    }

    /** The vbuf format for an FFmpeg pixel format, or null. */
    public static PixelFormat fromAv(int av) {
        for (PixelFormat f : PixelFormat.values()) if (toAv(f) == av) return f;
        // full-range JPEG variant of yuv420p has the same layout
        if (av == AV_PIX_FMT_YUVJ420P) return PixelFormat.I420;
        if (av == AV_PIX_FMT_YUVJ422P) return PixelFormat.I422;
        if (av == AV_PIX_FMT_YUVJ444P) return PixelFormat.I444;
        return null;
    }

    /** The vbuf formats FFmpeg's names for them, for messages: "yuv420p (I420), nv12 (NV12), ...". */
    static String supported() {
        var b = new StringBuilder();
        for (PixelFormat f : PixelFormat.values()) {
            int av = toAv(f);
            if (av < 0) continue;
            if (!b.isEmpty()) b.append(", ");
            b.append(name(av));
        }
        return b.toString();
    }

    /**
     * The vbuf format to convert a picture of FFmpeg format {@code av} to without losing what it
     * has (same chroma subsampling, enough bits), for the message that refuses it.
     */
    static String convertTo(int av) {
        var d = av_pix_fmt_desc_get(av);
        if (d == null || d.isNull()) return "yuv420p";
        int depth = d.comp(0).depth();
        boolean rgb = (d.flags() & AV_PIX_FMT_FLAG_RGB) != 0;
        if (rgb) return depth > 8 ? "rgba64le" : (d.flags() & AV_PIX_FMT_FLAG_ALPHA) != 0 ? "rgba" : "rgb24";
        if (d.nb_components() <= 2) return depth > 8 ? "gray16le" : "gray";
        String sub = d.log2_chroma_w() == 0 ? "444" : d.log2_chroma_h() == 0 ? "422" : "420";
        return "yuv" + sub + "p" + (depth > 8 ? "10le" : "");
    }

    static String name(int av) {
        var p = avutil.av_get_pix_fmt_name(av);
        return p == null ? "pix_fmt " + av : p.getString();
    }

    /**
     * All of the address space, to read and write native structs at an address without making a
     * segment per access (the decode loop allocates nothing per picture).
     */
    static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    /** Points the AVFrame's data[p] and linesize[p] at memory (no copy). */
    static void setPlane(long avFrame, int p, long address, int stride) {
        ALL.set(ValueLayout.JAVA_LONG, avFrame + DATA + 8L * p, address);
        ALL.set(ValueLayout.JAVA_INT, avFrame + LINESIZE + 4L * p, stride);
    }

    static long plane(long avFrame, int p) {
        return ALL.get(ValueLayout.JAVA_LONG, avFrame + DATA + 8L * p);
    }

    static int linesize(long avFrame, int p) {
        return ALL.get(ValueLayout.JAVA_INT, avFrame + LINESIZE + 4L * p);
    }
}
