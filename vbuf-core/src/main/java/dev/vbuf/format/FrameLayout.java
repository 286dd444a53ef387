package dev.vbuf.format;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The exact memory layout of one frame: its planes' offsets, strides and sizes (SPEC S3.1).
 *
 * <h2>Rules</h2>
 * <ul>
 *   <li>Each plane's row holds {@code (width / hDiv) × unitBytes} bytes of data, where the
 *       divisor and unit come from the format (e.g. an NV12 UV row holds width/2 U,V pairs of
 *       2 bytes = width bytes; a P010 Y row holds 2 × width bytes).</li>
 *   <li>Each plane's stride is its row bytes rounded up to {@code strideAlign}, a power of two
 *       between 1 and {@value #MAX_STRIDE_ALIGN} bytes ({@value #DEFAULT_STRIDE_ALIGN} by
 *       default, the size of a cache line and what most GPUs and codecs accept).</li>
 *   <li>Planes follow each other in index order; each starts at an offset aligned to
 *       {@code strideAlign} (given the strides, the end of the previous plane already is).</li>
 *   <li>{@link #frameBytes()} is the end of the last plane: the buffer size a pool needs.</li>
 * </ul>
 *
 * <h2>Limits</h2>
 * Width and height are 1..{@value #MAX_DIMENSION} pixels: seed 000's
 * {@code MAX_STRIDE 16384 // 8K RGBA64} is a limit in pixels (an 8K RGBA64 row is
 * 7680 × 8 = 61,440 bytes, so it cannot be bytes). The largest frame is therefore
 * 16384 × 16384 × 8 bytes = 2 GiB. 4:2:0 formats (NV12, NV21, I420, YV12, P010, I010) need an
 * even width and height; 4:2:2 formats (NV16, YUYV, UYVY, I422, I210) need an even width.
 *
 * <p>Instances are immutable and thread-safe; two layouts are equal when format, width, height
 * and stride alignment are.
 */
public final class FrameLayout {

    /** Smallest accepted width or height, in pixels. */
    public static final int MIN_DIMENSION = 1;
    /** Largest accepted width or height, in pixels (seed 000's MAX_STRIDE, sized for 8K RGBA64). */
    public static final int MAX_DIMENSION = 16384;
    /** Stride alignment used by {@link #of(PixelFormat, int, int)}, in bytes. */
    public static final int DEFAULT_STRIDE_ALIGN = 64;
    /** Largest accepted stride alignment, in bytes (one 4 KiB page). */
    public static final int MAX_STRIDE_ALIGN = 4096;

    private final PixelFormat format;
    private final int width;
    private final int height;
    private final int strideAlign;
    private final List<Plane> planes;
    private final long frameBytes;

    private FrameLayout(PixelFormat format, int width, int height, int strideAlign) {
        this.format = format;
        this.width = width;
        this.height = height;
        this.strideAlign = strideAlign;
        List<Plane> list = new ArrayList<>(format.planeCount());
        long offset = 0;
        for (int i = 0; i < format.planeCount(); i++) {
            PixelFormat.PlaneSpec spec = format.spec(i);
            int rowBytes = (width / spec.hDiv()) * spec.unitBytes();
            int rows = height / spec.vDiv();
            int stride = (int) alignUp(rowBytes, strideAlign);
            offset = alignUp(offset, strideAlign);
            Plane plane = new Plane(i, offset, stride, rowBytes, rows, (long) stride * rows);
            list.add(plane);
            offset = plane.end();
        }
        this.planes = List.copyOf(list);
        this.frameBytes = offset;
    }

    /**
     * The layout of a frame with the default stride alignment of {@value #DEFAULT_STRIDE_ALIGN} bytes.
     *
     * @param format pixel format
     * @param width  width in pixels, 1..{@value #MAX_DIMENSION}
     * @param height height in pixels, 1..{@value #MAX_DIMENSION}
     * @return the layout
     * @throws IllegalArgumentException if an argument is out of range or the size does not fit
     *                                  the format's chroma subsampling; the message says which
     *                                  and what to pass instead
     */
    public static FrameLayout of(PixelFormat format, int width, int height) {
        return of(format, width, height, DEFAULT_STRIDE_ALIGN);
    }

    /**
     * The layout of a frame.
     *
     * @param format      pixel format
     * @param width       width in pixels, 1..{@value #MAX_DIMENSION}
     * @param height      height in pixels, 1..{@value #MAX_DIMENSION}
     * @param strideAlign stride and plane-offset alignment in bytes: a power of two,
     *                    1..{@value #MAX_STRIDE_ALIGN}
     * @return the layout
     * @throws IllegalArgumentException if an argument is out of range or the size does not fit
     *                                  the format's chroma subsampling; the message says which
     *                                  and what to pass instead
     */
    public static FrameLayout of(PixelFormat format, int width, int height, int strideAlign) {
        if (format == null) {
            throw new IllegalArgumentException("Pixel format is missing (null). " + PixelFormat.acceptedFormats());
        }
        checkDimension("Width", width);
        checkDimension("Height", height);
        if (strideAlign < 1 || strideAlign > MAX_STRIDE_ALIGN || Integer.bitCount(strideAlign) != 1) {
            throw new IllegalArgumentException("Stride alignment " + strideAlign
                    + " is not accepted: it must be a power of two between 1 and " + MAX_STRIDE_ALIGN
                    + " bytes (1, 2, 4, ..., 4096). Use " + DEFAULT_STRIDE_ALIGN + " unless a device needs more.");
        }
        String kind = format.verticalSubsampling() == 2 ? "4:2:0" : "4:2:2";
        if (width % format.widthMultiple() != 0) {
            throw new IllegalArgumentException("Width " + width + " is odd, but " + format + " is " + kind
                    + " (chroma at half width), so the width must be even. Use " + evenNeighbours(width) + ", or a format without chroma subsampling such as RGBA or GRAY8.");
        }
        if (height % format.heightMultiple() != 0) {
            throw new IllegalArgumentException("Height " + height + " is odd, but " + format + " is " + kind
                    + " (chroma at half height), so the height must be even. Use " + evenNeighbours(height) + ", or a 4:2:2 or unsubsampled format such as NV16 or RGBA.");
        }
        return new FrameLayout(format, width, height, strideAlign);
    }

    private static void checkDimension(String what, int value) {
        if (value < MIN_DIMENSION || value > MAX_DIMENSION) {
            throw new IllegalArgumentException(what + " " + value + " is out of range: it must be between "
                    + MIN_DIMENSION + " and " + MAX_DIMENSION + " pixels (the largest is the width "
                    + "that keeps an 8K RGBA64 row within a stride). Pass a " + what.toLowerCase(java.util.Locale.ROOT)
                    + " in that range.");
        }
    }

    private static String evenNeighbours(int odd) {
        return odd > 1 ? (odd - 1) + " or " + (odd + 1) : String.valueOf(odd + 1);
    }

    private static long alignUp(long value, int align) {
        return (value + align - 1) & -(long) align;
    }

    /** @return the pixel format */
    public PixelFormat format() {
        return format;
    }

    /** @return the width in pixels */
    public int width() {
        return width;
    }

    /** @return the height in pixels */
    public int height() {
        return height;
    }

    /** @return the stride and plane-offset alignment in bytes */
    public int strideAlign() {
        return strideAlign;
    }

    /** @return the planes in index order (which is also offset order), unmodifiable */
    public List<Plane> planes() {
        return planes;
    }

    /** @return the number of planes */
    public int planeCount() {
        return planes.size();
    }

    /**
     * One plane.
     *
     * @param index plane index, 0 ≤ index &lt; {@link #planeCount()}
     * @return the plane
     * @throws IndexOutOfBoundsException for an index outside the planes
     */
    public Plane plane(int index) {
        if (index < 0 || index >= planes.size()) {
            throw new IndexOutOfBoundsException("plane " + index + " does not exist in a " + format
                    + " frame, which has " + planes.size() + " plane(s) (0.." + (planes.size() - 1) + ")");
        }
        return planes.get(index);
    }

    /** @return bytes a buffer for this frame needs: the end of the last plane, padding included */
    public long frameBytes() {
        return frameBytes;
    }

    /** @return bytes of picture data, without stride padding: the sum of rowBytes × rows */
    public long dataBytes() {
        long sum = 0;
        for (Plane p : planes) {
            sum += p.dataBytes();
        }
        return sum;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FrameLayout other && format == other.format && width == other.width
                && height == other.height && strideAlign == other.strideAlign;
    }

    @Override
    public int hashCode() {
        return Objects.hash(format, width, height, strideAlign);
    }

    /**
     * A readable summary; each plane is shown as {@code name rowBytes x rows stride S @offset}
     * (sizes in bytes and rows, not pixels), e.g.
     * {@code "NV12 3840x2160 (stride align 64): Y 3840x2160 stride 3840 @0, UV 3840x1080 stride 3840 @8294400 = 12441600 bytes"}.
     */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        b.append(format).append(' ').append(width).append('x').append(height)
                .append(" (stride align ").append(strideAlign).append("): ");
        for (int i = 0; i < planes.size(); i++) {
            Plane p = planes.get(i);
            if (i > 0) {
                b.append(", ");
            }
            b.append(format.planeName(i)).append(' ').append(p.rowBytes()).append('x').append(p.rows())
                    .append(" stride ").append(p.stride()).append(" @").append(p.offset());
        }
        return b.append(" = ").append(frameBytes).append(" bytes").toString();
    }
}
