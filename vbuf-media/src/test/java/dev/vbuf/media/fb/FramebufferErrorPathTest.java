package dev.vbuf.media.fb;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.media.Media;
import dev.vbuf.media.MediaCounters;
import dev.vbuf.media.StreamInfo;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** The framebuffer's refusals and arithmetic, testable without /dev/fb0 (flipping runs in the guest: scripts/guest-checks/fb.sh). */
class FramebufferErrorPathTest {

    @Test
    void missingFramebufferNamesThePathAndWhatToDo() {
        assumeFalse(Files.exists(Path.of("/dev/fb0")), "skipped: this machine has /dev/fb0");
        var e = assertThrows(FramebufferException.class, () -> Framebuffer.open(Path.of("/dev/fb0")));
        assertTrue(e.getMessage().startsWith("/dev/fb0 does not exist; framebuffers present: none;"), e.getMessage());
        assertTrue(e.getMessage().contains("modprobe vfb"), e.getMessage());
    }

    @Test
    void aFileThatIsNotAFramebufferIsRefused() {
        var e = assertThrows(FramebufferException.class, () -> Framebuffer.open(Path.of("/dev/null")));
        assertTrue(e.getMessage().startsWith("/dev/null is not a framebuffer device ("), e.getMessage());
        assertTrue(e.getMessage().contains("FBIOGET_VSCREENINFO") && e.getMessage().contains("ENOTTY"), e.getMessage());
    }

    @Test
    void pixelFormatsAndPagesFollowTheScreenInformation() {
        var rgba = info(32, 0, 8, 16, 2560, 32L << 20);
        assertEquals(Optional.of(PixelFormat.RGBA), rgba.pixelFormat());
        assertEquals((32 << 20) / (2560 * 480), rgba.maxPages());
        assertEquals(Optional.of(PixelFormat.BGRA), info(32, 16, 8, 0, 2560, 1 << 20).pixelFormat());
        assertEquals(Optional.of(PixelFormat.RGB24), info(24, 0, 8, 16, 1920, 1 << 20).pixelFormat());
        assertEquals(Optional.empty(), info(16, 11, 5, 0, 1280, 1 << 20).pixelFormat()); // RGB565: no vbuf format
        // the layout of a page reproduces the line length
        FrameLayout l = FrameLayout.of(PixelFormat.RGBA, 640, 480, 512);
        assertEquals(2560, l.plane(0).stride());
    }

    @Test
    void theSinkIsFoundByThePipelineAndRefusesAMissingDevice() throws IOException {
        assumeFalse(Files.exists(Path.of("/dev/fb0")), "skipped: this machine has /dev/fb0");
        try (var sink = Media.openSink("/dev/fb0", new MediaCounters())) {
            var e = assertThrows(IOException.class, () -> sink.open(StreamInfo.of("t", FrameLayout.of(PixelFormat.RGBA, 64, 64), 30, 1, Map.of())));
            assertTrue(e.getMessage().startsWith("/dev/fb0 does not exist"), e.getMessage());
        }
    }

    private static Framebuffer.Info info(int bpp, int r, int g, int b, int line, long mem) {
        return new Framebuffer.Info("test", 640, 480, 640, 480, 0, 0, bpp, 0, r, g, b, 0, 0, mem, line, 2, 1);
    }
}
