package dev.vbuf.memory;

import dev.vbuf.sys.Abi;
import dev.vbuf.sys.FileIo;
import dev.vbuf.sys.Mman;

import java.lang.foreign.MemorySegment;

/**
 * Transitional: the pool packages' calls until they name the native layer ({@code dev.vbuf.sys})
 * directly. Declares no downcall and no constant of its own.
 */
public final class Native {
    public static final int PROT_READ = Abi.PROT_READ, PROT_WRITE = Abi.PROT_WRITE, MAP_SHARED = Abi.MAP_SHARED;

    private Native() {}

    public static MemorySegment mmap(long length, int prot, int flags, int fd, long offset) { return Mman.mmap(length, prot, flags, fd, offset); }
    public static void munmap(MemorySegment m) { Mman.munmap(m); }
    public static void mlock(MemorySegment m) { Mman.mlock(m); }
    public static void munlock(MemorySegment m) { Mman.munlock(m); }
    public static void ftruncate(int fd, long length) { FileIo.ftruncate(fd, length); }
    public static void close(int fd) { FileIo.close(fd); }
}
