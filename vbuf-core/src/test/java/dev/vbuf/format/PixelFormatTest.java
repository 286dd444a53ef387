package dev.vbuf.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.HashSet;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class PixelFormatTest {

    @Test
    void hasTheSpecifiedFormatsInTheirOrder() {
        // a shared pool's header stores ordinal + 1 (include/vbuf_shm.h): new formats only at the end
        assertEquals("[NV12, NV21, I420, YV12, NV16, P010, YUYV, UYVY, RGB24, BGR24, RGBA, BGRA, ARGB, RGBA64, GRAY8, GRAY16,"
                        + " I422, I444, I010, I210, I410]",
                java.util.Arrays.toString(PixelFormat.values()));
    }

    @Test
    void tenBitFormatsSayWhereTheBitsAre() {
        for (PixelFormat f : new PixelFormat[] {PixelFormat.I010, PixelFormat.I210, PixelFormat.I410}) {
            assertEquals(10, f.bitDepth(), f.name());
            assertFalse(f.msbAligned(), f.name());
            assertEquals(2, f.bytesPerSample());
            assertEquals(3, f.planeCount());
        }
        assertTrue(PixelFormat.P010.msbAligned());
        assertEquals(10, PixelFormat.P010.bitDepth());
        assertEquals(16, PixelFormat.GRAY16.bitDepth());
        assertEquals(8, PixelFormat.I422.bitDepth());
        assertEquals(16, PixelFormat.I422.bitsPerPixel());
        assertEquals(24, PixelFormat.I444.bitsPerPixel());
        assertEquals(24, PixelFormat.I010.bitsPerPixel());
        assertEquals(32, PixelFormat.I210.bitsPerPixel());
        assertEquals(48, PixelFormat.I410.bitsPerPixel());
    }

    /** Values computed by hand from v4l2_fourcc(a,b,c,d) = a | b<<8 | c<<16 | d<<24 in videodev2.h. */
    @ParameterizedTest
    @CsvSource({
            "NV12,   0x3231564E, NV12, V4L2_PIX_FMT_NV12",
            "NV21,   0x3132564E, NV21, V4L2_PIX_FMT_NV21",
            "I420,   0x32315559, YU12, V4L2_PIX_FMT_YUV420",
            "YV12,   0x32315659, YV12, V4L2_PIX_FMT_YVU420",
            "NV16,   0x3631564E, NV16, V4L2_PIX_FMT_NV16",
            "P010,   0x30313050, P010, V4L2_PIX_FMT_P010",
            "YUYV,   0x56595559, YUYV, V4L2_PIX_FMT_YUYV",
            "UYVY,   0x59565955, UYVY, V4L2_PIX_FMT_UYVY",
            "RGB24,  0x33424752, RGB3, V4L2_PIX_FMT_RGB24",
            "BGR24,  0x33524742, BGR3, V4L2_PIX_FMT_BGR24",
            "RGBA,   0x34324241, AB24, V4L2_PIX_FMT_RGBA32",
            "BGRA,   0x34325241, AR24, V4L2_PIX_FMT_ABGR32",
            "ARGB,   0x34324142, BA24, V4L2_PIX_FMT_ARGB32",
            "GRAY8,  0x59455247, GREY, V4L2_PIX_FMT_GREY",
            "I422,   0x50323234, 422P, V4L2_PIX_FMT_YUV422P",
    })
    void fourccMatchesVideodev2(PixelFormat f, String hex, String chars, String macro) {
        assertEquals(Integer.parseUnsignedInt(hex.substring(2), 16), f.v4l2Fourcc().getAsInt());
        assertEquals(chars, f.fourccString());
        assertEquals(Optional.of(macro), f.v4l2MacroName());
    }

    @Test
    void gray16FourccEndsInASpace() {
        assertEquals("Y16 ", PixelFormat.GRAY16.fourccString());
        assertEquals(0x20363159, PixelFormat.GRAY16.v4l2Fourcc().getAsInt());
    }

    @Test
    void rgba64HasNoV4l2Code() {
        assertEquals(OptionalInt.empty(), PixelFormat.RGBA64.v4l2Fourcc());
        assertEquals("none", PixelFormat.RGBA64.fourccString());
        assertTrue(PixelFormat.RGBA64.v4l2MacroName().isEmpty());
    }

    @ParameterizedTest
    @EnumSource(PixelFormat.class)
    void fourccRoundTrips(PixelFormat f) {
        f.v4l2Fourcc().ifPresent(code -> {
            assertEquals(Optional.of(f), PixelFormat.fromV4l2Fourcc(code));
            assertEquals(code, PixelFormat.fourccOf(f.fourccString()));
            assertEquals(f.fourccString(), PixelFormat.fourccToString(code));
            assertSame(f, PixelFormat.parse(f.fourccString()));
        });
        assertSame(f, PixelFormat.parse(f.name()));
        assertSame(f, PixelFormat.parse(f.name().toLowerCase(java.util.Locale.ROOT)));
        for (String alias : f.aliases()) {
            assertSame(f, PixelFormat.parse(alias));
            assertSame(f, PixelFormat.parse(alias.toUpperCase(java.util.Locale.ROOT)));
        }
    }

    @Test
    void fourccCodesAreDistinct() {
        Set<Integer> codes = new HashSet<>();
        for (PixelFormat f : PixelFormat.values()) {
            f.v4l2Fourcc().ifPresent(c -> assertTrue(codes.add(c), "duplicate fourcc for " + f));
        }
        assertEquals(16, codes.size());
    }

    @Test
    void unrelatedFourccIsNotFound() {
        assertEquals(Optional.empty(), PixelFormat.fromV4l2Fourcc(PixelFormat.fourccOf("H264")));
        // V4L2_PIX_FMT_BGRA32 'RA24' is A,B,G,R in memory: not our BGRA
        assertEquals(Optional.empty(), PixelFormat.fromV4l2Fourcc(PixelFormat.fourccOf("RA24")));
        assertEquals(Optional.empty(), PixelFormat.fromV4l2Fourcc(0));
    }

    @ParameterizedTest
    @CsvSource({
            "nv12, NV12", "NV21, NV21", "yuv420p, I420", "i420, I420", "YU12, I420", "yv12, YV12",
            "gray, GRAY8", "gray8, GRAY8", "y8, GRAY8", "GREY, GRAY8", "gray16, GRAY16", "p010, P010",
            "P010LE, P010", "rgba, RGBA", "bgra, BGRA", "argb, ARGB", "rgba64, RGBA64", "yuy2, YUYV",
            "rgb24, RGB24", "bgr24, BGR24", "AB24, RGBA", "ab24, RGBA", "AR24, BGRA", "BA24, ARGB",
            "RGB3, RGB24", "BGR3, BGR24", "' nv12 ', NV12", "yuv_420_p, I420", "Y16 , GRAY16",
    })
    void parsesNamesAliasesAndFourccs(String text, PixelFormat expected) {
        assertSame(expected, PixelFormat.parse(text));
    }

    @Test
    void unknownNameIsRejectedNamingInputAndEveryFormat() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PixelFormat.parse("xyz42"));
        assertTrue(e.getMessage().contains("'xyz42'"), e.getMessage());
        for (PixelFormat f : PixelFormat.values()) {
            assertTrue(e.getMessage().contains(f.name()), f + " missing from: " + e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> PixelFormat.parse(null));
        assertThrows(IllegalArgumentException.class, () -> PixelFormat.parse(""));
        assertThrows(IllegalArgumentException.class, () -> PixelFormat.parse("RA24"));
    }

    @Test
    void fourccOfRejectsBadInput() {
        assertThrows(IllegalArgumentException.class, () -> PixelFormat.fourccOf("NV1"));
        assertThrows(IllegalArgumentException.class, () -> PixelFormat.fourccOf(null));
        assertThrows(IllegalArgumentException.class, () -> PixelFormat.fourccOf("NV1\u00e9"));
    }

    @Test
    void geometry() {
        assertEquals(2, PixelFormat.NV12.planeCount());
        assertEquals(3, PixelFormat.I420.planeCount());
        assertEquals(1, PixelFormat.YUYV.planeCount());
        assertEquals("V", PixelFormat.YV12.planeName(1));
        assertEquals("U", PixelFormat.YV12.planeName(2));
        assertEquals("VU", PixelFormat.NV21.planeName(1));
        assertEquals(12, PixelFormat.NV12.bitsPerPixel());
        assertEquals(12, PixelFormat.I420.bitsPerPixel());
        assertEquals(16, PixelFormat.NV16.bitsPerPixel());
        assertEquals(24, PixelFormat.P010.bitsPerPixel());
        assertEquals(16, PixelFormat.UYVY.bitsPerPixel());
        assertEquals(24, PixelFormat.BGR24.bitsPerPixel());
        assertEquals(32, PixelFormat.ARGB.bitsPerPixel());
        assertEquals(64, PixelFormat.RGBA64.bitsPerPixel());
        assertEquals(8, PixelFormat.GRAY8.bitsPerPixel());
        assertEquals(16, PixelFormat.GRAY16.bitsPerPixel());
        assertEquals(2, PixelFormat.P010.bytesPerSample());
        assertEquals(2, PixelFormat.RGBA64.bytesPerSample());
        assertEquals(1, PixelFormat.NV12.bytesPerSample());
        for (PixelFormat f : EnumSet.of(PixelFormat.NV12, PixelFormat.NV21, PixelFormat.I420, PixelFormat.YV12, PixelFormat.P010)) {
            assertEquals(2, f.horizontalSubsampling(), f.name());
            assertEquals(2, f.verticalSubsampling(), f.name());
        }
        for (PixelFormat f : EnumSet.of(PixelFormat.NV16, PixelFormat.YUYV, PixelFormat.UYVY)) {
            assertEquals(2, f.horizontalSubsampling(), f.name());
            assertEquals(1, f.verticalSubsampling(), f.name());
        }
        assertEquals(1, PixelFormat.RGBA.horizontalSubsampling());
        assertTrue(PixelFormat.ARGB.hasAlpha());
        assertFalse(PixelFormat.RGB24.hasAlpha());
        assertTrue(PixelFormat.P010.isYuv());
        assertFalse(PixelFormat.GRAY8.isYuv());
        assertThrows(IndexOutOfBoundsException.class, () -> PixelFormat.NV12.planeName(2));
    }
}
