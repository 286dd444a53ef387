package dev.vbuf.net;

/**
 * How a frame is cut into chunks: each chunk is one message of at most {@code messageBytes}
 * (header included); the first carries {@link ChunkHeader#FIRST_HEADER_BYTES} of header, the
 * others {@link ChunkHeader#NEXT_HEADER_BYTES}. A frame of 0 bytes is one FIRST chunk without
 * data. Pure arithmetic, shared by the sender and the tests.
 *
 * @param messageBytes the largest message, header included; more than {@link ChunkHeader#FIRST_HEADER_BYTES}
 */
public record Chunking(int messageBytes) {
    public Chunking {
        if (messageBytes <= ChunkHeader.FIRST_HEADER_BYTES) {
            throw new IllegalArgumentException("a chunk of " + messageBytes + " bytes leaves no room for data after the "
                    + ChunkHeader.FIRST_HEADER_BYTES + "-byte header; give more than " + ChunkHeader.FIRST_HEADER_BYTES
                    + " bytes (an Aeron MTU of 1408 carries 1376)");
        }
    }

    /** Data bytes of the first chunk of a frame of {@code total} bytes. */
    public long firstData(long total) { return Math.min(total, messageBytes - ChunkHeader.FIRST_HEADER_BYTES); }

    /** Data bytes of the chunk that starts at {@code offset} (> 0) of a frame of {@code total} bytes. */
    public long nextData(long total, long offset) { return Math.min(total - offset, messageBytes - ChunkHeader.NEXT_HEADER_BYTES); }

    /** Data bytes of the chunk at {@code offset}. */
    public long dataAt(long total, long offset) { return offset == 0 ? firstData(total) : nextData(total, offset); }

    /** Chunks of a frame of {@code total} bytes (at least one). */
    public long count(long total) {
        long rest = total - firstData(total);
        long per = messageBytes - ChunkHeader.NEXT_HEADER_BYTES;
        return 1 + (rest + per - 1) / per;
    }

    /** Bytes on the stream for a frame of {@code total} bytes: data plus every chunk's header. */
    public long wireBytes(long total) {
        return total + ChunkHeader.FIRST_HEADER_BYTES + (count(total) - 1) * ChunkHeader.NEXT_HEADER_BYTES;
    }
}
