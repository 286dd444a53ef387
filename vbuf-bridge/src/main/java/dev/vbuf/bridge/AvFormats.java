package dev.vbuf.bridge;

import dev.vbuf.format.PixelFormat;
import dev.vbuf.media.ffmpeg.Av;

/** vbuf pixel formats as FFmpeg's {@code AV_PIX_FMT_*} (memory byte order, as vbuf names them): vbuf-ffmpeg's one table. */
public final class AvFormats {
    private AvFormats() {}

    /**
     * @param f a vbuf format
     * @return FFmpeg's pixel format with the same memory layout, or -1 (YV12: FFmpeg has no Y,V,U planar 4:2:0)
     */
    public static int toAv(PixelFormat f) { return Av.toAv(f); }

    /**
     * @param av an FFmpeg pixel format
     * @return the vbuf format with the same memory layout (full-range yuvj formats as their yuv twins), or null
     */
    public static PixelFormat fromAv(int av) { return Av.fromAv(av); }
}
