package dev.vbuf.media.v4l2;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;

import java.util.Optional;

/**
 * A single-planar capture format as the driver granted it (struct v4l2_pix_format): the
 * driver's {@code bytesperline} and {@code sizeimage} are what buffers are sized and read by,
 * never a size vbuf computes on its own.
 *
 * @param fourcc       V4L2 pixel format code
 * @param width        pixels
 * @param height       pixels
 * @param field        enum v4l2_field
 * @param bytesPerLine stride of the first plane, in bytes
 * @param sizeImage    bytes a buffer must hold
 * @param colorspace   enum v4l2_colorspace (kept as metadata)
 */
public record V4l2Format(int fourcc, int width, int height, int field, int bytesPerLine, int sizeImage, int colorspace) {

    /** The vbuf pixel format with this fourcc, if vbuf knows it. */
    public Optional<PixelFormat> pixelFormat() {
        return pixelFormatOf(fourcc);
    }

    public static Optional<PixelFormat> pixelFormatOf(int fourcc) {
        for (PixelFormat p : PixelFormat.values()) {
            if (p.v4l2Fourcc().isPresent() && p.v4l2Fourcc().getAsInt() == fourcc) return Optional.of(p);
        }
        return Optional.empty();
    }

    /**
     * The vbuf layout that reproduces the driver's strides exactly (first-plane stride equal to
     * {@code bytesperline}, planes contiguous, frame no larger than {@code sizeimage}), found by
     * trying the stride alignments 4096, 2048, ..., 1. Empty when vbuf does not know the format
     * or no alignment gives the driver's layout (then the pool has raw buffers of
     * {@code sizeimage} bytes and no planes).
     */
    public Optional<FrameLayout> layout() {
        Optional<PixelFormat> pf = pixelFormat();
        if (pf.isEmpty()) return Optional.empty();
        for (int align = FrameLayout.MAX_STRIDE_ALIGN; align >= 1; align >>= 1) {
            FrameLayout l;
            try {
                l = FrameLayout.of(pf.get(), width, height, align);
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
            if (l.plane(0).stride() == bytesPerLine && l.frameBytes() <= sizeImage && contiguousAsV4l2(l)) {
                return Optional.of(l);
            }
        }
        return Optional.empty();
    }

    /** V4L2 single-planar multi-plane formats put each plane right after the previous one, chroma stride derived from bytesperline. */
    private boolean contiguousAsV4l2(FrameLayout l) {
        long expect = 0;
        for (int i = 0; i < l.planeCount(); i++) {
            if (l.plane(i).offset() != expect) return false;
            long stride = i == 0 ? bytesPerLine : (long) bytesPerLine * l.plane(i).rowBytes() / l.plane(0).rowBytes();
            if (l.plane(i).stride() != stride) return false;
            expect = l.plane(i).end();
        }
        return true;
    }

    public String fourccString() {
        return PixelFormat.fourccToString(fourcc);
    }

    @Override
    public String toString() {
        return fourccString().strip() + " " + width + "x" + height + " (bytesperline " + bytesPerLine + ", sizeimage "
                + sizeImage + pixelFormat().map(p -> ", vbuf " + p).orElse(", not a vbuf format") + ")";
    }
}
