package dev.vbuf.memory;

import dev.vbuf.sys.Abi;
import dev.vbuf.sys.Numa;

import java.lang.foreign.MemorySegment;

/**
 * Transitional: the pool packages' calls until they name the native layer ({@code dev.vbuf.sys})
 * directly. Declares no downcall and no constant of its own.
 */
public final class MemoryCalls {
    public static final int MPOL_MF_STRICT = Abi.MPOL_MF_STRICT, MPOL_MF_MOVE = Abi.MPOL_MF_MOVE;

    private MemoryCalls() {}

    public static void mbind(MemorySegment range, int node, int flags) { Numa.mbind(range, node, flags); }
}
