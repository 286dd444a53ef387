package dev.vbuf.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class FrameLayoutTest {

    @Test
    void nv12At4k() {
        FrameLayout l = FrameLayout.of(PixelFormat.NV12, 3840, 2160);
        assertEquals(12_441_600L, l.frameBytes());
        assertEquals(new Plane(0, 0, 3840, 3840, 2160, 8_294_400L), l.plane(0));
        assertEquals(new Plane(1, 8_294_400L, 3840, 3840, 1080, 4_147_200L), l.plane(1));
        assertEquals("NV12 3840x2160 (stride align 64): Y 3840x2160 stride 3840 @0, UV 3840x1080 stride 3840 @8294400"
                + " = 12441600 bytes", l.toString());
    }

    @Test
    void nv12At1080p() {
        FrameLayout l = FrameLayout.of(PixelFormat.NV12, 1920, 1080, 64);
        assertEquals(1920, l.plane(0).stride());
        assertEquals(1080, l.plane(0).rows());
        assertEquals(540, l.plane(1).rows());
        assertEquals(3_110_400L, l.frameBytes());
    }

    @Test
    void i420And_yv12HaveThreePlanesWithHalfStrides() {
        FrameLayout i = FrameLayout.of(PixelFormat.I420, 1920, 1080);
        assertEquals(3, i.planeCount());
        assertEquals(960, i.plane(1).rowBytes());
        assertEquals(960, i.plane(1).stride());
        assertEquals(540, i.plane(2).rows());
        assertEquals(1920L * 1080 * 3 / 2, i.frameBytes());
        assertEquals(1920L * 1080 + 960L * 540, i.plane(2).offset());
        FrameLayout y = FrameLayout.of(PixelFormat.YV12, 1920, 1080);
        assertEquals(i.frameBytes(), y.frameBytes());
        assertTrue(y.toString().contains("V 960x540 stride 960 @2073600, U 960x540"), y.toString());
    }

    @Test
    void strideIsPaddedToAlignment() {
        // 1366 wide I420: Y row 1366 -> stride 1408; chroma row 683 -> stride 704
        FrameLayout l = FrameLayout.of(PixelFormat.I420, 1366, 768, 64);
        assertEquals(1408, l.plane(0).stride());
        assertEquals(704, l.plane(1).stride());
        assertEquals(1408L * 768 + 2L * 704 * 384, l.frameBytes());
        assertEquals(1366, FrameLayout.of(PixelFormat.I420, 1366, 768, 1).plane(0).stride());
        assertEquals(4096, FrameLayout.of(PixelFormat.GRAY8, 100, 10, 4096).plane(0).stride());
    }

    @ParameterizedTest
    @CsvSource({
            "NV16, 1920, 1080, 4147200", "P010, 3840, 2160, 24883200", "YUYV, 1920, 1080, 4147200",
            "UYVY, 1920, 1080, 4147200", "RGB24, 1920, 1080, 6220800", "BGR24, 1920, 1080, 6220800",
            "RGBA, 7680, 4320, 132710400", "BGRA, 1920, 1080, 8294400", "ARGB, 1920, 1080, 8294400",
            "RGBA64, 7680, 4320, 265420800", "GRAY8, 1920, 1080, 2073600", "GRAY16, 1920, 1080, 4147200",
            "NV21, 1920, 1080, 3110400",
    })
    void knownFrameSizes(PixelFormat f, int w, int h, long bytes) {
        assertEquals(bytes, FrameLayout.of(f, w, h).frameBytes());
    }

    @Test
    void planeCountsPerFormat() {
        assertEquals(2, FrameLayout.of(PixelFormat.P010, 64, 64).planeCount());
        assertEquals(128, FrameLayout.of(PixelFormat.P010, 64, 64).plane(0).rowBytes());
        assertEquals(64, FrameLayout.of(PixelFormat.NV16, 64, 64).plane(1).rows());
        assertEquals(1, FrameLayout.of(PixelFormat.RGBA64, 64, 64).planeCount());
        assertEquals(512, FrameLayout.of(PixelFormat.RGBA64, 64, 64).plane(0).rowBytes());
    }

    @Test
    void oddSizesRejectedForSubsampledFormats() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FrameLayout.of(PixelFormat.I420, 1921, 1080));
        assertTrue(e.getMessage().contains("1921") && e.getMessage().contains("even")
                && e.getMessage().contains("1920 or 1922"), e.getMessage());
        for (PixelFormat f : new PixelFormat[] {PixelFormat.NV12, PixelFormat.NV21, PixelFormat.YV12, PixelFormat.P010}) {
            assertThrows(IllegalArgumentException.class, () -> FrameLayout.of(f, 1921, 1080), f.name());
            IllegalArgumentException h = assertThrows(IllegalArgumentException.class, () -> FrameLayout.of(f, 1920, 1081));
            assertTrue(h.getMessage().contains("Height 1081"), h.getMessage());
        }
        for (PixelFormat f : new PixelFormat[] {PixelFormat.NV16, PixelFormat.YUYV, PixelFormat.UYVY}) {
            assertThrows(IllegalArgumentException.class, () -> FrameLayout.of(f, 1921, 1080), f.name());
            assertEquals(1081, FrameLayout.of(f, 1920, 1081).height());
        }
        assertEquals(1, FrameLayout.of(PixelFormat.RGB24, 1, 1).width());
        IllegalArgumentException one = assertThrows(IllegalArgumentException.class, () -> FrameLayout.of(PixelFormat.NV12, 1, 2));
        assertTrue(one.getMessage().contains("Use 2,"), one.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"0, 100", "100, 0", "-1, 100", "16385, 100", "100, 16385"})
    void dimensionsOutOfRangeRejected(int w, int h) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FrameLayout.of(PixelFormat.RGBA, w, h));
        assertTrue(e.getMessage().contains("between 1 and 16384"), e.getMessage());
    }

    @Test
    void largestFrame() {
        FrameLayout l = FrameLayout.of(PixelFormat.RGBA64, FrameLayout.MAX_DIMENSION, FrameLayout.MAX_DIMENSION);
        assertEquals(1L << 31, l.frameBytes());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -64, 3, 48, 100, 8192, Integer.MIN_VALUE})
    void badStrideAlignmentRejected(int align) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FrameLayout.of(PixelFormat.NV12, 64, 64, align));
        assertTrue(e.getMessage().contains("power of two") && e.getMessage().contains(String.valueOf(align)), e.getMessage());
    }

    @Test
    void nullFormatRejected() {
        assertThrows(IllegalArgumentException.class, () -> FrameLayout.of(null, 64, 64));
    }

    @Test
    void planeIndexChecked() {
        FrameLayout l = FrameLayout.of(PixelFormat.NV12, 64, 64);
        assertThrows(IndexOutOfBoundsException.class, () -> l.plane(2));
        assertThrows(IndexOutOfBoundsException.class, () -> l.plane(-1));
    }

    @Test
    void equality() {
        assertEquals(FrameLayout.of(PixelFormat.NV12, 64, 64), FrameLayout.of(PixelFormat.NV12, 64, 64, 64));
        assertEquals(FrameLayout.of(PixelFormat.NV12, 64, 64).hashCode(), FrameLayout.of(PixelFormat.NV12, 64, 64, 64).hashCode());
        assertNotEquals(FrameLayout.of(PixelFormat.NV12, 64, 64), FrameLayout.of(PixelFormat.NV21, 64, 64));
        assertNotEquals(FrameLayout.of(PixelFormat.NV12, 64, 64), FrameLayout.of(PixelFormat.NV12, 64, 64, 128));
    }

    @Test
    void planeRecordValidates() {
        assertThrows(IllegalArgumentException.class, () -> new Plane(0, 0, 10, 20, 1, 10));
        assertThrows(IllegalArgumentException.class, () -> new Plane(0, 0, 20, 20, 2, 20));
        assertThrows(IllegalArgumentException.class, () -> new Plane(0, -1, 20, 20, 1, 20));
        Plane p = new Plane(1, 100, 32, 20, 3, 96);
        assertEquals(196, p.end());
        assertEquals(164, p.rowOffset(2));
        assertEquals(60, p.dataBytes());
    }
}
