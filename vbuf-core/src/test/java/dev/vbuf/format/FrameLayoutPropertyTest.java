package dev.vbuf.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

class FrameLayoutPropertyTest {

    @Provide
    Arbitrary<Integer> alignments() {
        return Arbitraries.integers().between(0, 12).map(e -> 1 << e);
    }

    private static FrameLayout layout(PixelFormat f, int w, int h, int align) {
        int width = w - w % f.widthMultiple();
        int height = h - h % f.heightMultiple();
        Assume.that(width >= 1 && height >= 1);
        return FrameLayout.of(f, width, height, align);
    }

    @Property
    void planesAreAlignedOrderedDisjointAndInsideTheFrame(@ForAll PixelFormat f,
                                                          @ForAll @IntRange(min = 1, max = 16384) int w,
                                                          @ForAll @IntRange(min = 1, max = 16384) int h,
                                                          @ForAll("alignments") int align) {
        FrameLayout l = layout(f, w, h, align);
        assertEquals(f.planeCount(), l.planeCount());
        long sum = 0;
        long previousEnd = 0;
        for (Plane p : l.planes()) {
            assertEquals(0, p.offset() % align, "offset aligned");
            assertEquals(0, p.stride() % align, "stride multiple of align");
            assertTrue(p.stride() >= p.rowBytes(), "stride >= rowBytes");
            assertTrue(p.stride() - p.rowBytes() < align, "stride is the smallest aligned size");
            assertTrue(p.offset() >= previousEnd, "no overlap with previous plane");
            assertEquals((long) p.stride() * p.rows(), p.bytes());
            previousEnd = p.end();
            sum += p.bytes();
        }
        assertTrue(sum <= l.frameBytes());
        assertEquals(previousEnd, l.frameBytes());
        assertTrue(l.dataBytes() <= l.frameBytes());
    }

    @Property
    void dataBytesFollowBitsPerPixel(@ForAll PixelFormat f,
                                     @ForAll @IntRange(min = 1, max = 4096) int w,
                                     @ForAll @IntRange(min = 1, max = 4096) int h) {
        FrameLayout l = layout(f, w, h, 1);
        assertEquals((long) l.width() * l.height() * f.bitsPerPixel() / 8, l.dataBytes());
        assertEquals(l.dataBytes(), l.frameBytes(), "no padding with alignment 1");
    }

    @Property
    void lumaPlaneCoversEveryPixel(@ForAll PixelFormat f,
                                   @ForAll @IntRange(min = 1, max = 16384) int w,
                                   @ForAll @IntRange(min = 1, max = 16384) int h,
                                   @ForAll("alignments") int align) {
        FrameLayout l = layout(f, w, h, align);
        Plane first = l.plane(0);
        assertEquals(l.height(), first.rows());
        int bytesPerPixel = f.planeCount() == 1 ? f.bitsPerPixel() / 8 : f.bytesPerSample();
        assertEquals((long) l.width() * bytesPerPixel, first.rowBytes());
    }

    @Property
    void oddWidthRejectedExactlyForSubsampledFormats(@ForAll PixelFormat f,
                                                     @ForAll @IntRange(min = 0, max = 8191) int half) {
        int odd = 2 * half + 1;
        boolean rejected;
        try {
            FrameLayout.of(f, odd, 2);
            rejected = false;
        } catch (IllegalArgumentException e) {
            rejected = true;
            assertTrue(e.getMessage().contains(String.valueOf(odd)));
        }
        assertEquals(f.horizontalSubsampling() == 2, rejected);
    }
}
