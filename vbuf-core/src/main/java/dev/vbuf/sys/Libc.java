package dev.vbuf.sys;

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
import java.util.Arrays;

/**
 * The one linker of vbuf: every downcall in {@code dev.vbuf.sys} is made here, from the C
 * library's symbols, with {@code errno} captured in the same call (the linker's
 * {@code captureCallState}) so that nothing between the call and the check can overwrite it.
 */
final class Libc {
    static final Linker LINKER = Linker.nativeLinker();
    static final SymbolLookup LIBC = LINKER.defaultLookup();
    static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    /** For variadic C functions (ioctl, fcntl, open, syscall): the index of the first variadic argument. */
    static Linker.Option variadicFrom(int index) { return Linker.Option.firstVariadicArg(index); }

    private Libc() {}

    private static MemorySegment symbol(String name) {
        return LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError(name + " is not in the C library;"
                + " vbuf's system calls need Linux with glibc 2.33 or newer"));
    }

    /** A downcall whose first argument is a call-state segment that receives errno. */
    static MethodHandle capturing(String name, FunctionDescriptor fd, Linker.Option... extra) {
        Linker.Option[] opts = Arrays.copyOf(extra, extra.length + 1);
        opts[extra.length] = CAPTURE_ERRNO;
        return LINKER.downcallHandle(symbol(name), fd, opts);
    }

    /** A downcall without errno capture: for calls that cannot fail or whose result says enough. */
    static MethodHandle plain(String name, FunctionDescriptor fd, Linker.Option... extra) {
        return LINKER.downcallHandle(symbol(name), fd, extra);
    }

    static MemorySegment callState(Arena arena) { return arena.allocate(CALL_STATE); }

    static int errno(MemorySegment state) { return (int) ERRNO.get(state, 0L); }

    /** The exception for a failed call: names the call, its arguments, errno by name and text, and what to do. */
    static NativeException fail(String call, String args, int errno, String hint) {
        return new NativeException(call, errno, call + "(" + args + ") failed: " + Errno.describe(errno)
                + (hint == null ? "" : "; " + hint));
    }

    static NativeException fail(String call, String args, MemorySegment state, String hint) {
        return fail(call, args, errno(state), hint);
    }

    /** A downcall that threw (a bug in its descriptor, not a failing system call). */
    static IllegalStateException broken(String call, Throwable t) {
        return new IllegalStateException(call + " downcall failed: " + t, t);
    }
}
