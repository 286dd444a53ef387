package dev.vbuf.format;

/**
 * The geometry of one plane of a frame buffer, as computed by {@link FrameLayout}.
 *
 * <p>The plane starts {@code offset} bytes into the frame and holds {@code rows} rows; row
 * {@code r} starts at {@code offset + r × stride} and its first {@code rowBytes} bytes are
 * picture data, the remaining {@code stride − rowBytes} bytes are alignment padding.
 *
 * <pre>
 *   offset ─► ┌──────────── rowBytes ────────────┬─ padding ─┐ ▲
 *             │ row 0                            │           │ │
 *             │ row 1                            │           │ rows
 *             │ ...                              │           │ │
 *             └──────────────────────────────────┴───────────┘ ▼
 *             ◄──────────────────── stride ──────────────────►
 * </pre>
 *
 * @param index    plane number, 0 first (Y for YUV formats)
 * @param offset   byte offset of the plane's first row from the start of the frame
 * @param stride   bytes from the start of one row to the start of the next (≥ rowBytes)
 * @param rowBytes bytes of picture data in each row
 * @param rows     number of rows
 * @param bytes    bytes the plane occupies: {@code stride × rows}
 */
public record Plane(int index, long offset, int stride, int rowBytes, int rows, long bytes) {

    /**
     * Checks the plane's numbers are consistent.
     *
     * @throws IllegalArgumentException if a value is negative, the stride is shorter than a
     *                                  row, or bytes is not stride × rows
     */
    public Plane {
        if (index < 0 || offset < 0 || rowBytes < 1 || rows < 1) {
            throw new IllegalArgumentException("Plane needs index ≥ 0, offset ≥ 0, rowBytes ≥ 1 and rows ≥ 1; got index "
                    + index + ", offset " + offset + ", rowBytes " + rowBytes + ", rows " + rows);
        }
        if (stride < rowBytes) {
            throw new IllegalArgumentException("Plane " + index + ": stride " + stride
                    + " is shorter than a row of " + rowBytes + " bytes; the stride must be ≥ rowBytes");
        }
        if (bytes != (long) stride * rows) {
            throw new IllegalArgumentException("Plane " + index + ": bytes " + bytes + " must equal stride × rows = "
                    + stride + " × " + rows + " = " + (long) stride * rows);
        }
    }

    /** @return the byte offset just past the plane's last row: {@code offset + bytes} */
    public long end() {
        return offset + bytes;
    }

    /**
     * The byte offset, from the start of the frame, of the first byte of a row.
     *
     * @param row row number, 0 ≤ row &lt; rows
     * @return {@code offset + row × stride}
     */
    public long rowOffset(int row) {
        return offset + (long) row * stride;
    }

    /** @return bytes of picture data in the plane, without padding: {@code rowBytes × rows} */
    public long dataBytes() {
        return (long) rowBytes * rows;
    }
}
