package dev.vbuf.memory;

import dev.vbuf.sys.Abi;
import dev.vbuf.sys.Mman;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class PagemapTest {
    /** Physical frame numbers are visible only with CAP_SYS_ADMIN (root here). */
    private static boolean privileged() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("CapEff:")) return (Long.parseLong(line.substring(7).trim(), 16) & (1L << 21)) != 0;
        }
        return false;
    }

    @Test
    void touchedPagesHaveAPhysicalAddressWhenPrivilegedElseZero() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(64 * 4096, 4096);
            seg.fill((byte) 1);
            long pa = Pagemap.physicalAddress(seg.address() + 123);
            long runs = Pagemap.contiguousRuns(seg);
            if (privileged()) {
                assertNotEquals(0, pa);
                assertEquals(123, pa % 4096, "the offset inside the page is kept");
                assertTrue(runs >= 1 && runs <= 64, "runs " + runs);
            } else {
                assertEquals(0, pa);
                assertEquals(0, runs);
            }
        }
    }

    @Test
    void poolBuffersReportTheirPhysicalAddress() throws Exception {
        try (var pool = dev.vbuf.pool.FramePool.builder().count(2).bufferSize(8192).jmx(false).build()) {
            var b = pool.getBufferById(1).orElseThrow();
            assertEquals(Pagemap.physicalAddress(b.segment().address()), b.physicalAddress());
            assertEquals(privileged(), b.physicalAddress() != 0);
        }
    }

    @Test
    void anUntouchedPageIsNotPresent() {
        MemorySegment m = Mman.mmap(4096, Abi.PROT_READ | Abi.PROT_WRITE,
                Abi.MAP_PRIVATE | Abi.MAP_ANONYMOUS, -1, 0);
        try {
            assertEquals(0, Pagemap.physicalAddress(m.address()));
            assertEquals(0, Pagemap.contiguousRuns(m));
            m.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
        } finally {
            Mman.munmap(m);
        }
    }

    @Test
    void explicitHugePagesAreOneRunPer2MiBWhereReserved() {
        // runs only where huge pages are reserved and the process is privileged; otherwise the
        // allocator falls back and the check below is about THP/normal pages, which need not be contiguous
        HugePageAllocator alloc = new HugePageAllocator();
        try (Allocation a = alloc.allocate(1, 2 << 20, 4096)) {
            long runs = Pagemap.contiguousRuns(a.buffer(0));
            if (alloc.lastReport().kind() == HugePageAllocator.Kind.EXPLICIT_HUGE_PAGES && runs > 0) {
                assertEquals(1, runs, "a 2 MiB huge page is physically contiguous");
            }
            assertTrue(runs >= 0 && runs <= 512);
        }
    }
}
