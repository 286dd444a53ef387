package dev.vbuf.media.ffmpeg;

import dev.vbuf.format.PixelFormat;
import org.bytedeco.ffmpeg.global.avutil;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.bytedeco.ffmpeg.global.avutil.*;

/** Small FFmpeg helpers: error text, pixel format mapping, AVFrame plane pointers. */
final class Av {
    /** AVFrame starts with {@code uint8_t *data[8]; int linesize[8];} (libavutil/frame.h, stable ABI). */
    static final long DATA = 0, LINESIZE = 64;

    private Av() {}

    static {
        avutil.av_log_set_level(AV_LOG_ERROR);
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

    static int toAv(PixelFormat f) {
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
        };
    }

    /** The vbuf format for an FFmpeg pixel format, or null. */
    static PixelFormat fromAv(int av) {
        for (PixelFormat f : PixelFormat.values()) if (toAv(f) == av) return f;
        // full-range JPEG variant of yuv420p has the same layout
        if (av == AV_PIX_FMT_YUVJ420P) return PixelFormat.I420;
        return null;
    }

    static String name(int av) {
        var p = avutil.av_get_pix_fmt_name(av);
        return p == null ? "pix_fmt " + av : p.getString();
    }

    /** Points the AVFrame's data[p] and linesize[p] at memory (no copy). */
    static void setPlane(long avFrame, int p, long address, int stride) {
        MemorySegment f = MemorySegment.ofAddress(avFrame).reinterpret(128);
        f.set(ValueLayout.JAVA_LONG, DATA + 8L * p, address);
        f.set(ValueLayout.JAVA_INT, LINESIZE + 4L * p, stride);
    }

    static long plane(long avFrame, int p) {
        return MemorySegment.ofAddress(avFrame).reinterpret(128).get(ValueLayout.JAVA_LONG, DATA + 8L * p);
    }

    static int linesize(long avFrame, int p) {
        return MemorySegment.ofAddress(avFrame).reinterpret(128).get(ValueLayout.JAVA_INT, LINESIZE + 4L * p);
    }
}
