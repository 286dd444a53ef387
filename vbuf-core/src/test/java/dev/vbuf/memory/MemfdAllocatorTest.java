package dev.vbuf.memory;

import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import dev.vbuf.sys.Abi;
import dev.vbuf.sys.Mman;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class MemfdAllocatorTest {
    @Test
    void poolBuffersAreExportedAsMemfdsThatMapTheSamePages() throws Exception {
        try (FramePool pool = FramePool.builder().count(3).bufferSize(10_000).allocator(new MemfdAllocator())
                .jmx(false).build()) {
            assertTrue(pool.backing().startsWith("memfd:"), pool.backing());
            Frame f = pool.tryAcquireFree();
            int fd = f.fd();
            assertTrue(fd >= 0);
            assertEquals(10_000, f.size());
            assertTrue(Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString().startsWith("/memfd:vbuf-"));
            f.segment().set(ValueLayout.JAVA_LONG, 9_992, 0xFEEDL);
            // a second mapping of the exported descriptor sees the frame's bytes: what another process would map
            MemorySegment other = Mman.mmap(12_288, Abi.PROT_READ, Abi.MAP_SHARED, fd, 0);
            try {
                assertEquals(0xFEEDL, other.get(ValueLayout.JAVA_LONG, 9_992));
            } finally {
                Mman.munmap(other);
            }
            f.close();
            assertEquals(3, pool.stats().idle());
        }
    }

    @Test
    void closingThePoolClosesTheDescriptors() throws Exception {
        int fd;
        try (FramePool pool = FramePool.builder().count(1).bufferSize(4096).allocator(new MemfdAllocator()).jmx(false).build()) {
            fd = pool.getBufferById(0).orElseThrow().fd();
            assertTrue(Files.exists(Path.of("/proc/self/fd/" + fd)));
        }
        Path link = Path.of("/proc/self/fd/" + fd);
        // the number may be reused by another thread at once; what must be gone is our memfd
        assertFalse(Files.exists(link) && Files.readSymbolicLink(link).toString().startsWith("/memfd:vbuf-0"),
                "fd " + fd + " still open after close");
    }

    @Test
    void largerAlignmentIsRefusedClearly() {
        var e = assertThrows(IllegalArgumentException.class, () -> new MemfdAllocator().allocate(1, 4096, 1 << 21));
        assertTrue(e.getMessage().contains("memfd buffers are page aligned"), e.getMessage());
    }
}
