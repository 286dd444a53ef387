package dev.vbuf.media;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.Plane;

import java.lang.foreign.MemorySegment;

/**
 * The visible picture inside a pool buffer: for each plane, where it starts, its stride (from
 * the buffer layout, which a decoder may pad) and the rows and row bytes of the visible
 * {@code width × height} picture. Sinks read pictures through this so that padding is never
 * written out, checksummed or compared. Immutable; computed once per stream, not per frame.
 */
public final class Geometry {
    private final FrameLayout buffer;
    private final FrameLayout visible;
    private final long[] offset;
    private final int[] stride, rowBytes, rows;

    public Geometry(FrameLayout buffer, int width, int height) {
        this.buffer = buffer;
        this.visible = FrameLayout.of(buffer.format(), width, height, 1);
        int n = buffer.planeCount();
        offset = new long[n];
        stride = new int[n];
        rowBytes = new int[n];
        rows = new int[n];
        for (int i = 0; i < n; i++) {
            Plane b = buffer.plane(i), v = visible.plane(i);
            offset[i] = b.offset();
            stride[i] = b.stride();
            rowBytes[i] = v.rowBytes();
            rows[i] = v.rows();
        }
    }

    public static Geometry of(StreamInfo info) {
        return new Geometry(info.layout(), info.width(), info.height());
    }

    public FrameLayout buffer() { return buffer; }
    /** The visible picture packed without padding (what Y4M and raw files hold). */
    public FrameLayout packed() { return visible; }
    public int planes() { return offset.length; }
    public long offset(int p) { return offset[p]; }
    public int stride(int p) { return stride[p]; }
    public int rowBytes(int p) { return rowBytes[p]; }
    public int rows(int p) { return rows[p]; }
    public int width() { return visible.width(); }
    public int height() { return visible.height(); }

    /** True when the visible picture is stored packed (stride = row bytes, planes back to back from 0). */
    public boolean isPacked() {
        long at = 0;
        for (int p = 0; p < offset.length; p++) {
            if (stride[p] != rowBytes[p] || offset[p] != at) return false;
            at += (long) rowBytes[p] * rows[p];
        }
        return true;
    }

    /** Bytes of the visible picture. */
    public long pictureBytes() {
        return visible.frameBytes();
    }

    /**
     * Compares the visible picture in {@code a} (this geometry) with a packed picture in {@code b}.
     *
     * @return -1 when equal, else the offset in {@code b} of the first byte that differs
     */
    public long mismatchPacked(MemorySegment a, MemorySegment packed) {
        long at = 0;
        for (int p = 0; p < offset.length; p++) {
            for (int r = 0; r < rows[p]; r++) {
                long src = offset[p] + (long) r * stride[p];
                long m = MemorySegment.mismatch(a, src, src + rowBytes[p], packed, at, at + rowBytes[p]);
                if (m >= 0) return at + m;
                at += rowBytes[p];
            }
        }
        return -1;
    }
}
