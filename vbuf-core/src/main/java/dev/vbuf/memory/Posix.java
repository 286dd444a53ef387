package dev.vbuf.memory;

import dev.vbuf.sys.Abi;
import dev.vbuf.sys.FileIo;
import dev.vbuf.sys.Futex;

import java.lang.foreign.MemorySegment;

/**
 * Transitional: the pool packages' calls until they name the native layer ({@code dev.vbuf.sys})
 * directly. Declares no downcall and no constant of its own.
 */
public final class Posix {
    public static final int O_RDONLY = Abi.O_RDONLY, O_RDWR = Abi.O_RDWR, O_CREAT = Abi.O_CREAT, O_EXCL = Abi.O_EXCL,
            O_NOFOLLOW = Abi.O_NOFOLLOW, O_CLOEXEC = Abi.O_CLOEXEC, ENOENT = Abi.ENOENT, ELOOP = Abi.ELOOP;

    private Posix() {}

    public static int open(String path, int flags, int mode) { return FileIo.open(path, flags, mode); }
    public static Stat fstat(int fd) {
        FileIo.Stat s = FileIo.fstat(fd);
        return new Stat(s, s.inode(), s.size(), s.uid());
    }

    /** FileIo.Stat under its old name. */
    public record Stat(FileIo.Stat stat, long inode, long size, int uid) {
        public boolean isRegularFile() { return stat.isRegularFile(); }
        public int permissions() { return stat.permissions(); }
        public int mode() { return stat.mode(); }
    }
    public static void fchmod(int fd, int mode) { FileIo.fchmod(fd, mode); }
    public static int getuid() { return FileIo.getuid(); }
    public static void futexWait(MemorySegment word, int expected, long timeoutNanos) { Futex.await(word, expected, timeoutNanos); }
    public static void futexWake(MemorySegment word, int count) { Futex.wake(word, count); }
}
