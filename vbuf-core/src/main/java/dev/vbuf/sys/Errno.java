package dev.vbuf.sys;

import dev.vbuf.memory.NativeException;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Map;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * errno: its name and the system's text for messages ({@link #describe}), and the call-state
 * segments that per-frame calls reuse so that they allocate nothing ({@link #newCallState}).
 * The values are {@link Abi}'s.
 */
public final class Errno {
    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(Abi.EPERM, "EPERM"), Map.entry(Abi.ENOENT, "ENOENT"), Map.entry(Abi.EINTR, "EINTR"),
            Map.entry(Abi.EIO, "EIO"), Map.entry(Abi.ENXIO, "ENXIO"), Map.entry(Abi.EBADF, "EBADF"),
            Map.entry(Abi.EAGAIN, "EAGAIN"), Map.entry(Abi.ENOMEM, "ENOMEM"), Map.entry(Abi.EACCES, "EACCES"),
            Map.entry(Abi.EFAULT, "EFAULT"), Map.entry(Abi.EBUSY, "EBUSY"), Map.entry(Abi.EEXIST, "EEXIST"),
            Map.entry(Abi.ENODEV, "ENODEV"), Map.entry(Abi.EINVAL, "EINVAL"), Map.entry(Abi.ENFILE, "ENFILE"),
            Map.entry(Abi.EMFILE, "EMFILE"), Map.entry(Abi.ENOTTY, "ENOTTY"), Map.entry(Abi.EFBIG, "EFBIG"),
            Map.entry(Abi.ENOSPC, "ENOSPC"), Map.entry(Abi.EPIPE, "EPIPE"), Map.entry(Abi.ENOSYS, "ENOSYS"),
            Map.entry(Abi.ELOOP, "ELOOP"), Map.entry(Abi.EOPNOTSUPP, "EOPNOTSUPP"),
            Map.entry(Abi.ECONNRESET, "ECONNRESET"), Map.entry(Abi.ECONNREFUSED, "ECONNREFUSED"));

    private static final MethodHandle STRERROR = Libc.plain("strerror",
            FunctionDescriptor.of(ADDRESS.withTargetLayout(MemoryLayout.sequenceLayout(256, ValueLayout.JAVA_BYTE)), JAVA_INT));

    /** The layout of a call-state segment (errno captured by a downcall). */
    public static final MemoryLayout CALL_STATE = Libc.CALL_STATE;

    private Errno() {}

    /** "ENOMEM (Cannot allocate memory)" for 12; "errno 4095 (Unknown error 4095)" for a value without a name here. */
    public static String describe(int errno) {
        String text;
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
            text = s.getString(0);
        } catch (Throwable t) {
            text = "errno " + errno;
        }
        return name(errno) + " (" + text + ")";
    }

    /** "ENOTTY" for 25, "errno N" for a value without a name here. */
    public static String name(int errno) {
        return NAMES.getOrDefault(errno, "errno " + errno);
    }

    /** A segment for the per-frame calls ({@link FileIo#pread}, {@link Ioctl#ioctlNoThrow} ...) to leave errno in; one per thread. */
    public static MemorySegment newCallState(Arena arena) { return Libc.callState(arena); }

    /** The errno a failed call left in {@code state}. */
    public static int of(MemorySegment state) { return Libc.errno(state); }

    /**
     * The exception for a call that failed with {@code errno}, worded as all of vbuf's:
     * "call(args) failed: NAME (text); hint".
     */
    public static NativeException failure(String call, String args, int errno, String hint) {
        return Libc.fail(call, args, errno, hint);
    }
}
