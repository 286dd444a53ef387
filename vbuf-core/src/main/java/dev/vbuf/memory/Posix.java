package dev.vbuf.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The system calls of shared pools (issue 4), beside {@link Native}'s memory calls and with the
 * same errno handling: open with O_EXCL / O_NOFOLLOW, fstat, fchmod, getuid, and the futex
 * that lets a waiting process sleep in the kernel until a peer wakes it.
 *
 * <p>Constants are Linux's generic values (x86-64 and aarch64 agree on all of them); the
 * {@code struct stat} offsets differ between the two and are chosen by architecture.
 */
public final class Posix {
    public static final int O_RDONLY = 0;
    public static final int O_RDWR = 02;
    public static final int O_CREAT = 0100;
    public static final int O_EXCL = 0200;
    public static final int O_NOFOLLOW = 0400000;
    public static final int O_CLOEXEC = 02000000;
    public static final int ENOENT = 2;
    public static final int EEXIST = 17;
    public static final int ELOOP = 40;
    public static final int FUTEX_WAIT = 0;
    public static final int FUTEX_WAKE = 1;
    private static final long SYS_FUTEX = arch("x86_64", 202, 98);

    private static final MethodHandle OPEN = Native.LINKER.downcallHandle(Native.LIBC.find("open").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
            Native.CAPTURE_ERRNO, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle FSTAT = Native.LINKER.downcallHandle(Native.LIBC.find("fstat").orElseThrow(
                    () -> new UnsatisfiedLinkError("fstat is not exported by this C library; vbuf needs glibc 2.33 or newer")),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), Native.CAPTURE_ERRNO);
    private static final MethodHandle FCHMOD = Native.LINKER.downcallHandle(Native.LIBC.find("fchmod").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), Native.CAPTURE_ERRNO);
    private static final MethodHandle GETUID = Native.LINKER.downcallHandle(Native.LIBC.find("getuid").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT));
    /** syscall(SYS_futex, uaddr, op, val, timeout, uaddr2, val3): no errno capture (the result is enough). */
    private static final MethodHandle FUTEX = Native.LINKER.downcallHandle(Native.LIBC.find("syscall").orElseThrow(),
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT),
            Linker.Option.firstVariadicArg(1));
    private static final ThreadLocal<MemorySegment> TIMESPEC =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(16, 8));

    private static final boolean X86 = System.getProperty("os.arch").equals("amd64")
            || System.getProperty("os.arch").equals("x86_64");
    private static final int STAT_BYTES = 144;
    private static final long ST_MODE = X86 ? 24 : 16;
    private static final long ST_UID = X86 ? 28 : 24;
    private static final long ST_SIZE = 48;
    private static final long ST_INO = 8;

    private Posix() {}

    private static long arch(String x86, long onX86, long onArm) {
        String a = System.getProperty("os.arch");
        return a.equals("amd64") || a.equals(x86) ? onX86 : onArm;
    }

    /** What fstat says of a file: its type and permission bits, owner, size and inode. */
    public record Stat(int mode, int uid, long size, long inode) {
        public boolean isRegularFile() { return (mode & 0170000) == 0100000; }
        public int permissions() { return mode & 07777; }
    }

    /** open(path, flags, mode); the error names the path, the flags and errno. */
    public static int open(String path, int flags, int mode) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(Native.CALL_STATE);
            int fd = (int) OPEN.invokeExact(state, a.allocateFrom(path), flags, mode);
            if (fd < 0) {
                throw Native.fail("open", "'" + path + "', flags 0" + Integer.toOctalString(flags) + ", mode 0"
                        + Integer.toOctalString(mode), state, null);
            }
            return fd;
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("open downcall failed: " + t, t);
        }
    }

    public static Stat fstat(int fd) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(Native.CALL_STATE);
            MemorySegment st = a.allocate(STAT_BYTES, 8);
            int r = (int) FSTAT.invokeExact(state, fd, st);
            if (r != 0) throw Native.fail("fstat", "fd " + fd, state, null);
            return new Stat(st.get(JAVA_INT, ST_MODE), st.get(JAVA_INT, ST_UID), st.get(JAVA_LONG, ST_SIZE),
                    st.get(JAVA_LONG, ST_INO));
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("fstat downcall failed: " + t, t);
        }
    }

    public static void fchmod(int fd, int mode) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(Native.CALL_STATE);
            int r = (int) FCHMOD.invokeExact(state, fd, mode);
            if (r != 0) throw Native.fail("fchmod", "fd " + fd + ", mode 0" + Integer.toOctalString(mode), state, null);
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("fchmod downcall failed: " + t, t);
        }
    }

    public static int getuid() {
        try {
            return (int) GETUID.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException("getuid downcall failed: " + t, t);
        }
    }

    /**
     * Sleeps while the 32-bit word at {@code word} equals {@code expected}, at most
     * {@code timeoutNanos} (FUTEX_WAIT on a shared mapping: works across processes). Returns at
     * once if the word differs; may return early (a wake, a signal). Allocates nothing after
     * the calling thread's first wait.
     */
    public static void futexWait(MemorySegment word, int expected, long timeoutNanos) {
        MemorySegment ts = TIMESPEC.get();
        ts.set(JAVA_LONG, 0, timeoutNanos / 1_000_000_000L);
        ts.set(JAVA_LONG, 8, timeoutNanos % 1_000_000_000L);
        try {
            long r = (long) FUTEX.invokeExact(SYS_FUTEX, word, FUTEX_WAIT, expected, ts, MemorySegment.NULL, 0);
        } catch (Throwable t) {
            throw new IllegalStateException("futex downcall failed: " + t, t);
        }
    }

    /** Wakes up to {@code count} threads (in any process) sleeping on {@code word}. */
    public static void futexWake(MemorySegment word, int count) {
        try {
            long r = (long) FUTEX.invokeExact(SYS_FUTEX, word, FUTEX_WAKE, count, MemorySegment.NULL, MemorySegment.NULL, 0);
        } catch (Throwable t) {
            throw new IllegalStateException("futex downcall failed: " + t, t);
        }
    }

}
