package dev.vbuf.media.v4l2;

import dev.vbuf.format.PixelFormat;
import dev.vbuf.media.Media;
import dev.vbuf.media.SourceOptions;
import dev.vbuf.memory.BufferAllocationException;
import dev.vbuf.memory.BufferValidationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What this machine can test of V4L2 without a device: every refusal, with its message. The
 * capture itself runs in the guest (scripts/guest-checks/v4l2.sh).
 */
class V4l2ErrorPathTest {
    @TempDir Path dir;

    @Test
    void missingDeviceNamesThePathTheDevicesPresentAndWhatToDo() {
        Path p = Path.of("/dev/video0");
        assumeFalse(Files.exists(p), "skipped: this machine has /dev/video0");
        var e = assertThrows(V4l2Exception.class, () -> V4l2Device.open(p));
        String devices = V4l2Device.devicePaths().isEmpty() ? "none" : "/dev/video";
        assertTrue(e.getMessage().startsWith("/dev/video0 does not exist; devices present: " + devices), e.getMessage());
        assertTrue(e.getMessage().contains("modprobe vivid"), e.getMessage());
    }

    @Test
    void aFileThatIsNotAV4l2DeviceIsRefusedByQuerycap() throws IOException {
        var e = assertThrows(V4l2Exception.class, () -> V4l2Device.open(Path.of("/dev/null")));
        assertTrue(e.getMessage().startsWith("/dev/null is not a V4L2 device (VIDIOC_QUERYCAP failed: ENOTTY"), e.getMessage());
        assertTrue(e.getMessage().contains("pass a /dev/videoN capture node"), e.getMessage());
        Path regular = Files.writeString(dir.resolve("not-a-camera"), "hello");
        var e2 = assertThrows(V4l2Exception.class, () -> V4l2Device.open(regular));
        assertTrue(e2.getMessage().contains("is not a V4L2 device"), e2.getMessage());
    }

    @Test
    void aFormatWithoutAV4l2CodeOrASizeOutOfRangeIsRefusedBeforeAnyIoctl() {
        var e = assertThrows(IllegalArgumentException.class, () -> V4l2Device.checkRequest(PixelFormat.RGBA64, 640, 480));
        assertTrue(e.getMessage().contains("RGBA64 has no V4L2 code"), e.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class, () -> V4l2Device.checkRequest(PixelFormat.YUYV, 0, 480));
        assertTrue(e2.getMessage().contains("capture size 0x480 is outside 1..16384"), e2.getMessage());
        assertEquals(PixelFormat.fourccOf("YUYV"), V4l2Device.checkRequest(PixelFormat.YUYV, 640, 480));
    }

    @Test
    void aDriverThatSubstitutesAnotherFormatIsRefusedNamingWhatItOffers() {
        var yuyv = new V4l2Format(PixelFormat.fourccOf("YUYV"), 640, 480, 1, 1280, 614400, 0);
        var e = assertThrows(V4l2Exception.class, () -> V4l2Device.checkGranted("/dev/video9", PixelFormat.NV12, 640, 480, yuyv,
                "YUYV (YUYV 4:2:2, vbuf YUYV)"));
        assertEquals("/dev/video9 does not offer pixel format NV12 ('NV12'): VIDIOC_S_FMT answered with 'YUYV' instead;"
                + " the device offers: YUYV (YUYV 4:2:2, vbuf YUYV); choose one of those", e.getMessage());
        var tooSmall = new V4l2Format(PixelFormat.fourccOf("YUYV"), 640, 480, 1, 1000, 614400, 0);
        var e2 = assertThrows(V4l2Exception.class, () -> V4l2Device.checkGranted("/dev/video9", PixelFormat.YUYV, 640, 480, tooSmall, "x"));
        assertTrue(e2.getMessage().contains("smaller than 640x480 YUYV needs (1280 bytes per row"), e2.getMessage());
        V4l2Device.checkGranted("/dev/video9", PixelFormat.YUYV, 640, 480, yuyv, "x"); // accepted
    }

