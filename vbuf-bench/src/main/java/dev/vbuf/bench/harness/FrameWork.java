package dev.vbuf.bench.harness;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The work every transport does for a frame, identical whatever carries it: a 64-byte header
 * followed by the payload. The producer writes every byte of the payload (a pattern derived
 * from the sequence number, one 8-byte word at a time) and the checksum of what it wrote into
 * the header; the consumer reads every byte back and recomputes the checksum.
 *
 * <pre>
 * offset  0 magic        u64  "VBUFBNCH"
 *         8 sequence     u64  from 0, across all phases of a run
 *        16 startNanos   u64  System.nanoTime() before the producer wrote the payload
 *        24 submitNanos  u64  System.nanoTime() just before the hand-off
 *        32 payloadBytes u64
 *        40 checksum     u64  of the payload (0 in hand-off-only frames)
 *        48 phase        u64  Phase ordinal | WARMUP flag
 *        56 chunkOffset  u64  used by transports that split a frame into messages
 * </pre>
 */
final class FrameWork {
    static final int HEADER = 64;
    static final long MAGIC = 0x48434E4246554256L; // "VBUFBNCH" little-endian
    static final int O_MAGIC = 0, O_SEQ = 8, O_START = 16, O_SUBMIT = 24, O_PAYLOAD = 32, O_CHECKSUM = 40,
            O_PHASE = 48, O_CHUNK = 56;
    static final long WARMUP = 1L << 32;

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final long MIX = 0x9E3779B97F4A7C15L;

    private FrameWork() {}

    /** Writes every payload byte of {@code frame} (after the header) and returns its checksum. */
    static long write(MemorySegment frame, long payloadBytes, long seq) {
        long words = payloadBytes >>> 3;
        long base = seq * MIX;
        long sum = 0;
        long off = HEADER;
        for (long i = 0; i < words; i++, off += 8) {
            long v = base + i;
            frame.set(LONG, off, v);
            sum += v ^ (i << 17);
        }
        for (long b = words << 3; b < payloadBytes; b++) {
            byte v = (byte) (seq + b);
            frame.set(ValueLayout.JAVA_BYTE, HEADER + b, v);
            sum += v;
        }
        return sum;
    }

    /** Reads every payload byte of {@code frame} and returns the same checksum as {@link #write}. */
    static long checksum(MemorySegment frame, long payloadBytes) {
        long words = payloadBytes >>> 3;
        long sum = 0;
        long off = HEADER;
        for (long i = 0; i < words; i++, off += 8) {
            sum += frame.get(LONG, off) ^ (i << 17);
        }
        for (long b = words << 3; b < payloadBytes; b++) {
            sum += frame.get(ValueLayout.JAVA_BYTE, HEADER + b);
        }
        return sum;
    }

    static void header(MemorySegment f, long seq, long start, long payload, long checksum, long phase) {
        f.set(LONG, O_MAGIC, MAGIC);
        f.set(LONG, O_SEQ, seq);
        f.set(LONG, O_START, start);
        f.set(LONG, O_PAYLOAD, payload);
        f.set(LONG, O_CHECKSUM, checksum);
        f.set(LONG, O_PHASE, phase);
        f.set(LONG, O_CHUNK, 0);
    }

    static void stampSubmit(MemorySegment f, long nanos) { f.set(LONG, O_SUBMIT, nanos); }

    static long get(MemorySegment f, int offset) { return f.get(LONG, offset); }
}
