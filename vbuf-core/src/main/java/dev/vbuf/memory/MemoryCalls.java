package dev.vbuf.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Locale;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The system calls of the memory kinds beyond plain mappings: {@code open}, {@code ioctl} and
 * {@code fcntl} for DMA-BUF heaps, DMA-BUF sync and udmabuf, and the NUMA calls
 * {@code set_mempolicy}, {@code get_mempolicy}, {@code mbind} and {@code move_pages}. The C
 * library has no wrapper for the NUMA calls (libnuma does, and vbuf does not depend on it), so
 * they go through {@code syscall(2)} with the number of this architecture. Built on
 * {@link Native}'s errno capture; every failure is a {@link NativeException} naming the call.
 *
 * <p>Constants checked against the system headers (linux/dma-heap.h, linux/dma-buf.h,
 * linux/udmabuf.h, linux/mempolicy.h, asm/unistd_64.h) by {@code KernelAbiTest}, which
 * compiles a C program with gcc where it exists.
 */
public final class MemoryCalls {
    public static final int O_RDONLY = 0;
    public static final int O_RDWR = 2;
    public static final int O_CLOEXEC = 0x80000;

    public static final int F_ADD_SEALS = 1033;
    public static final int F_SEAL_SHRINK = 0x0002;

    /** _IOWR('H', 0, struct dma_heap_allocation_data) (24 bytes). */
    public static final long DMA_HEAP_IOCTL_ALLOC = ioc(3, 'H', 0, 24);
    /** _IOW('b', 0, struct dma_buf_sync) (8 bytes). */
    public static final long DMA_BUF_IOCTL_SYNC = ioc(1, 'b', 0, 8);
    /** _IOW('u', 0x42, struct udmabuf_create) (24 bytes). */
    public static final long UDMABUF_CREATE = ioc(1, 'u', 0x42, 24);
    public static final int UDMABUF_FLAGS_CLOEXEC = 0x01;

    public static final long DMA_BUF_SYNC_READ = 1;
    public static final long DMA_BUF_SYNC_WRITE = 2;
    public static final long DMA_BUF_SYNC_START = 0;
    public static final long DMA_BUF_SYNC_END = 4;

    public static final int MPOL_DEFAULT = 0;
    public static final int MPOL_BIND = 2;
    public static final int MPOL_MF_STRICT = 1;
    public static final int MPOL_MF_MOVE = 2;
    public static final int MPOL_F_NODE = 1;
    public static final int MPOL_F_ADDR = 2;

    /** System call numbers: x86-64 and aarch64 (asm-generic) differ. */
    static final long SYS_MBIND, SYS_SET_MEMPOLICY, SYS_GET_MEMPOLICY, SYS_MOVE_PAGES;

    static {
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        if (arch.equals("aarch64") || arch.equals("arm64") || arch.startsWith("riscv")) {
            SYS_MBIND = 235; SYS_GET_MEMPOLICY = 236; SYS_SET_MEMPOLICY = 237; SYS_MOVE_PAGES = 239;
        } else {
            SYS_MBIND = 237; SYS_SET_MEMPOLICY = 238; SYS_GET_MEMPOLICY = 239; SYS_MOVE_PAGES = 279;
        }
    }

