package dev.vbuf.media.v4l2;

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
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * The device system calls V4L2 capture and framebuffer display need, as
 * {@code java.lang.foreign} downcalls: {@code open}, {@code ioctl}, {@code poll} and
 * {@code fcntl} (the memory calls — mmap, munmap, close — are {@link Native}'s). Like
 * {@link Native}, every call captures {@code errno} in the same downcall and a failure becomes a
 * {@link NativeException} naming the call, its arguments and the error.
 *
 * <p>Two forms of {@code ioctl}: {@link #ioctl(int, long, String, MemorySegment, String)} for
 * set-up (throws, allocates a little), and {@link #ioctlNoThrow(MemorySegment, int, long, MemorySegment)}
 * for the per-frame QBUF/DQBUF path, which allocates nothing and returns {@code -errno}.
 * {@code ioctl} and {@code fcntl} are variadic in C; the downcalls say so
 * ({@code Linker.Option.firstVariadicArg(2)}).
 */
public final class DeviceIo {
    public static final int O_RDONLY = 0;
    public static final int O_RDWR = 2;
    public static final int O_NONBLOCK = 0x800;
    public static final int O_CLOEXEC = 0x80000;
    public static final short POLLIN = 0x1;
    public static final short POLLPRI = 0x2;
    public static final short POLLERR = 0x8;
    public static final short POLLHUP = 0x10;
    public static final int EAGAIN = 11;
    public static final int EINTR = 4;
    public static final int ENOENT = 2;
    public static final int ENOTTY = 25;
    public static final int EINVAL = 22;
    public static final int F_ADD_SEALS = 1033;
    public static final int F_SEAL_SHRINK = 0x2;

    /** struct pollfd { int fd; short events; short revents; }. */
    public static final StructLayout POLLFD = MemoryLayout.structLayout(
            JAVA_INT.withName("fd"), JAVA_SHORT.withName("events"), JAVA_SHORT.withName("revents"));

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    /** The layout of the captured call state; allocate one per thread for {@link #ioctlNoThrow}. */
    public static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE = Linker.Option.captureCallState("errno");

    private static final MethodHandle IOCTL = LINKER.downcallHandle(find("ioctl"),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), CAPTURE, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle IOCTL_INT = LINKER.downcallHandle(find("ioctl"),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), CAPTURE, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle POLL = LINKER.downcallHandle(find("poll"),
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), CAPTURE);
    private static final MethodHandle FCNTL = LINKER.downcallHandle(find("fcntl"),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), CAPTURE, Linker.Option.firstVariadicArg(2));

    private DeviceIo() {}

    private static MemorySegment find(String name) {
        return LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError(name + " is not in the C library"));
    }

    /** open(path, flags): the descriptor. A failure names the path and errno. */
    public static int open(String path, int flags) {
        return dev.vbuf.memory.Posix.open(path, flags, 0);
    }

    /**
     * ioctl(fd, request, arg) for set-up calls.
     *
     * @param name the request's name for the message, e.g. "VIDIOC_S_FMT"
     * @param hint what to do, appended to the message on failure (may be null)
     * @return the call's non-negative result
     */
    public static int ioctl(int fd, long request, String name, MemorySegment arg, String hint) {
        return dev.vbuf.memory.MemoryCalls.ioctl(fd, request, name, arg, hint); // core's set-up ioctl
    }

    /** ioctl(fd, request, value) with an integer argument passed by value (e.g. FBIO_WAITFORVSYNC's pointer-less forms). */
    public static int ioctlValue(int fd, long request, String name, long value, String hint) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(CALL_STATE);
            int r = (int) IOCTL_INT.invokeExact(state, fd, request, value);
            if (r < 0) throw fail("ioctl", "fd " + fd + ", " + name + " (0x" + Long.toHexString(request) + ")", errno(state), hint);
            return r;
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("ioctl downcall failed: " + t, t);
        }
    }

    /**
     * ioctl for the per-frame path: no allocation, no exception for a failing call.
     *
     * @param state a segment of {@link #CALL_STATE} owned by the calling thread
     * @return the result, or {@code -errno} when the call failed
     */
    public static int ioctlNoThrow(MemorySegment state, int fd, long request, MemorySegment arg) {
        int r;
        try {
            r = (int) IOCTL.invokeExact(state, fd, request, arg);
        } catch (Throwable t) {
            throw new IllegalStateException("ioctl downcall failed: " + t, t);
        }
        return r < 0 ? -errno(state) : r;
    }

    /**
     * poll on one descriptor, no allocation.
     *
     * @param state  a segment of {@link #CALL_STATE}
     * @param pollfd a segment of {@link #POLLFD}; its fd and events must be set
     * @return the number of ready descriptors (0 on timeout), or {@code -errno}
     */
    public static int poll(MemorySegment state, MemorySegment pollfd, int timeoutMs) {
        int r;
        try {
            r = (int) POLL.invokeExact(state, pollfd, 1L, timeoutMs);
        } catch (Throwable t) {
            throw new IllegalStateException("poll downcall failed: " + t, t);
        }
        return r < 0 ? -errno(state) : r;
    }

    /** fcntl(fd, cmd, arg) with an int argument, e.g. F_ADD_SEALS. */
    public static int fcntl(int fd, int cmd, int arg, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(CALL_STATE);
            int r = (int) FCNTL.invokeExact(state, fd, cmd, arg);
            if (r < 0) throw fail("fcntl", "fd " + fd + ", " + name + ", 0x" + Integer.toHexString(arg), errno(state), null);
            return r;
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("fcntl downcall failed: " + t, t);
        }
    }

    /** The errno a failed call left in {@code state}. */
    public static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    /** A NativeException for a failed call, in Native's wording. */
    public static NativeException fail(String call, String args, int errno, String hint) {
        return new NativeException(call, errno, call + "(" + args + ") failed: " + describe(errno)
                + (hint == null ? "" : "; " + hint));
    }

    /** "ENOTTY (Inappropriate ioctl for device)": errno's name and text. */
    public static String describe(int errno) {
        return Native.describeErrno(errno);
    }
}
