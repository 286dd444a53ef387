package dev.vbuf.media.sink;

import dev.vbuf.format.TestPattern;
import dev.vbuf.media.Geometry;
import dev.vbuf.media.MediaCounters;
import dev.vbuf.media.Sink;
import dev.vbuf.media.StreamInfo;
import dev.vbuf.pool.Frame;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * Per-picture CRC32C of the visible pixels (stride padding skipped), kept by picture number
 * (pts), and a check of every picture against vbuf's {@link TestPattern}: a stream made by
 * {@code --input testsrc} and stored losslessly comes back with every picture matching the
 * pattern regenerated for its pts. Pictures that are not the pattern at all (another source)
 * are counted as such; the summary says how many matched.
 *
 * <p>{@link #streamChecksum()} is the CRC32C of the per-picture CRCs in picture order, so two
 * runs over the same pictures give the same value whatever the reader and thread count.
 */
public final class ChecksumSink implements Sink {
    private final MediaCounters counters;
    private final CRC32C crc = new CRC32C();
    private Geometry g;
    private TestPattern pattern;
    private Arena arena;
    private MemorySegment expected;
    private ByteBuffer[] views = new ByteBuffer[0];
    private long[] crcs = new long[1024];
    private boolean[] seen = new boolean[1024];
    private long frames, matches, mismatches, duplicates, firstMismatch = -1, firstMismatchOffset = -1;
    private long maxPts = -1;

    public ChecksumSink(MediaCounters counters) {
        this.counters = counters;
    }

    @Override
    public void open(StreamInfo info) {
        g = Geometry.of(info);
        try {
            pattern = new TestPattern(g.packed());
            arena = Arena.ofShared();
            expected = arena.allocate(g.packed().frameBytes(), 64);
        } catch (IllegalArgumentException e) {
            pattern = null; // too small for a stamp: checksums only
        }
    }

    @Override
    public void accept(Frame frame) {
        try {
            long pts = frame.pts();
            MemorySegment buf = frame.segment();
            ByteBuffer bb = view(frame.id(), buf);
            crc.reset();
            for (int p = 0; p < g.planes(); p++) {
                long base = g.offset(p);
                for (int r = 0; r < g.rows(p); r++) {
                    int at = (int) (base + (long) r * g.stride(p));
                    bb.limit(at + g.rowBytes(p)).position(at);
                    crc.update(bb);
                }
            }
            record(pts, crc.getValue());
            if (pattern != null && pts >= 0) {
                pattern.write(expected, pts);
                long m = g.mismatchPacked(buf, expected);
                if (m < 0) {
                    matches++;
                } else {
                    mismatches++;
                    if (firstMismatch < 0) {
                        firstMismatch = pts;
                        firstMismatchOffset = m;
                    }
                }
            }
            frames++;
            counters.sinkFrames.increment();
        } finally {
            frame.close();
        }
    }

    private ByteBuffer view(int id, MemorySegment buf) {
        if (id >= views.length) views = Arrays.copyOf(views, Math.max(id + 1, views.length * 2));
        ByteBuffer v = views[id];
        if (v == null || v.capacity() != buf.byteSize()) {
            v = buf.asByteBuffer();
            views[id] = v;
        }
        return v;
    }

    private void record(long pts, long value) {
        if (pts < 0) return;
        if (pts >= crcs.length) {
            int n = (int) Math.min(Integer.MAX_VALUE - 8, Math.max(pts + 1, crcs.length * 2L));
            crcs = Arrays.copyOf(crcs, n);
            seen = Arrays.copyOf(seen, n);
        }
        if (seen[(int) pts]) duplicates++;
        seen[(int) pts] = true;
        crcs[(int) pts] = value;
        maxPts = Math.max(maxPts, pts);
    }

    @Override
    public void finish() {
    }

    /** CRC32C of picture {@code pts}, or -1 when it was not seen. */
    public long checksum(long pts) {
        return pts >= 0 && pts <= maxPts && seen[(int) pts] ? crcs[(int) pts] : -1;
    }

    /** CRC32C over the per-picture CRCs (4 bytes each, little-endian) in picture order. */
    public long streamChecksum() {
        CRC32C all = new CRC32C();
        byte[] b = new byte[4];
        for (int i = 0; i <= maxPts; i++) {
            if (!seen[i]) continue;
            long v = crcs[i];
            for (int k = 0; k < 4; k++) b[k] = (byte) (v >>> (8 * k));
            all.update(b);
        }
        return all.getValue();
    }

    public long frames() { return frames; }
    public long patternMatches() { return matches; }
    public long patternMismatches() { return mismatches; }
    /** Picture numbers seen more than once (looping makes these; otherwise a bug). */
    public long duplicates() { return duplicates; }
    /** Pts of the first picture that did not match the pattern, -1 if none. */
    public long firstMismatch() { return firstMismatch; }
    public long firstMismatchOffset() { return firstMismatchOffset; }

    /** Pictures missing between 0 and the highest pts seen. */
    public long missing() {
        long m = 0;
        for (int i = 0; i <= maxPts; i++) if (!seen[i]) m++;
        return m;
    }

    @Override
    public String summary() {
        return String.format("checksum: %d pictures, stream CRC32C %08x, test pattern: %d match, %d differ%s%s", frames,
                streamChecksum(), matches, mismatches,
                firstMismatch >= 0 ? " (first: picture " + firstMismatch + ", byte " + firstMismatchOffset + " of the picture)" : "",
                missing() > 0 ? ", " + missing() + " picture number(s) missing" : "");
    }

    @Override
    public void close() {
        if (pattern != null) pattern.close();
        if (arena != null) arena.close();
        arena = null;
        pattern = null;
    }

}
