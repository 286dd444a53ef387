package dev.vbuf.sys;

import dev.vbuf.memory.NativeException;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Files and devices: open, close, ftruncate, fstat, fchmod, fcntl, getuid, pread, pwrite,
 * pwritev, fsync, poll (io_uring is {@link Uring}).
 *
 * <p>Two kinds of call. Set-up calls throw a {@link NativeException} naming the call, its
 * arguments and errno. Per-frame calls ({@link #pread}, {@link #pwrite}, {@link #pwritev},
 * {@link #poll}) take a caller-owned call-state segment
 * ({@link Errno#newCallState}), allocate nothing and return {@code -errno} on failure.
 */
public final class FileIo {
    /** struct pollfd { int fd; short events; short revents; }. */
    public static final StructLayout POLLFD = MemoryLayout.structLayout(
            JAVA_INT.withName("fd"), JAVA_SHORT.withName("events"), JAVA_SHORT.withName("revents")).withName("pollfd");

    private static final MethodHandle OPEN = Libc.capturing("open",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Libc.variadicFrom(2));
    private static final MethodHandle CLOSE = Libc.capturing("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle FTRUNCATE = Libc.capturing("ftruncate", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle FSTAT = Libc.capturing("fstat", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle FCHMOD = Libc.capturing("fchmod", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle FCNTL = Libc.capturing("fcntl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), Libc.variadicFrom(2));
    private static final MethodHandle LSEEK = Libc.capturing("lseek", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT));
    private static final MethodHandle GETUID = Libc.plain("getuid", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle PREAD = Libc.capturing("pread", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle PWRITE = Libc.capturing("pwrite", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle PWRITEV = Libc.capturing("pwritev", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG));
    private static final MethodHandle FSYNC = Libc.capturing("fsync", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle POLL = Libc.capturing("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));

    private FileIo() {}

    /** What fstat says of a file: its type and permission bits, owner, size and inode. */
    public record Stat(int mode, int uid, long size, long inode) {
        public boolean isRegularFile() { return (mode & 0170000) == 0100000; }
        public int permissions() { return mode & 07777; }
    }

    /**
     * open(path, flags, mode): the descriptor. The error names the path, the flags and errno,
     * and what to do when a file system refuses O_DIRECT.
     */
    public static int open(String path, int flags, int mode) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(a);
            int fd = (int) OPEN.invokeExact(state, a.allocateFrom(path), flags, mode);
            if (fd < 0) {
                int errno = Libc.errno(state);
                String hint = errno == Abi.EINVAL && (flags & Abi.O_DIRECT) != 0
                        ? "this file system does not support O_DIRECT (tmpfs before Linux 6.6 does not); read or write the file without"
                          + " O_DIRECT, or put it on ext4 or xfs" : null;
                throw Libc.fail("open", "'" + path + "', flags 0" + Integer.toOctalString(flags) + ", mode 0"
                        + Integer.toOctalString(mode), errno, hint);
            }
            return fd;
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.broken("open", t);
        }
    }

    /** open(path, flags) without O_CREAT. */
    public static int open(String path, int flags) {
        return open(path, flags, 0);
    }

    public static void close(int fd) {
        simple("close", CLOSE, fd, "fd " + fd);
    }

    public static void fsync(int fd) {
        simple("fsync", FSYNC, fd, "fd " + fd);
    }

    public static void ftruncate(int fd, long length) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(a);
            int r = (int) FTRUNCATE.invokeExact(state, fd, length);
            if (r != 0) throw Libc.fail("ftruncate", "fd " + fd + ", length " + length, state, null);
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.broken("ftruncate", t);
        }
    }

    public static Stat fstat(int fd) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(a);
            MemorySegment st = a.allocate(Abi.ARCH.sizeof_stat(), 8);
            int r = (int) FSTAT.invokeExact(state, fd, st);
            if (r != 0) throw Libc.fail("fstat", "fd " + fd, state, null);
            Abi.Arch t = Abi.ARCH;
            return new Stat(st.get(JAVA_INT, t.stat_st_mode()), st.get(JAVA_INT, t.stat_st_uid()),
                    st.get(JAVA_LONG, t.stat_st_size()), st.get(JAVA_LONG, t.stat_st_ino()));
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.broken("fstat", t);
        }
    }

    public static void fchmod(int fd, int mode) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(a);
            int r = (int) FCHMOD.invokeExact(state, fd, mode);
            if (r != 0) throw Libc.fail("fchmod", "fd " + fd + ", mode 0" + Integer.toOctalString(mode), state, null);
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.broken("fchmod", t);
        }
    }

    /** fcntl(fd, cmd, arg) with an int argument, e.g. F_ADD_SEALS; {@code name} names cmd in the message. */
    public static int fcntl(int fd, int cmd, int arg, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(a);
            int r = (int) FCNTL.invokeExact(state, fd, cmd, arg);
            if (r < 0) throw Libc.fail("fcntl", "fd " + fd + ", " + name + ", 0x" + Integer.toHexString(arg), state, null);
            return r;
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.broken("fcntl", t);
        }
    }

    /** lseek(fd, offset, whence): the new offset; {@code lseek(fd, 0, SEEK_END)} is a DMA-BUF's size (fstat says 0). */
    public static long lseek(int fd, long offset, int whence) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(a);
            long r = (long) LSEEK.invokeExact(state, fd, offset, whence);
            if (r < 0) throw Libc.fail("lseek", "fd " + fd + ", " + offset + ", whence " + whence, state, null);
            return r;
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.broken("lseek", t);
        }
    }

    public static int getuid() {
        try {
            return (int) GETUID.invokeExact();
        } catch (Throwable t) {
            throw Libc.broken("getuid", t);
        }
    }

    /** pread: bytes read (0 at end of file), or -errno; retried on EINTR. Never allocates. */
    public static long pread(MemorySegment state, int fd, MemorySegment buf, long len, long off) {
        try {
            long r;
            do {
                r = (long) PREAD.invokeExact(state, fd, buf, len, off);
            } while (r < 0 && Libc.errno(state) == Abi.EINTR);
            return r < 0 ? -Libc.errno(state) : r;
        } catch (Throwable t) {
            throw Libc.broken("pread", t);
        }
    }

    /** pwrite: bytes written, or -errno; retried on EINTR. Never allocates. */
    public static long pwrite(MemorySegment state, int fd, MemorySegment buf, long len, long off) {
        try {
            long r;
            do {
                r = (long) PWRITE.invokeExact(state, fd, buf, len, off);
            } while (r < 0 && Libc.errno(state) == Abi.EINTR);
            return r < 0 ? -Libc.errno(state) : r;
        } catch (Throwable t) {
            throw Libc.broken("pwrite", t);
        }
    }

    /** pwritev(fd, iov, count, off): bytes written, or -errno; retried on EINTR. Never allocates. */
    public static long pwritev(MemorySegment state, int fd, MemorySegment iov, int count, long off) {
        try {
            long r;
            do {
                r = (long) PWRITEV.invokeExact(state, fd, iov, count, off);
            } while (r < 0 && Libc.errno(state) == Abi.EINTR);
            return r < 0 ? -Libc.errno(state) : r;
        } catch (Throwable t) {
            throw Libc.broken("pwritev", t);
        }
    }

    /**
     * poll on one descriptor, no allocation.
     *
     * @param pollfd a segment of {@link #POLLFD}; its fd and events must be set
     * @return the number of ready descriptors (0 on timeout), or {@code -errno}
     */
    public static int poll(MemorySegment state, MemorySegment pollfd, int timeoutMs) {
        int r;
        try {
            r = (int) POLL.invokeExact(state, pollfd, 1L, timeoutMs);
        } catch (Throwable t) {
            throw Libc.broken("poll", t);
        }
        return r < 0 ? -Libc.errno(state) : r;
    }

    private static void simple(String name, MethodHandle h, int fd, String args) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(a);
            int r = (int) h.invokeExact(state, fd);
            if (r != 0) throw Libc.fail(name, args, state, null);
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.broken(name, t);
        }
    }
}
