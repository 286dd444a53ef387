package dev.vbuf.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * The native layer's door for a module that binds a library loaded by someone else (FFmpeg,
 * loaded by JavaCPP in vbuf-ffmpeg): a downcall to a function at an address that library's
 * loader found, and an upcall stub for a callback the library calls. The linking itself stays
 * here, in {@code dev.vbuf.sys}, as for every other native call of vbuf.
 */
public final class ForeignCalls {
    private static final Linker LINKER = Linker.nativeLinker();

    private ForeignCalls() {}

    /**
     * A handle that calls the native function at {@code address}.
     *
     * @param symbol the function's name, for the error when the address is 0
     */
    public static MethodHandle downcall(String symbol, long address, FunctionDescriptor descriptor) {
        if (address == 0) throw new IllegalStateException("native function " + symbol + " was not found (address 0)");
        return LINKER.downcallHandle(MemorySegment.ofAddress(address), descriptor);
    }

    /** A function pointer that calls {@code target}, valid until {@code arena} closes. */
    public static MemorySegment upcall(MethodHandle target, FunctionDescriptor descriptor, Arena arena) {
        return LINKER.upcallStub(target, descriptor, arena);
    }
}
