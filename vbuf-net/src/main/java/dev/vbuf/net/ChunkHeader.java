package dev.vbuf.net;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * The one descriptor of the chunk header that leads every vbuf message on an Aeron stream:
 * offsets, kinds and the checks a receiver makes before it uses a field. All fields are
 * little-endian.
 *
 * <pre>
 *  0 +------------------------------------------------------------------+
 *    | magic u32 'VBNF'   4 version u8 (1)   5 kind u8   6 headerBytes u16 |
 *  8 | frameNumber u64  (the sender's count of frames put on the stream)   |
 * 16 | offset u64       (where this chunk's bytes go in the frame)         |
 * 24 | chunkBytes u32   (data bytes that follow the header)  28 reserved   |
 * 32 +-- FIRST only ----------------------------------------------------- +
 *    | totalBytes u64   (the frame's payload bytes)                        |
 * 40 | sequence u64  48 pts u64  56 captureNanos u64  64 submitNanos u64    |
 * 72 | width u32  76 height u32  80 formatCode u32  84 flags u32           |
 * 88 | planeCount u32  92 reserved u32                                     |
 * 96 | stride u32 x 4  (0 past planeCount)                                 |
 *112 | reserved .. 127                                                     |
 *    +------------------------------------------------------------------+
 *    | chunkBytes of frame data                                           |
 * </pre>
 *
 * A frame of {@code totalBytes} goes as one {@link #FIRST} chunk at offset 0 (metadata and the
 * first bytes) and as many {@link #NEXT} chunks as needed, in order, each at the offset where the
 * previous one ended. {@link #END_OF_STREAM} (no data) says the sender's pool ended its stream.
 * A receiver trusts nothing here: {@link #check} refuses a header whose kind, length or range
 * does not hold before any field is used as a size or an index.
 */
public final class ChunkHeader {
    /** 'VBNF' in memory order (V, B, N, F). */
    public static final int MAGIC = 'V' | 'B' << 8 | 'N' << 16 | 'F' << 24;
    public static final int VERSION = 1;

    /** The first chunk of a frame: the metadata, then the frame's first bytes. */
    public static final int FIRST = 1;
    /** A following chunk of a frame. */
    public static final int NEXT = 2;
    /** The sender's stream ended (its pool was marked end of stream); no data. */
    public static final int END_OF_STREAM = 3;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 4;
    public static final int KIND_OFFSET = 5;
    public static final int HEADER_BYTES_OFFSET = 6;
    public static final int FRAME_NUMBER_OFFSET = 8;
    public static final int OFFSET_OFFSET = 16;
    public static final int CHUNK_BYTES_OFFSET = 24;
    /** Bytes of the header of a {@link #NEXT} or {@link #END_OF_STREAM} chunk. */
    public static final int NEXT_HEADER_BYTES = 32;

    public static final int TOTAL_BYTES_OFFSET = 32;
    public static final int SEQUENCE_OFFSET = 40;
    public static final int PTS_OFFSET = 48;
    public static final int CAPTURE_NANOS_OFFSET = 56;
    public static final int SUBMIT_NANOS_OFFSET = 64;
    public static final int WIDTH_OFFSET = 72;
    public static final int HEIGHT_OFFSET = 76;
    public static final int FORMAT_OFFSET = 80;
    public static final int FLAGS_OFFSET = 84;
    public static final int PLANE_COUNT_OFFSET = 88;
    public static final int STRIDES_OFFSET = 96;
    /** Most planes a header describes. */
    public static final int MAX_PLANES = 4;
    /** Bytes of the header of a {@link #FIRST} chunk. */
    public static final int FIRST_HEADER_BYTES = 128;

    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** Why a header was refused ({@link #check}); {@code OK} when it was not. */
    public enum Refusal {
        OK("accepted"),
        /** Too short for its header, wrong magic, version or kind. */
        NOT_A_CHUNK("not a vbuf chunk"),
        /** The chunk's length or offset does not fit the frame or the message. */
        BAD_RANGE("chunk outside its frame");

        private final String text;

        Refusal(String text) { this.text = text; }

        /** A few words for people. */
        public String text() { return text; }
    }

    private ChunkHeader() {}

    /** Writes the fields common to every chunk at {@code at}. */
    static void putCommon(MutableDirectBuffer b, int at, int kind, long frameNumber, long offset, int chunkBytes) {
        b.putInt(at + MAGIC_OFFSET, MAGIC, LE);
        b.putByte(at + VERSION_OFFSET, (byte) VERSION);
        b.putByte(at + KIND_OFFSET, (byte) kind);
        b.putShort(at + HEADER_BYTES_OFFSET, (short) (kind == FIRST ? FIRST_HEADER_BYTES : NEXT_HEADER_BYTES), LE);
        b.putLong(at + FRAME_NUMBER_OFFSET, frameNumber, LE);
        b.putLong(at + OFFSET_OFFSET, offset, LE);
        b.putInt(at + CHUNK_BYTES_OFFSET, chunkBytes, LE);
        b.putInt(at + CHUNK_BYTES_OFFSET + 4, 0, LE);
    }

    /** Bytes of the header of a chunk of this kind. */
    public static int headerBytes(int kind) { return kind == FIRST ? FIRST_HEADER_BYTES : NEXT_HEADER_BYTES; }

    public static int kind(DirectBuffer b, int at) { return b.getByte(at + KIND_OFFSET) & 0xff; }
    public static long frameNumber(DirectBuffer b, int at) { return b.getLong(at + FRAME_NUMBER_OFFSET, LE); }
    public static long offset(DirectBuffer b, int at) { return b.getLong(at + OFFSET_OFFSET, LE); }
    /** The data bytes the header claims; unsigned, so a hostile value is never negative. */
    public static long chunkBytes(DirectBuffer b, int at) { return b.getInt(at + CHUNK_BYTES_OFFSET, LE) & 0xffff_ffffL; }
    public static long totalBytes(DirectBuffer b, int at) { return b.getLong(at + TOTAL_BYTES_OFFSET, LE); }

    /**
     * Checks the header of a message of {@code length} bytes at {@code at}, before any field is
     * used: magic, version and kind; the message holds the whole header and exactly
     * {@code chunkBytes} data bytes (or, when {@code fragmentOfLargerMessage}, at least the header
     * and at most {@code chunkBytes}); offset and length are non-negative and end within
     * {@code totalBytes} for a FIRST chunk (whose offset must be 0).
     *
     * @return {@link Refusal#OK} or why the header is refused
     */
    public static Refusal check(DirectBuffer b, int at, int length, boolean fragmentOfLargerMessage) {
        if (length < NEXT_HEADER_BYTES) return Refusal.NOT_A_CHUNK;
        if (b.getInt(at + MAGIC_OFFSET, LE) != MAGIC || (b.getByte(at + VERSION_OFFSET) & 0xff) != VERSION) {
            return Refusal.NOT_A_CHUNK;
        }
        int kind = kind(b, at);
        if (kind != FIRST && kind != NEXT && kind != END_OF_STREAM) return Refusal.NOT_A_CHUNK;
        int header = headerBytes(kind);
        if ((b.getShort(at + HEADER_BYTES_OFFSET, LE) & 0xffff) != header || length < header) return Refusal.NOT_A_CHUNK;
        long chunk = chunkBytes(b, at);
        long carried = (long) length - header;
        if (fragmentOfLargerMessage ? carried > chunk : carried != chunk) return Refusal.BAD_RANGE;
        long offset = offset(b, at);
        if (offset < 0 || frameNumber(b, at) < 0) return Refusal.BAD_RANGE;
        if (kind == END_OF_STREAM) return chunk == 0 && offset == 0 ? Refusal.OK : Refusal.BAD_RANGE;
        if (kind == FIRST) {
            long total = totalBytes(b, at);
            if (offset != 0 || total < 0 || chunk > total) return Refusal.BAD_RANGE;
            int planes = b.getInt(at + PLANE_COUNT_OFFSET, LE);
            if (planes < 0 || planes > MAX_PLANES) return Refusal.BAD_RANGE;
        }
        return Refusal.OK;
    }
}
