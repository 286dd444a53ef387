package dev.vbuf.format;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

class TestPatternPropertyTest {

    /** The data-byte offsets of a layout (excluding padding), the n-th of which is returned. */
    private static long nthDataByte(FrameLayout layout, long n) {
        long k = Math.floorMod(n, layout.dataBytes());
        for (Plane p : layout.planes()) {
            if (k < p.dataBytes()) {
                return p.rowOffset((int) (k / p.rowBytes())) + k % p.rowBytes();
            }
            k -= p.dataBytes();
        }
        throw new AssertionError("unreachable");
    }

    private static FrameLayout layout(PixelFormat f, int w, int h, int alignShift) {
        int width = w - w % f.widthMultiple();
        int height = h - h % f.heightMultiple();
        Assume.that(width >= 1 && height >= 1 && (long) width * height >= 16);
        return FrameLayout.of(f, width, height, 1 << alignShift);
    }

    @Property(tries = 500)
    void flippingAnyDataByteIsReportedAtThatOffset(@ForAll PixelFormat f,
                                                   @ForAll @IntRange(min = 1, max = 80) int w,
                                                   @ForAll @IntRange(min = 1, max = 40) int h,
                                                   @ForAll @IntRange(min = 0, max = 7) int alignShift,
                                                   @ForAll @LongRange(min = 0, max = Long.MAX_VALUE) long seq,
                                                   @ForAll long which,
                                                   @ForAll @IntRange(min = 1, max = 255) int xor) {
        FrameLayout layout = layout(f, w, h, alignShift);
        try (Arena arena = Arena.ofConfined(); TestPattern pattern = new TestPattern(layout)) {
            MemorySegment frame = arena.allocate(layout.frameBytes());
            pattern.write(frame, seq);
            assertEquals(-1, pattern.verify(frame, seq));
            long at = nthDataByte(layout, which);
            frame.set(ValueLayout.JAVA_BYTE, at, (byte) (frame.get(ValueLayout.JAVA_BYTE, at) ^ xor));
            assertEquals(at, pattern.verify(frame, seq));
        }
    }

    @Property(tries = 300)
    void otherSequenceNumbersFailAndTheStampRoundTrips(@ForAll PixelFormat f,
                                                       @ForAll @IntRange(min = 1, max = 64) int w,
                                                       @ForAll @IntRange(min = 1, max = 32) int h,
                                                       @ForAll @LongRange(min = 0, max = Long.MAX_VALUE) long seq,
                                                       @ForAll @LongRange(min = 0, max = Long.MAX_VALUE) long other) {
        Assume.that(seq != other);
        FrameLayout layout = layout(f, w, h, 6);
        try (Arena arena = Arena.ofConfined(); TestPattern pattern = new TestPattern(layout)) {
            MemorySegment frame = arena.allocate(layout.frameBytes());
            pattern.write(frame, seq);
            assertEquals(seq, pattern.readSequence(frame));
            long diff = pattern.verify(frame, other);
            // the stamp's first 8 bytes are seq little-endian: the first difference is the lowest differing byte
            // (in the planar 10-bit formats each stamp byte is the low byte of a 16-bit sample)
            int step = f.bitDepth() == 10 && !f.msbAligned() ? 2 : 1;
            assertEquals(Long.numberOfTrailingZeros(seq ^ other) / 8 * step, nthIndexOf(layout, diff));
            pattern.write(frame, other);
            assertEquals(-1, pattern.verify(frame, other));
            assertEquals(other, pattern.readSequence(frame));
        }
    }

    /** Inverse of nthDataByte for the first plane. */
    private static long nthIndexOf(FrameLayout layout, long offset) {
        Plane p = layout.plane(0);
        long row = (offset - p.offset()) / p.stride();
        return row * p.rowBytes() + (offset - p.offset()) % p.stride();
    }
}
