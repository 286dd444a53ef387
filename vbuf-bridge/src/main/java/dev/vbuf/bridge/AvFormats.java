package dev.vbuf.bridge;

import dev.vbuf.format.PixelFormat;

import static org.bytedeco.ffmpeg.global.avutil.*;

/** vbuf pixel formats as FFmpeg's {@code AV_PIX_FMT_*} (memory byte order, as vbuf names them). */
public final class AvFormats {
    private AvFormats() {}

    /**
     * @param f a vbuf format
     * @return FFmpeg's pixel format with the same memory layout, or -1 (YV12: FFmpeg has no Y,V,U planar 4:2:0)
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
        };
    }

    /**
     * @param av an FFmpeg pixel format
     * @return the vbuf format with the same memory layout, or null
     */
    public static PixelFormat fromAv(int av) {
        for (PixelFormat f : PixelFormat.values()) if (toAv(f) == av) return f;
        if (av == AV_PIX_FMT_YUVJ420P) return PixelFormat.I420; // full-range yuv420p, same layout
        return null;
    }
}