    private static final MethodHandle IOCTL = Native.downcallCapturing("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle IOCTL_PLAIN = Native.downcallPlain("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle FCNTL = Native.downcallCapturing("fcntl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle SYSCALL6 = Native.downcallCapturing("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
            Linker.Option.firstVariadicArg(1));

    private MemoryCalls() {}

    static long ioc(int dir, char type, int nr, int size) {
        return ((long) dir << 30) | ((long) size << 16) | ((long) type << 8) | nr;
    }

    /** open(path, flags): the descriptor. */
    public static int open(String path, int flags) {
        return Posix.open(path, flags, 0); // the one open downcall of the project
    }

    /** ioctl(fd, request, arg) for set-up: the (non-negative) result, or a NativeException naming {@code name}. */
    public static int ioctl(int fd, long request, String name, MemorySegment arg, String hint) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Native.callState(a);
            int r = (int) IOCTL.invokeExact(state, fd, request, arg);
            if (r < 0) throw Native.failure("ioctl", "fd " + fd + ", " + name + " (0x" + Long.toHexString(request) + ")", state, hint);
            return r;
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("ioctl downcall failed: " + t, t);
        }
    }

    /** ioctl without errno capture and without allocating: the raw result (-1 on failure). */
    static int ioctlRaw(int fd, long request, MemorySegment arg) {
        try {
            return (int) IOCTL_PLAIN.invokeExact(fd, request, arg);
        } catch (Throwable t) {
            throw new IllegalStateException("ioctl downcall failed: " + t, t);
        }
    }

    /** fcntl(fd, cmd, arg) with an int argument. */
    public static int fcntl(int fd, int cmd, int arg) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Native.callState(a);
            int r = (int) FCNTL.invokeExact(state, fd, cmd, arg);
            if (r < 0) throw Native.failure("fcntl", "fd " + fd + ", cmd " + cmd + ", arg 0x" + Integer.toHexString(arg), state, null);
            return r;
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("fcntl downcall failed: " + t, t);
        }
    }

    /** A raw system call with up to six arguments (unused ones 0); throws on a -1 result. */
    static long syscall(String name, long nr, String args, String hint, long... a) {
        long[] v = java.util.Arrays.copyOf(a, 6);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            long r = (long) SYSCALL6.invokeExact(state, nr, v[0], v[1], v[2], v[3], v[4], v[5]);
            if (r == -1) throw Native.failure(name, args, state, hint);
            return r;
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(name + " downcall failed: " + t, t);
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
            syscall("mbind", SYS_MBIND, "address 0x" + Long.toHexString(range.address()) + ", length " + range.byteSize()
                            + ", MPOL_BIND node " + node + ", flags " + flags,
                    "the node may lack free memory for the pages (see 'vbuf info')",
                    range.address(), range.byteSize(), MPOL_BIND, mask.address(), 65, flags);
        }
    }

    /** set_mempolicy(MPOL_BIND, {node}) for the calling thread, or MPOL_DEFAULT when node is -1. */
    public static void setMempolicy(int node) {
        try (Arena a = Arena.ofConfined()) {
            if (node < 0) {
                syscall("set_mempolicy", SYS_SET_MEMPOLICY, "MPOL_DEFAULT", null, MPOL_DEFAULT, 0, 0);
            } else {
                MemorySegment mask = nodeMask(a, node);
                syscall("set_mempolicy", SYS_SET_MEMPOLICY, "MPOL_BIND node " + node, null, MPOL_BIND, mask.address(), 65);
            }
        }
    }

    /** get_mempolicy(MPOL_F_NODE | MPOL_F_ADDR) of the page at {@code address}: the node it is on. */
    public static int nodeOfAddress(long address) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment mode = a.allocate(JAVA_INT);
            syscall("get_mempolicy", SYS_GET_MEMPOLICY, "MPOL_F_NODE|MPOL_F_ADDR, address 0x" + Long.toHexString(address), null,
                    mode.address(), 0, 0, address, MPOL_F_NODE | MPOL_F_ADDR);
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
        long page = AlignedAllocator.PAGE;
        long first = range.address() & -page;
        long end = range.address() + range.byteSize();
        long pages = (end - first + page - 1) / page;
        long[] counts = new long[maxNode + 2];
        int batch = 4096;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment addrs = a.allocate(JAVA_LONG, batch);
            MemorySegment status = a.allocate(JAVA_INT, batch);
            for (long p = 0; p < pages; p += batch) {
                int n = (int) Math.min(batch, pages - p);
                for (int i = 0; i < n; i++) addrs.setAtIndex(JAVA_LONG, i, first + (p + i) * page);
                syscall("move_pages", SYS_MOVE_PAGES, n + " pages from 0x" + Long.toHexString(first + p * page)
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
