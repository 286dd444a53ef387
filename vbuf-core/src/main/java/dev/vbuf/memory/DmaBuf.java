package dev.vbuf.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * DMA-BUF operations (S2.5): allocation from a DMA-BUF heap, CPU-access bracketing with
 * DMA_BUF_IOCTL_SYNC, and turning memfd pages into a DMA-BUF through /dev/udmabuf.
 *
 * <pre>
 * struct dma_heap_allocation_data {   struct dma_buf_sync {     struct udmabuf_create {
 *   0 __u64 len;                         0 __u64 flags;            0 __u32 memfd;
 *   8 __u32 fd;         (out)          };          (8 bytes)       4 __u32 flags;
 *  12 __u32 fd_flags;                                             8 __u64 offset;
 *  16 __u64 heap_flags;                                          16 __u64 size;
 * };                    (24 bytes)                               };       (24 bytes)
 * </pre>
 */
public final class DmaBuf {
    public static final Path HEAP_DIR = Path.of("/dev/dma_heap");
    public static final Path UDMABUF = Path.of("/dev/udmabuf");

    static final StructLayout HEAP_ALLOCATION = MemoryLayout.structLayout(
            JAVA_LONG.withName("len"), JAVA_INT.withName("fd"), JAVA_INT.withName("fd_flags"),
            JAVA_LONG.withName("heap_flags"));
    static final StructLayout SYNC = MemoryLayout.structLayout(JAVA_LONG.withName("flags"));
    static final StructLayout UDMABUF_CREATE = MemoryLayout.structLayout(
            JAVA_INT.withName("memfd"), JAVA_INT.withName("flags"), JAVA_LONG.withName("offset"), JAVA_LONG.withName("size"));
    private static final VarHandle HA_LEN = HEAP_ALLOCATION.varHandle(MemoryLayout.PathElement.groupElement("len"));
    private static final VarHandle HA_FD = HEAP_ALLOCATION.varHandle(MemoryLayout.PathElement.groupElement("fd"));
    private static final VarHandle HA_FD_FLAGS = HEAP_ALLOCATION.varHandle(MemoryLayout.PathElement.groupElement("fd_flags"));

    /**
     * The eight struct dma_buf_sync values (index = flags), written once and only read by the
     * kernel (_IOW), so threads share them and a sync allocates nothing.
     */
    private static final MemorySegment[] SYNC_ARGS = new MemorySegment[8];

    static {
        Arena global = Arena.global();
        for (int f = 0; f < 8; f++) {
            SYNC_ARGS[f] = global.allocate(SYNC);
            SYNC_ARGS[f].set(JAVA_LONG, 0, f);
        }
    }

    private DmaBuf() {}

    /** Allocates {@code length} bytes from the heap open on {@code heapFd}: the new DMA-BUF's descriptor. */
    public static int heapAlloc(int heapFd, String heapName, long length) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment data = a.allocate(HEAP_ALLOCATION);
            HA_LEN.set(data, 0L, length);
            HA_FD_FLAGS.set(data, 0L, MemoryCalls.O_RDWR | MemoryCalls.O_CLOEXEC);
            MemoryCalls.ioctl(heapFd, MemoryCalls.DMA_HEAP_IOCTL_ALLOC, "DMA_HEAP_IOCTL_ALLOC " + length + " bytes from " + heapName,
                    data, "the heap may be out of memory (CMA areas are small: see /proc/meminfo CmaFree)");
            return (int) HA_FD.get(data, 0L);
        }
    }

    /**
     * DMA_BUF_IOCTL_SYNC: {@code begin} true = DMA_BUF_SYNC_START, false = DMA_BUF_SYNC_END,
     * for read ({@link Allocation#CPU_READ}), write ({@link Allocation#CPU_WRITE}) or both.
     * Allocates nothing unless it fails.
     */
    public static void sync(int dmabufFd, int access, boolean begin) {
        if ((access & ~3) != 0 || access == 0) {
            throw new IllegalArgumentException("CPU access " + access + " is not CPU_READ (1), CPU_WRITE (2) or both (3)");
        }
        int flags = access | (begin ? (int) MemoryCalls.DMA_BUF_SYNC_START : (int) MemoryCalls.DMA_BUF_SYNC_END);
        if (MemoryCalls.ioctlRaw(dmabufFd, MemoryCalls.DMA_BUF_IOCTL_SYNC, SYNC_ARGS[flags]) < 0) {
            // The error path: repeat with errno captured, so the exception says why.
            MemoryCalls.ioctl(dmabufFd, MemoryCalls.DMA_BUF_IOCTL_SYNC, "DMA_BUF_IOCTL_SYNC flags " + flags,
                    SYNC_ARGS[flags], "is the descriptor a DMA-BUF?");
        }
    }

    /**
     * UDMABUF_CREATE: a DMA-BUF over {@code size} bytes of the memfd at {@code offset} (both page
     * multiples). The memfd must carry F_SEAL_SHRINK (see {@link #sealForUdmabuf}).
     */
    public static int udmabufCreate(int udmabufDevFd, int memfd, long offset, long size) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment c = a.allocate(UDMABUF_CREATE);
            c.set(JAVA_INT, 0, memfd);
            c.set(JAVA_INT, 4, MemoryCalls.UDMABUF_FLAGS_CLOEXEC);
            c.set(JAVA_LONG, 8, offset);
            c.set(JAVA_LONG, 16, size);
            return MemoryCalls.ioctl(udmabufDevFd, MemoryCalls.UDMABUF_CREATE,
                    "UDMABUF_CREATE memfd " + memfd + ", offset " + offset + ", size " + size, c,
                    "the memfd needs F_SEAL_SHRINK and no F_SEAL_WRITE, offset and size page multiples");
        }
    }

    /** fcntl(F_ADD_SEALS, F_SEAL_SHRINK): what udmabuf requires of a memfd. */
    public static void sealForUdmabuf(int memfd) {
        MemoryCalls.fcntl(memfd, MemoryCalls.F_ADD_SEALS, MemoryCalls.F_SEAL_SHRINK);
    }

    /** The heaps under /dev/dma_heap, by name ("system", "linux,cma" ...), or an empty list. */
    public static java.util.List<String> heaps() {
        if (!Files.isDirectory(HEAP_DIR)) return java.util.List.of();
        try (var s = Files.list(HEAP_DIR)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (java.io.IOException e) {
            return java.util.List.of();
        }
    }
}
