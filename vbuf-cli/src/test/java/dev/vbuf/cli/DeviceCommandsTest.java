package dev.vbuf.cli;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** vbuf devices / capture / display where no device exists: listings, refusals and flag validation (the captures run in the guest). */
class DeviceCommandsTest {

    @Test
    void devicesListsWhatThereIs() {
        Cli r = Cli.run("devices");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().startsWith("V4L2 devices: "), r::toString);
        assertTrue(r.out().contains("framebuffers: "), r::toString);
        assertTrue(r.out().contains("DMA-BUF exporters for pool memory: /dev/dma_heap/system"), r::toString);
    }

    @Test
    void captureFromAMissingOrNonV4l2DeviceFailsWithTheReason() {
        assumeFalse(Files.exists(Path.of("/dev/video0")), "skipped: this machine has /dev/video0");
        Cli r = Cli.run("capture", "--memory", "mmap");
        assertEquals(1, r.exit(), r::toString);
        assertTrue(r.err().contains("/dev/video0 does not exist; devices present: none"), r::toString);
        Cli n = Cli.run("capture", "--device", "/dev/null");
        assertEquals(1, n.exit(), n::toString);
        assertTrue(n.err().contains("/dev/null is not a V4L2 device"), n::toString);
    }

    @Test
    void captureFlagsAreValidated() {
        Cli m = Cli.run("capture", "--memory", "mmap,read");
        assertEquals(2, m.exit(), m::toString);
        assertTrue(m.err().contains("--memory read: memory type 'read' is not one of mmap, userptr, dmabuf, expbuf"), m::toString);
        Cli s = Cli.run("capture", "--memory", "dmabuf:cma");
        assertEquals(2, s.exit(), s::toString);
        assertTrue(s.err().contains("DMA-BUF source 'cma' is not auto, heap or udmabuf"), s::toString);
        Cli b = Cli.run("capture", "--buffers", "40");
        assertEquals(2, b.exit(), b::toString);
        Cli g = Cli.run("capture", "--budget", "lots");
        assertEquals(2, g.exit(), g::toString);
        assertTrue(g.err().contains("--budget lots is not a size"), g::toString);
    }

    @Test
    void displayWithoutAFramebufferFailsWithTheReasonAndValidatesItsFlags() {
        assumeFalse(Files.exists(Path.of("/dev/fb0")), "skipped: this machine has /dev/fb0");
        Cli r = Cli.run("display");
        assertEquals(1, r.exit(), r::toString);
        assertTrue(r.err().contains("/dev/fb0 does not exist; framebuffers present: none"), r::toString);
        Cli p = Cli.run("display", "--pages", "1");
        assertEquals(2, p.exit(), p::toString);
        Cli b = Cli.run("display", "--bpp", "16");
        assertEquals(2, b.exit(), b::toString);
        assertTrue(b.err().contains("--bpp 16 is not 0 (keep), 24 or 32"), b::toString);
    }
}