    @Test
    void theDriversStridesBecomeAVbufLayoutOnlyWhenVbufReproducesThem() {
        var yuyv = new V4l2Format(PixelFormat.fourccOf("YUYV"), 640, 480, 1, 1280, 614400, 0).layout().orElseThrow();
        assertEquals(1280, yuyv.plane(0).stride());
        assertEquals(614400, yuyv.frameBytes());
        var nv12 = new V4l2Format(PixelFormat.fourccOf("NV12"), 640, 480, 1, 640, 460800, 0).layout().orElseThrow();
        assertEquals(640, nv12.plane(1).stride());
        assertEquals(640L * 480, nv12.plane(1).offset());
        var i420 = new V4l2Format(PixelFormat.fourccOf("YU12"), 640, 480, 1, 640, 460800, 0).layout().orElseThrow();
        assertEquals(320, i420.plane(1).stride());
        // a stride no power-of-two alignment gives (704 for a 640-byte row) has no layout
        assertTrue(new V4l2Format(PixelFormat.fourccOf("YUYV"), 320, 240, 1, 704, 704 * 240, 0).layout().isEmpty());
        // a compressed format vbuf does not know
        assertTrue(new V4l2Format(PixelFormat.fourccOf("MJPG"), 640, 480, 1, 0, 300000, 0).layout().isEmpty());
    }

    @Test
    void theCountIsCutToTheMemoryBudgetAndRefusedBelowTwoBuffers() {
        assertEquals(4, V4l2Capture.negotiate(4, 614400, 256L << 20));
        assertEquals(5, V4l2Capture.negotiate(8, 614400, 3L << 20)); // 3 MiB holds 5 buffers of 600 KiB
        var e = assertThrows(BufferAllocationException.class, () -> V4l2Capture.negotiate(4, 614400, 1L << 20));
        assertTrue(e.getMessage().startsWith("a memory budget of 1048576 bytes holds 1 capture buffers of 614400 bytes;"
                + " streaming needs at least 2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> V4l2Capture.negotiate(0, 614400, 1L << 30));
        var e2 = assertThrows(IllegalArgumentException.class, () -> V4l2Capture.negotiate(33, 614400, 1L << 30));
        assertTrue(e2.getMessage().contains("outside 1..32"), e2.getMessage());
    }

    @Test
    void userPointerBuffersAreValidatedForAlignmentAndSize() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment page = a.allocate(3 * 4096, 4096);
            V4l2Capture.validateUserBuffer(0, page.asSlice(0, 8192), 8192); // aligned, big enough
            var e = assertThrows(BufferValidationException.class, () -> V4l2Capture.validateUserBuffer(1, page.asSlice(64, 8192), 8192));
            assertTrue(e.getMessage().startsWith("pool buffer 1 at 0x") && e.getMessage().contains("is not page aligned"), e.getMessage());
            var e2 = assertThrows(BufferValidationException.class, () -> V4l2Capture.validateUserBuffer(2, page.asSlice(0, 4096), 8192));
            assertTrue(e2.getMessage().contains("pool buffer 2 holds 4096 bytes but the device's sizeimage is 8192"), e2.getMessage());
        }
    }

    @Test
    void dmabufPoolMemoryWithoutAnExporterIsAClearError() {
        assumeTrue(DmaBufAllocator.available() == null, "skipped: this machine has a DMA-BUF heap or udmabuf");
        var e = assertThrows(BufferAllocationException.class, () -> new DmaBufAllocator().allocate(2, 4096, 4096));
        assertTrue(e.getMessage().contains("neither /dev/dma_heap/system nor /dev/udmabuf exists"), e.getMessage());
    }

    @Test
    void thePipelineFindsTheV4l2SourceAndPassesItsErrorsOn() {
        assumeFalse(Files.exists(Path.of("/dev/video0")), "skipped: this machine has /dev/video0");
        var e = assertThrows(IOException.class, () -> Media.openSource("/dev/video0", SourceOptions.defaults()));
        assertTrue(e.getMessage().startsWith("/dev/video0 does not exist; devices present:"), e.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class,
                () -> Media.openSource("/dev/video0", SourceOptions.defaults().withReader("io_uring")));
        assertTrue(e2.getMessage().contains("give the memory type mmap (default), userptr, dmabuf or expbuf"), e2.getMessage());
    }

    @Test
    void memoryTypesParse() {
        assertEquals(V4l2Capture.Memory.EXPBUF, V4l2Capture.Memory.parse(" ExpBuf "));
        assertEquals("MMAP", V4l2Capture.Memory.EXPBUF.v4l2Name());
        var e = assertThrows(IllegalArgumentException.class, () -> V4l2Capture.Memory.parse("read"));
        assertEquals("memory type 'read' is not one of mmap, userptr, dmabuf, expbuf", e.getMessage());
    }
}
