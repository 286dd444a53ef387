package dev.vbuf.memory;

import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import dev.vbuf.sys.Abi;
import dev.vbuf.sys.DmaBufIo;
import dev.vbuf.sys.FileIo;
import dev.vbuf.sys.Mman;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * This machine has no /dev/dma_heap: here the fallback chain and the error paths are tested;
 * the heap itself (alloc, mmap, export, DMA_BUF_IOCTL_SYNC) is exercised in the guest by
 * scripts/guest-checks/memory.sh (vbuf info --probe).
 */
class DmaHeapAllocatorTest {
    @Test
    void withoutAHeapTheChainFallsBackToMemfdAndThePoolStatisticsSaySo() {
        assumeFalse(Files.exists(DmaBuf.HEAP_DIR), "this machine has DMA-BUF heaps: the guest check covers them");
        DmaHeapAllocator a = new DmaHeapAllocator();
        try (FramePool pool = FramePool.builder().count(2).bufferSize(10_000).allocator(a).jmx(false).build()) {
            assertEquals("memfd", a.lastPath());
            String backing = pool.stats().backing();
            assertTrue(backing.startsWith("dmaheap: memfd shared memory (fallback: no DMA-BUF heap gave the memory"), backing);
            assertTrue(backing.contains("linux,cma: /dev/dma_heap/linux,cma does not exist"), backing);
            assertTrue(backing.contains("system: /dev/dma_heap/system does not exist"), backing);
            Frame f = pool.tryAcquireFree();
            assertTrue(f.fd() >= 0, "the memfd fallback still exports a descriptor");
            // plain memory: the CPU-access bracket costs nothing and does nothing
            f.beginCpuAccess(Frame.CPU_WRITE);
            f.segment().fill((byte) 7);
            f.endCpuAccess(Frame.CPU_WRITE);
            f.close();
        }
    }

    @Test
    void aHeapThatRefusesIsNamedAndTheNextStepTaken(@TempDir Path dir) throws Exception {
        // A file that is not a heap device: open succeeds, DMA_HEAP_IOCTL_ALLOC fails (ENOTTY).
        Files.writeString(dir.resolve("system"), "not a heap");
        DmaHeapAllocator a = new DmaHeapAllocator(dir, List.of("linux,cma", "system"), true);
        try (Allocation al = a.allocate(2, 4096, 4096)) {
            assertEquals("memfd", a.lastPath());
            assertTrue(al.backing().contains("system: ioctl(fd "), al.backing());
            assertTrue(al.backing().contains("DMA_HEAP_IOCTL_ALLOC 4096 bytes from system (0xc0184800)) failed: ENOTTY"),
                    al.backing());
        }
    }

    @Test
    void withoutFallbackTheErrorNamesEveryHeapAndWhatToDo(@TempDir Path dir) {
        var e = assertThrows(BufferAllocationException.class,
                () -> new DmaHeapAllocator(dir, List.of("linux,cma", "system"), false).allocate(1, 4096, 4096));
        assertTrue(e.getMessage().startsWith("could not allocate 1 DMA-BUF buffers of 4096 bytes: no DMA-BUF heap gave the memory"),
                e.getMessage());
        assertTrue(e.getMessage().contains(dir.resolve("system") + " does not exist"), e.getMessage());
        assertTrue(e.getMessage().contains("CONFIG_DMABUF_HEAPS_SYSTEM"), e.getMessage());
    }

    @Test
    void dmaBufsOnlyNeverFallsBackToMemoryThatIsNotADmaBuf(@TempDir Path dir) {
        assumeFalse(Files.exists(DmaBuf.UDMABUF), "this machine has /dev/udmabuf: the guest check covers it");
        var a = new DmaHeapAllocator(dir, List.of("system"), DmaHeapAllocator.Fallback.UDMABUF);
        var e = assertThrows(BufferAllocationException.class, () -> a.allocate(2, 4096, 4096));
        assertTrue(e.getMessage().startsWith("could not allocate 2 DMA-BUF buffers of 4096 bytes: no DMA-BUF heap gave the memory"),
                e.getMessage());
        assertTrue(e.getMessage().contains(dir.resolve("system") + " does not exist"), e.getMessage());
        assertTrue(e.getMessage().contains("/dev/udmabuf does not exist"), e.getMessage());
        assertTrue(e.getMessage().contains("CONFIG_UDMABUF"), e.getMessage());
        assertEquals(null, a.lastPath(), "nothing was allocated");
    }

    @Test
    void syncOnADescriptorThatIsNotADmaBufFailsNamingTheIoctl() {
        int fd = Mman.memfdCreate("not-a-dmabuf", Abi.MFD_CLOEXEC);
        try {
            var e = assertThrows(NativeException.class, () -> DmaBufIo.sync(fd, Allocation.CPU_READ, true));
            assertEquals("ioctl", e.call());
            assertTrue(e.getMessage().contains("DMA_BUF_IOCTL_SYNC flags 1 (0x40086200)"), e.getMessage());
            assertTrue(e.getMessage().contains("is the descriptor a DMA-BUF?"), e.getMessage());
        } finally {
            FileIo.close(fd);
        }
        assertThrows(IllegalArgumentException.class, () -> DmaBufIo.sync(fd, 0, true));
        assertThrows(IllegalArgumentException.class, () -> DmaBufIo.sync(fd, 4, true));
    }

    @Test
    void udmabufWithoutTheDeviceIsAClearError() {
        assumeFalse(Files.exists(DmaBuf.UDMABUF), "this machine has /dev/udmabuf: the guest check covers it");
        var e = assertThrows(BufferAllocationException.class, () -> new MemfdAllocator(true).allocate(1, 4096, 4096));
        assertTrue(e.getMessage().startsWith("/dev/udmabuf does not exist"), e.getMessage());
        assertTrue(e.getMessage().contains("CONFIG_UDMABUF"), e.getMessage());
    }

    @Test
    void aMemfdCanBeSealedAsUdmabufRequires() {
        int fd = Mman.memfdCreate("seal", Abi.MFD_CLOEXEC | Abi.MFD_ALLOW_SEALING);
        try {
            FileIo.ftruncate(fd, 8192);
            DmaBufIo.sealForUdmabuf(fd);
            var e = assertThrows(NativeException.class, () -> FileIo.ftruncate(fd, 4096));
            assertEquals(1, e.errno(), "EPERM: the seal forbids shrinking");
        } finally {
            FileIo.close(fd);
        }
    }
}
