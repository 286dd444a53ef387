package dev.vbuf.memory;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.*;

class NativeTest {
    @Test
    void anonymousMappingIsUsableAlignedAndUnmaps() {
        MemorySegment m = Native.mmap(1 << 20, Native.PROT_READ | Native.PROT_WRITE,
                Native.MAP_PRIVATE | Native.MAP_ANONYMOUS | Native.MAP_POPULATE, -1, 0);
        try {
            assertEquals(1 << 20, m.byteSize());
            assertEquals(0, m.address() % 4096);
            m.set(ValueLayout.JAVA_LONG, (1 << 20) - 8, 42);
            assertEquals(42, m.get(ValueLayout.JAVA_LONG, (1 << 20) - 8));
            Native.madvise(m, Native.MADV_HUGEPAGE); // accepted whatever the THP mode
            Native.mlock(m.asSlice(0, 4096));
            Native.munlock(m.asSlice(0, 4096));
        } finally {
            Native.munmap(m);
        }
    }

    @Test
    void memfdIsSharedBetweenTwoMappings() {
        int fd = Native.memfdCreate("vbuf-test", Native.MFD_CLOEXEC);
        try {
            Native.ftruncate(fd, 8192);
            MemorySegment a = Native.mmap(8192, Native.PROT_READ | Native.PROT_WRITE, Native.MAP_SHARED, fd, 0);
            MemorySegment b = Native.mmap(8192, Native.PROT_READ | Native.PROT_WRITE, Native.MAP_SHARED, fd, 0);
            try {
                assertNotEquals(a.address(), b.address());
                a.set(ValueLayout.JAVA_INT, 4096, 0x1234);
                assertEquals(0x1234, b.get(ValueLayout.JAVA_INT, 4096), "same pages behind both mappings: no copy");
            } finally {
                Native.munmap(a);
                Native.munmap(b);
            }
        } finally {
            Native.close(fd);
        }
    }

    @Test
    void failuresNameTheCallTheArgumentsAndErrno() {
        NativeException e = assertThrows(NativeException.class, () -> Native.ftruncate(-1, 10));
        assertEquals("ftruncate", e.call());
        assertEquals(9, e.errno());
        assertTrue(e.getMessage().startsWith("ftruncate(fd -1, length 10) failed: EBADF (Bad file descriptor)"), e.getMessage());

        e = assertThrows(NativeException.class, () -> Native.mmap(0, Native.PROT_READ, Native.MAP_PRIVATE | Native.MAP_ANONYMOUS, -1, 0));
        assertEquals("EINVAL (Invalid argument)", Native.describeErrno(e.errno()));
        assertTrue(e.getMessage().contains("mmap(length 0"), e.getMessage());

        e = assertThrows(NativeException.class, () -> Native.close(-5));
        assertTrue(e.getMessage().contains("EBADF"), e.getMessage());
    }
}
