package dev.vbuf.sys;

import dev.vbuf.memory.NativeException;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.*;

class MmanTest {
    @Test
    void anonymousMappingIsUsableAlignedAndUnmaps() {
        MemorySegment m = Mman.mmap(1 << 20, Abi.PROT_READ | Abi.PROT_WRITE,
                Abi.MAP_PRIVATE | Abi.MAP_ANONYMOUS | Abi.MAP_POPULATE, -1, 0);
        try {
            assertEquals(1 << 20, m.byteSize());
            assertEquals(0, m.address() % 4096);
            m.set(ValueLayout.JAVA_LONG, (1 << 20) - 8, 42);
            assertEquals(42, m.get(ValueLayout.JAVA_LONG, (1 << 20) - 8));
            Mman.madvise(m, Abi.MADV_HUGEPAGE); // accepted whatever the THP mode
            Mman.mlock(m.asSlice(0, 4096));
            Mman.munlock(m.asSlice(0, 4096));
        } finally {
            Mman.munmap(m);
        }
    }

    @Test
    void memfdIsSharedBetweenTwoMappings() {
        int fd = Mman.memfdCreate("vbuf-test", Abi.MFD_CLOEXEC);
        try {
            FileIo.ftruncate(fd, 8192);
            MemorySegment a = Mman.mmap(8192, Abi.PROT_READ | Abi.PROT_WRITE, Abi.MAP_SHARED, fd, 0);
            MemorySegment b = Mman.mmap(8192, Abi.PROT_READ | Abi.PROT_WRITE, Abi.MAP_SHARED, fd, 0);
            try {
                assertNotEquals(a.address(), b.address());
                a.set(ValueLayout.JAVA_INT, 4096, 0x1234);
                assertEquals(0x1234, b.get(ValueLayout.JAVA_INT, 4096), "same pages behind both mappings: no copy");
            } finally {
                Mman.munmap(a);
                Mman.munmap(b);
            }
        } finally {
            FileIo.close(fd);
        }
    }

    @Test
    void failuresNameTheCallTheArgumentsAndErrno() {
        NativeException e = assertThrows(NativeException.class, () -> FileIo.ftruncate(-1, 10));
        assertEquals("ftruncate", e.call());
        assertEquals(9, e.errno());
        assertTrue(e.getMessage().startsWith("ftruncate(fd -1, length 10) failed: EBADF (Bad file descriptor)"), e.getMessage());

        e = assertThrows(NativeException.class, () -> Mman.mmap(0, Abi.PROT_READ, Abi.MAP_PRIVATE | Abi.MAP_ANONYMOUS, -1, 0));
        assertEquals("EINVAL (Invalid argument)", Errno.describe(e.errno()));
        assertTrue(e.getMessage().contains("mmap(length 0"), e.getMessage());

        e = assertThrows(NativeException.class, () -> FileIo.close(-5));
        assertTrue(e.getMessage().contains("EBADF"), e.getMessage());
    }
}
