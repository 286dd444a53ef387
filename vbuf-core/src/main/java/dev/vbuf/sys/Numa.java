package dev.vbuf.sys;

import dev.vbuf.memory.NativeException;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Arrays;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * NUMA placement: mbind, set_mempolicy, get_mempolicy and move_pages. The C library has no
 * wrapper for them (libnuma does, and vbuf does not depend on it), so they go through
 * {@code syscall(2)} with this architecture's numbers ({@link Abi#ARCH}).
 */
public final class Numa {
    private static final long PAGE = 4096;
    private static final MethodHandle SYSCALL6 = Libc.capturing("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
            Libc.variadicFrom(1));

    private Numa() {}

    /** A raw system call with up to six arguments (unused ones 0); throws on a -1 result. */
    private static long syscall(String name, long nr, String args, String hint, long... a) {
        long[] v = Arrays.copyOf(a, 6);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(arena);
            long r = (long) SYSCALL6.invokeExact(state, nr, v[0], v[1], v[2], v[3], v[4], v[5]);
            if (r == -1) throw Libc.fail(name, args, state, hint);
            return r;
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.broken(name, t);
        }
    }

    /** A one-word node mask and maxnode for it (the kernel uses maxnode - 1 bits). */
    private static MemorySegment nodeMask(Arena a, int node) {
        if (node < 0 || node > 63) throw new IllegalArgumentException("NUMA node " + node + " is outside 0..63");
        MemorySegment m = a.allocate(JAVA_LONG);
        m.set(JAVA_LONG, 0, 1L << node);
        return m;
    }

    /** mbind(range, MPOL_BIND to {@code node}, flags). */
    public static void mbind(MemorySegment range, int node, int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment mask = nodeMask(a, node);
            syscall("mbind", Abi.SYS_mbind, "address 0x" + Long.toHexString(range.address()) + ", length " + range.byteSize()
                            + ", MPOL_BIND node " + node + ", flags " + flags,
                    "the node may lack free memory for the pages (see 'vbuf info')",
                    range.address(), range.byteSize(), Abi.MPOL_BIND, mask.address(), 65, flags);
        }
    }

    /** set_mempolicy(MPOL_BIND, {node}) for the calling thread, or MPOL_DEFAULT when node is -1. */
    public static void setMempolicy(int node) {
        try (Arena a = Arena.ofConfined()) {
            if (node < 0) {
                syscall("set_mempolicy", Abi.SYS_set_mempolicy, "MPOL_DEFAULT", null, Abi.MPOL_DEFAULT, 0, 0);
            } else {
                MemorySegment mask = nodeMask(a, node);
                syscall("set_mempolicy", Abi.SYS_set_mempolicy, "MPOL_BIND node " + node, null, Abi.MPOL_BIND, mask.address(), 65);
            }
        }
    }

    /** {@code get_mempolicy(&mode, NULL, 0, 0, 0)}: the calling thread's policy (MPOL_DEFAULT, MPOL_BIND ...). */
    public static int threadPolicy() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment mode = a.allocate(JAVA_INT);
            syscall("get_mempolicy", Abi.SYS_get_mempolicy, "mode of this thread", null, mode.address(), 0, 0, 0, 0);
            return mode.get(JAVA_INT, 0);
        }
    }

    /** get_mempolicy(MPOL_F_NODE | MPOL_F_ADDR) of the page at {@code address}: the node it is on. */
    public static int nodeOfAddress(long address) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment mode = a.allocate(JAVA_INT);
            syscall("get_mempolicy", Abi.SYS_get_mempolicy, "MPOL_F_NODE|MPOL_F_ADDR, address 0x" + Long.toHexString(address), null,
                    mode.address(), 0, 0, address, Abi.MPOL_F_NODE | Abi.MPOL_F_ADDR);
            return mode.get(JAVA_INT, 0);
        }
    }

    /**
     * Where the pages of {@code range} are: move_pages(0, n, pages, NULL, status, 0) moves
     * nothing and fills status with each page's node (or a negative errno, e.g. -ENOENT for a
     * page not present). Returns the count of pages per node, index = node; the last element
     * counts pages on no node (not present or not readable).
     */
    public static long[] pagesPerNode(MemorySegment range, int maxNode) {
        long first = range.address() & -PAGE;
        long end = range.address() + range.byteSize();
        long pages = (end - first + PAGE - 1) / PAGE;
        long[] counts = new long[maxNode + 2];
        int batch = 4096;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment addrs = a.allocate(JAVA_LONG, batch);
            MemorySegment status = a.allocate(JAVA_INT, batch);
            for (long p = 0; p < pages; p += batch) {
                int n = (int) Math.min(batch, pages - p);
                for (int i = 0; i < n; i++) addrs.setAtIndex(JAVA_LONG, i, first + (p + i) * PAGE);
                syscall("move_pages", Abi.SYS_move_pages, n + " pages from 0x" + Long.toHexString(first + p * PAGE)
                        + ", nodes NULL (query)", null, 0, n, addrs.address(), 0, status.address(), 0);
                for (int i = 0; i < n; i++) {
                    int s = status.getAtIndex(JAVA_INT, i);
                    counts[s >= 0 && s <= maxNode ? s : maxNode + 1]++;
                }
            }
        }
        return counts;
    }
}
