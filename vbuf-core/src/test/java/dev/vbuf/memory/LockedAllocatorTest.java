package dev.vbuf.memory;

import dev.vbuf.pool.FramePool;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class LockedAllocatorTest {
    private static long vmLckKiB() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmLck:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
        throw new AssertionError("no VmLck in /proc/self/status");
    }

    @Test
    void buffersAreLockedWhileThePoolIsOpenAndUnlockedAfter() throws Exception {
        long before = vmLckKiB();
        try (FramePool pool = FramePool.builder().count(4).bufferSize(256 * 1024)
                .allocator(new LockedAllocator(new MemfdAllocator())).jmx(false).build()) {
            assertTrue(pool.backing().endsWith(", locked (mlock)"), pool.backing());
            assertTrue(pool.backing().startsWith("memfd+locked: "), pool.backing());
            assertTrue(vmLckKiB() - before >= 1024, "VmLck grew by " + (vmLckKiB() - before) + " KiB, want >= 1024");
        }
        assertEquals(before, vmLckKiB(), "locked memory released at close");
    }

    @Test
    void theLimitIsReadable() {
        assertNotEquals("unknown", LockedAllocator.memlockLimit());
    }
}
