package dev.vbuf.media.file;

import dev.vbuf.memory.Native;
import dev.vbuf.memory.NativeException;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The file system calls the file readers and writers need, as {@code java.lang.foreign}
 * downcalls with errno captured in the same call (as {@link Native} does for memory): open,
 * pread, pwrite, fsync, and the raw {@code syscall} entry for io_uring_setup / io_uring_enter
 * (glibc has no wrappers for them). Failures are {@link NativeException}s naming the call, its
 * arguments and errno ({@link Native#describeErrno}).
 *
 * <p>Calls that run per frame take a caller-owned call-state segment ({@link #newCallState})
 * so that the hot path allocates nothing.
 */
final class Sys {
    static final int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0x40, O_TRUNC = 0x200, O_CLOEXEC = 0x80000;
    /** O_DIRECT on x86-64 (asm-generic/fcntl.h: 00040000 octal). */
    static final int O_DIRECT = 0x4000;
    static final int EINTR = 4, EAGAIN = 11, EINVAL = 22;
    static final long SYS_IO_URING_SETUP = 425, SYS_IO_URING_ENTER = 426;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE = Linker.Option.captureCallState("errno");

    private static final MethodHandle PREAD = handle("pread", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle PWRITE = handle("pwrite", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle PWRITEV = handle("pwritev", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG));
    private static final MethodHandle FSYNC = handle("fsync", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle SYSCALL2 = LINKER.downcallHandle(LIBC.find("syscall").orElseThrow(),
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS), CAPTURE, Linker.Option.firstVariadicArg(1));
    private static final MethodHandle SYSCALL6 = LINKER.downcallHandle(LIBC.find("syscall").orElseThrow(),
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG),
            CAPTURE, Linker.Option.firstVariadicArg(1));

    private Sys() {}

    private static MethodHandle handle(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(LIBC.find(name).orElseThrow(), fd, CAPTURE);
    }

    /** A call-state segment for the per-frame calls; one per thread. */
    static MemorySegment newCallState(Arena arena) {
        return arena.allocate(CALL_STATE);
    }

    static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    static NativeException fail(String call, String args, int errno, String hint) {
        return new NativeException(call, errno, call + "(" + args + ") failed: " + Native.describeErrno(errno)
                + (hint == null ? "" : "; " + hint));
    }

    /** open(path, flags, mode): the descriptor. */
    static int open(String path, int flags, int mode) {
        try {
            return dev.vbuf.memory.Posix.open(path, flags, mode);
        } catch (NativeException e) {
            if (e.errno() == EINVAL && (flags & O_DIRECT) != 0) {
                throw fail("open", "'" + path + "', flags 0x" + Integer.toHexString(flags), e.errno(),
                        "this file system does not support O_DIRECT (tmpfs does not); use --reader mmap or io_uring,"
                                + " or put the file on ext4/xfs");
            }
            throw e;
        }
    }

    /** pread: bytes read (0 at end of file), or -errno. Never allocates. */
    static long pread(MemorySegment st, int fd, MemorySegment buf, long len, long off) {
        try {
            long r;
            do {
                r = (long) PREAD.invokeExact(st, fd, buf, len, off);
            } while (r < 0 && errno(st) == EINTR);
            return r < 0 ? -errno(st) : r;
        } catch (Throwable t) {
            throw new IllegalStateException("pread downcall failed: " + t, t);
        }
    }

    /** pwrite: bytes written, or -errno. Never allocates. */
    static long pwrite(MemorySegment st, int fd, MemorySegment buf, long len, long off) {
        try {
            long r;
            do {
                r = (long) PWRITE.invokeExact(st, fd, buf, len, off);
            } while (r < 0 && errno(st) == EINTR);
            return r < 0 ? -errno(st) : r;
        } catch (Throwable t) {
            throw new IllegalStateException("pwrite downcall failed: " + t, t);
        }
    }

    /** pwritev(fd, iov, count, off): bytes written, or -errno. Never allocates. */
    static long pwritev(MemorySegment st, int fd, MemorySegment iov, int count, long off) {
        try {
            long r;
            do {
                r = (long) PWRITEV.invokeExact(st, fd, iov, count, off);
            } while (r < 0 && errno(st) == EINTR);
            return r < 0 ? -errno(st) : r;
        } catch (Throwable t) {
            throw new IllegalStateException("pwritev downcall failed: " + t, t);
        }
    }

    static void fsync(int fd) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(CALL_STATE);
            int r = (int) FSYNC.invokeExact(st, fd);
            if (r != 0) throw fail("fsync", "fd " + fd, errno(st), null);
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("fsync downcall failed: " + t, t);
        }
    }

    static void close(int fd) {
        Native.close(fd);
    }

    /** io_uring_setup(entries, params): the ring's descriptor. */
    static int ioUringSetup(int entries, MemorySegment params) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(CALL_STATE);
            long r = (long) SYSCALL2.invokeExact(st, SYS_IO_URING_SETUP, (long) entries, params);
            if (r < 0) {
                int e = errno(st);
                throw fail("io_uring_setup", "entries " + entries, e, e == 1 || e == 38
                        ? "io_uring is disabled or missing in this kernel (see /proc/sys/kernel/io_uring_disabled);"
                        + " use --reader mmap or direct" : null);
            }
            return (int) r;
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("io_uring_setup downcall failed: " + t, t);
        }
    }

    /** io_uring_enter(fd, toSubmit, minComplete, flags, NULL, 0): submitted count, or -errno. Never allocates. */
    static long ioUringEnter(MemorySegment st, int fd, int toSubmit, int minComplete, int flags) {
        try {
            long r = (long) SYSCALL6.invokeExact(st, SYS_IO_URING_ENTER, (long) fd, (long) toSubmit, (long) minComplete,
                    (long) flags, MemorySegment.NULL, 0L);
            return r < 0 ? -errno(st) : r;
        } catch (Throwable t) {
            throw new IllegalStateException("io_uring_enter downcall failed: " + t, t);
        }
    }
}
