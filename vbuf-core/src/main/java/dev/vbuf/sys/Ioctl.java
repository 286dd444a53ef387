package dev.vbuf.sys;

import dev.vbuf.memory.NativeException;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * ioctl, in the forms DMA-BUF, V4L2 and framebuffer devices need (request numbers are built
 * with {@link Abi#iowr} and friends):
 * <ul>
 *   <li>{@link #ioctl(int, long, String, MemorySegment, String)} for set-up: throws a
 *       {@link NativeException} naming the request, allocates a little;</li>
 *   <li>{@link #ioctlNoThrow} for the per-frame path (VIDIOC_QBUF / DQBUF, FBIOPAN_DISPLAY):
 *       no allocation, returns {@code -errno};</li>
 *   <li>{@link #ioctlRaw}: no errno capture and no allocation, for a hot call whose failure
 *       the caller repeats through {@link #ioctl} to learn why;</li>
 *   <li>{@link #ioctlValue}: the argument passed by value (KDSETMODE).</li>
 * </ul>
 * ioctl is variadic in C; the downcalls say so ({@code firstVariadicArg(2)}).
 */
public final class Ioctl {
    private static final MethodHandle IOCTL = Libc.capturing("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), Libc.variadicFrom(2));
    private static final MethodHandle IOCTL_PLAIN = Libc.plain("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), Libc.variadicFrom(2));
    private static final MethodHandle IOCTL_VALUE = Libc.capturing("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), Libc.variadicFrom(2));

    private Ioctl() {}

    /**
     * ioctl(fd, request, arg) for set-up calls.
     *
     * @param name the request's name for the message, e.g. "VIDIOC_S_FMT"
     * @param hint what to do, appended to the message on failure (may be null)
     * @return the call's non-negative result
     */
    public static int ioctl(int fd, long request, String name, MemorySegment arg, String hint) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(a);
            int r = (int) IOCTL.invokeExact(state, fd, request, arg);
            if (r < 0) throw Libc.fail("ioctl", "fd " + fd + ", " + name + " (0x" + Long.toHexString(request) + ")", state, hint);
            return r;
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.broken("ioctl", t);
        }
    }

    /** ioctl(fd, request, value) with an integer argument passed by value. */
    public static int ioctlValue(int fd, long request, String name, long value, String hint) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(a);
            int r = (int) IOCTL_VALUE.invokeExact(state, fd, request, value);
            if (r < 0) throw Libc.fail("ioctl", "fd " + fd + ", " + name + " (0x" + Long.toHexString(request) + ")", state, hint);
            return r;
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.broken("ioctl", t);
        }
    }

    /**
     * ioctl for the per-frame path: no allocation, no exception for a failing call.
     *
     * @param state a call-state segment owned by the calling thread ({@link Errno#newCallState})
     * @return the result, or {@code -errno} when the call failed
     */
    public static int ioctlNoThrow(MemorySegment state, int fd, long request, MemorySegment arg) {
        int r;
        try {
            r = (int) IOCTL.invokeExact(state, fd, request, arg);
        } catch (Throwable t) {
            throw Libc.broken("ioctl", t);
        }
        return r < 0 ? -Libc.errno(state) : r;
    }

    /** ioctl without errno capture and without allocating: the raw result (-1 on failure). */
    public static int ioctlRaw(int fd, long request, MemorySegment arg) {
        try {
            return (int) IOCTL_PLAIN.invokeExact(fd, request, arg);
        } catch (Throwable t) {
            throw Libc.broken("ioctl", t);
        }
    }
}
