package dev.vbuf.format;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A moving synthetic test picture, stamped with the frame's sequence number, that can be written
 * into and checked against a frame buffer at memory bandwidth.
 *
 * <h2>Overview</h2>
 * The constructor precomputes, for every plane of the layout, a <em>reference row</em> of
 * {@code rowBytes + P} bytes, where {@code P = }{@value #PERIOD_UNITS}{@code  × u} and {@code u}
 * is the plane's pixel-group size in bytes (1 for a Y plane, 2 for NV12's UV pairs, 3 for RGB24,
 * 4 for RGBA and YUYV, 8 for RGBA64 ...). The reference row repeats a 256-step gradient per
 * component (alpha is opaque; P010 samples keep their low 6 bits zero; the planar 10-bit formats'
 * samples are 0..1023). For frame {@code s},
 * row {@code r} of a plane is a copy of the reference row starting at pixel group
 * {@code (s × }{@value #FRAME_STEP}{@code  + r) mod 256}, so the bars run diagonally and move
 * {@value #FRAME_STEP} pixel groups per frame. Then the first {@value #STAMP_BYTES} data bytes of
 * every plane are overwritten with a <em>stamp</em>:
 *
 * <pre>
 *   bytes 0..7   seq, little-endian
 *   bytes 8..15  ~seq ^ (plane × 0x9E3779B97F4A7C15), little-endian
 * </pre>
 *
 * In the planar 10-bit formats (I010, I210, I410) each stamp byte is the low byte of one 16-bit
 * sample whose high byte is 0 (so the stamp takes 32 bytes and every sample stays within 10
 * bits, which a 10-bit codec keeps exactly).
 * The stamp is laid over the plane's data bytes in row-major order, skipping stride padding
 * (in practice the start of row 0; only planes with rows shorter than 16 bytes spill into the
 * following rows, and planes with fewer than 16 data bytes carry a truncated stamp). A torn
 * frame (two halves of different sequences), a stale frame, a frame from the wrong plane, and
 * a frame never written are all caught by {@link #verify(MemorySegment, long)}; the stamp alone
 * makes {@link #readSequence(MemorySegment)} reject a half-written stamp.
 *
 * <h2>What is compared</h2>
 * Only picture data: the {@code rowBytes} first bytes of each row. Stride padding
 * ({@code rowBytes..stride}) and the gaps between planes are neither written nor checked, so a
 * consumer or device may scribble there.
 *
 * <h2>Cost</h2>
 * {@link #write} is one {@link MemorySegment#copy(MemorySegment, long, MemorySegment, long, long)}
 * per row plus 16 byte stores per plane; {@link #verify} is one
 * {@link MemorySegment#mismatch(MemorySegment, long, long, MemorySegment, long, long)} per row
 * plus 16 byte loads per plane. Neither allocates nor loops over pixels in Java.
 *
 * <h2>Assumptions and guarantees</h2>
 * The instance is immutable after construction and may be used from any number of threads at
 * once (its reference rows live in a shared {@link Arena}). {@link #close()} frees them; using
 * the pattern afterwards throws {@link IllegalStateException}. Closing while another thread is
 * still writing or verifying is the caller's error, as for any shared arena.
 */
public final class TestPattern implements AutoCloseable {

    /** Number of distinct pixel-group phases in a reference row; the pattern repeats after this many. */
    public static final int PERIOD_UNITS = 256;
    /** Pixel groups the pattern moves from one frame to the next. */
    public static final int FRAME_STEP = 4;
    /** Size of the sequence stamp at the start of every plane, in bytes. */
    public static final int STAMP_BYTES = 16;

    private static final long PLANE_MIX = 0x9E3779B97F4A7C15L;

    private final FrameLayout layout;
    private final Arena arena;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final int planeCount;
    private final long frameBytes;
    private final long[] offset;
    private final int[] stride;
    private final int[] rowBytes;
    private final int[] rows;
    private final int[] unit;
    /** Data bytes the stamp covers per plane. */
    private final int[] stampLen;
    /** Bytes per stamp byte: 2 for the planar 10-bit formats (low byte, then a zero), else 1. */
    private final int stampStep;
    private final MemorySegment[] reference;

    /**
     * Precomputes the reference rows for a layout.
     *
     * @param layout the frame layout to write and verify
     * @throws IllegalArgumentException if the layout is null or its first plane holds fewer than
     *                                  {@value #STAMP_BYTES} data bytes (too small to carry the
     *                                  sequence stamp)
     */
    public TestPattern(FrameLayout layout) {
        if (layout == null) {
            throw new IllegalArgumentException("TestPattern needs a FrameLayout, got null; build one with FrameLayout.of(format, width, height)");
        }
        Plane first = layout.plane(0);
        int step = layout.format().bitDepth() == 10 && !layout.format().msbAligned() ? 2 : 1;
        if (first.dataBytes() < (long) STAMP_BYTES * step) {
            throw new IllegalArgumentException("Frame " + layout.width() + "x" + layout.height() + " " + layout.format()
                    + " is too small for a TestPattern: its first plane holds " + first.dataBytes()
                    + " data bytes but the sequence stamp needs " + STAMP_BYTES * step + ". Use a frame of at least 16 pixels (e.g. 4x4).");
        }
        this.layout = layout;
        this.planeCount = layout.planeCount();
        this.frameBytes = layout.frameBytes();
        this.offset = new long[planeCount];
        this.stride = new int[planeCount];
        this.rowBytes = new int[planeCount];
        this.rows = new int[planeCount];
        this.unit = new int[planeCount];
        this.stampLen = new int[planeCount];
        this.reference = new MemorySegment[planeCount];
        this.arena = Arena.ofShared();
        PixelFormat format = layout.format();
        this.stampStep = step;
        for (int p = 0; p < planeCount; p++) {
            Plane plane = layout.plane(p);
            offset[p] = plane.offset();
            stride[p] = plane.stride();
            rowBytes[p] = plane.rowBytes();
            rows[p] = plane.rows();
            unit[p] = format.spec(p).unitBytes();
            stampLen[p] = (int) Math.min((long) STAMP_BYTES * stampStep, plane.dataBytes());
            int period = PERIOD_UNITS * unit[p];
            MemorySegment ref = arena.allocate((long) rowBytes[p] + period, 64);
            byte[] cycle = referenceCycle(format, p, unit[p]);
            for (long i = 0; i < ref.byteSize(); i += period) {
                MemorySegment.copy(cycle, 0, ref, ValueLayout.JAVA_BYTE, i, (int) Math.min(period, ref.byteSize() - i));
            }
            reference[p] = ref.asReadOnly();
        }
    }

    /** One period of a plane's reference row: 256 pixel groups of {@code unit} bytes. */
    private static byte[] referenceCycle(PixelFormat format, int plane, int unit) {
        int bps = format.bytesPerSample();
        int alphaSample = switch (format) {
            case RGBA, BGRA, RGBA64 -> 3;
            case ARGB -> 0;
            default -> -1;
        };
        byte[] cycle = new byte[PERIOD_UNITS * unit];
        for (int u = 0; u < PERIOD_UNITS; u++) {
            for (int b = 0; b < unit; b++) {
                int sample = b / bps;
                int value8 = sample == alphaSample ? 0xff : (u + sample * 85 + plane * 64) & 0xff;
                int value;
                if (bps == 1) {
                    value = value8;
                } else {
                    int value16 = sample == alphaSample ? 0xffff
                            : format.bitDepth() == 10 ? (format.msbAligned() ? value8 << 8 : value8 << 2) : value8 * 257;
                    value = (b % 2 == 0) ? value16 & 0xff : value16 >>> 8;
                }
                cycle[u * unit + b] = (byte) value;
            }
        }
        return cycle;
    }

    /** @return the layout this pattern writes */
    public FrameLayout layout() {
        return layout;
    }

    /**
     * Writes the picture for sequence number {@code seq} into a frame: every data byte of every
     * plane; stride padding is left untouched.
     *
     * @param frame the frame buffer, at least {@link FrameLayout#frameBytes()} bytes
     * @param seq   the frame's sequence number, ≥ 0
     * @throws IllegalArgumentException if seq is negative or the frame is too small
     * @throws IllegalStateException    if the pattern is closed
     */
    public void write(MemorySegment frame, long seq) {
        check(frame, seq);
        for (int p = 0; p < planeCount; p++) {
            MemorySegment ref = reference[p];
            long rowOff = offset[p];
            int len = rowBytes[p];
            int s = stride[p];
            int u = unit[p];
            int phase = (int) (seq * FRAME_STEP);
            for (int r = 0, n = rows[p]; r < n; r++, rowOff += s) {
                long start = (long) ((phase + r) & (PERIOD_UNITS - 1)) * u;
                MemorySegment.copy(ref, start, frame, rowOff, len);
            }
            for (int i = 0, n = stampLen[p]; i < n; i++) {
                frame.set(ValueLayout.JAVA_BYTE, stampOffset(p, i), stampAt(seq, p, i));
            }
        }
    }

    /**
     * Checks that a frame holds exactly what {@link #write(MemorySegment, long) write(frame, seq)}
     * produces, ignoring stride padding.
     *
     * @param frame the frame buffer, at least {@link FrameLayout#frameBytes()} bytes
     * @param seq   the expected sequence number, ≥ 0
     * @return -1 if every data byte matches, else the offset (from the start of the frame) of the
     *         first data byte that differs
     * @throws IllegalArgumentException if seq is negative or the frame is too small
     * @throws IllegalStateException    if the pattern is closed
     */
    public long verify(MemorySegment frame, long seq) {
        check(frame, seq);
        for (int p = 0; p < planeCount; p++) {
            MemorySegment ref = reference[p];
            long rowOff = offset[p];
            int len = rowBytes[p];
            int s = stride[p];
            int u = unit[p];
            int stamp = stampLen[p];
            int phase = (int) (seq * FRAME_STEP);
            for (int r = 0, n = rows[p]; r < n; r++, rowOff += s) {
                long start = (long) ((phase + r) & (PERIOD_UNITS - 1)) * u;
                int from = 0;
                long rowStart = (long) r * len;
                if (rowStart < stamp) {
                    from = (int) Math.min(len, stamp - rowStart);
                    for (int c = 0; c < from; c++) {
                        if (frame.get(ValueLayout.JAVA_BYTE, rowOff + c) != stampAt(seq, p, (int) rowStart + c)) {
                            return rowOff + c;
                        }
                    }
                }
                long m = MemorySegment.mismatch(frame, rowOff + from, rowOff + len, ref, start + from, start + len);
                if (m >= 0) {
                    return rowOff + from + m;
                }
            }
        }
        return -1;
    }

    /**
     * Reads the sequence number stamped in the first plane.
     *
     * @param frame the frame buffer, at least {@link FrameLayout#frameBytes()} bytes
     * @return the sequence number, or -1 if the stamp is not consistent (never written, torn,
     *         or overwritten)
     * @throws IllegalArgumentException if the frame is too small
     * @throws IllegalStateException    if the pattern is closed
     */
    public long readSequence(MemorySegment frame) {
        check(frame, 0);
        long lo = 0;
        long hi = 0;
        for (int i = 0; i < 8; i++) {
            lo |= (frame.get(ValueLayout.JAVA_BYTE, stampOffset(0, i * stampStep)) & 0xffL) << (8 * i);
            hi |= (frame.get(ValueLayout.JAVA_BYTE, stampOffset(0, (i + 8) * stampStep)) & 0xffL) << (8 * i);
        }
        return lo >= 0 && hi == ~lo ? lo : -1;
    }

    private long stampOffset(int plane, int i) {
        int len = rowBytes[plane];
        return offset[plane] + (long) (i / len) * stride[plane] + i % len;
    }

    /** The byte at data byte {@code j} of plane {@code plane}'s stamp. */
    private byte stampAt(long seq, int plane, int j) {
        if (stampStep == 1) return stampByte(seq, plane, j);
        return (j & 1) == 0 ? stampByte(seq, plane, j >> 1) : 0;
    }

    private static byte stampByte(long seq, int plane, int i) {
        long word = i < 8 ? seq : ~seq ^ (plane * PLANE_MIX);
        return (byte) (word >>> (8 * (i & 7)));
    }

    private void check(MemorySegment frame, long seq) {
        if (closed.get()) {
            throw new IllegalStateException("TestPattern for " + layout.format() + " " + layout.width() + "x"
                    + layout.height() + " is closed; create a new one");
        }
        if (seq < 0) {
            throw new IllegalArgumentException("Sequence number " + seq + " is negative; sequence numbers are 0.."
                    + Long.MAX_VALUE);
        }
        if (frame.byteSize() < frameBytes) {
            throw new IllegalArgumentException("Frame segment of " + frame.byteSize() + " bytes is smaller than the "
                    + frameBytes + " bytes of " + layout + "; pass a buffer of at least frameBytes()");
        }
    }

    /** Frees the reference rows. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "TestPattern[" + layout + "]";
    }
}
