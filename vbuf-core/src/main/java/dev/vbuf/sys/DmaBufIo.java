package dev.vbuf.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * DMA-BUF and udmabuf: allocation from a DMA-BUF heap (DMA_HEAP_IOCTL_ALLOC), CPU-access
 * bracketing (DMA_BUF_IOCTL_SYNC), and memfd pages turned into a DMA-BUF through /dev/udmabuf
 * (F_SEAL_SHRINK, UDMABUF_CREATE). The one place vbuf makes DMA-BUFs, for the memory kinds and
 * V4L2 DMABUF capture alike.
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
public final class DmaBufIo {
    /** struct dma_heap_allocation_data */
    public static final StructLayout HEAP_ALLOCATION = MemoryLayout.structLayout(
            JAVA_LONG.withName("len"), JAVA_INT.withName("fd"), JAVA_INT.withName("fd_flags"),
            JAVA_LONG.withName("heap_flags")).withName("dma_heap_allocation_data");
    /** struct dma_buf_sync */
    public static final StructLayout SYNC = MemoryLayout.structLayout(JAVA_LONG.withName("flags")).withName("dma_buf_sync");
    /** struct udmabuf_create */
    public static final StructLayout UDMABUF_CREATE = MemoryLayout.structLayout(
            JAVA_INT.withName("memfd"), JAVA_INT.withName("flags"), JAVA_LONG.withName("offset"),
            JAVA_LONG.withName("size")).withName("udmabuf_create");
    private static final VarHandle HA_LEN = HEAP_ALLOCATION.varHandle(MemoryLayout.PathElement.groupElement("len"));
    private static final VarHandle HA_FD = HEAP_ALLOCATION.varHandle(MemoryLayout.PathElement.groupElement("fd"));
    private static final VarHandle HA_FD_FLAGS = HEAP_ALLOCATION.varHandle(MemoryLayout.PathElement.groupElement("fd_flags"));
    private static final VarHandle UC_MEMFD = UDMABUF_CREATE.varHandle(MemoryLayout.PathElement.groupElement("memfd"));
    private static final VarHandle UC_FLAGS = UDMABUF_CREATE.varHandle(MemoryLayout.PathElement.groupElement("flags"));
    private static final VarHandle UC_OFFSET = UDMABUF_CREATE.varHandle(MemoryLayout.PathElement.groupElement("offset"));
    private static final VarHandle UC_SIZE = UDMABUF_CREATE.varHandle(MemoryLayout.PathElement.groupElement("size"));

    /** CPU access for {@link #sync}: the kernel's DMA_BUF_SYNC_READ / WRITE bits. */
    public static final int READ = Abi.DMA_BUF_SYNC_READ, WRITE = Abi.DMA_BUF_SYNC_WRITE;

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

    private DmaBufIo() {}

    /** Allocates {@code length} bytes from the heap open on {@code heapFd}: the new DMA-BUF's descriptor. */
    public static int heapAlloc(int heapFd, String heapName, long length) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment data = a.allocate(HEAP_ALLOCATION);
            HA_LEN.set(data, 0L, length);
            HA_FD_FLAGS.set(data, 0L, Abi.O_RDWR | Abi.O_CLOEXEC);
            Ioctl.ioctl(heapFd, Abi.DMA_HEAP_IOCTL_ALLOC, "DMA_HEAP_IOCTL_ALLOC " + length + " bytes from " + heapName,
                    data, "the heap may be out of memory (CMA areas are small: see /proc/meminfo CmaFree)");
            return (int) HA_FD.get(data, 0L);
        }
    }

    /**
     * DMA_BUF_IOCTL_SYNC: {@code begin} true = DMA_BUF_SYNC_START, false = DMA_BUF_SYNC_END,
     * for {@link #READ}, {@link #WRITE} or both. Allocates nothing unless it fails.
     */
    public static void sync(int dmabufFd, int access, boolean begin) {
        if ((access & ~(READ | WRITE)) != 0 || access == 0) {
            throw new IllegalArgumentException("CPU access " + access + " is not read (1), write (2) or both (3)");
        }
        int flags = access | (begin ? Abi.DMA_BUF_SYNC_START : Abi.DMA_BUF_SYNC_END);
        if (Ioctl.ioctlRaw(dmabufFd, Abi.DMA_BUF_IOCTL_SYNC, SYNC_ARGS[flags]) < 0) {
            // The error path: repeat with errno captured, so the exception says why.
            Ioctl.ioctl(dmabufFd, Abi.DMA_BUF_IOCTL_SYNC, "DMA_BUF_IOCTL_SYNC flags " + flags,
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
            UC_MEMFD.set(c, 0L, memfd);
            UC_FLAGS.set(c, 0L, Abi.UDMABUF_FLAGS_CLOEXEC);
            UC_OFFSET.set(c, 0L, offset);
            UC_SIZE.set(c, 0L, size);
            return Ioctl.ioctl(udmabufDevFd, Abi.UDMABUF_CREATE,
                    "UDMABUF_CREATE memfd " + memfd + ", offset " + offset + ", size " + size, c,
                    "udmabuf needs a memfd sealed with F_SEAL_SHRINK (and no F_SEAL_WRITE), offset and size page"
                    + " multiples, and a size within /sys/module/udmabuf/parameters/size_limit_mb");
        }
    }

    /** fcntl(F_ADD_SEALS, F_SEAL_SHRINK): what udmabuf requires of a memfd. */
    public static void sealForUdmabuf(int memfd) {
        FileIo.fcntl(memfd, Abi.F_ADD_SEALS, Abi.F_SEAL_SHRINK, "F_ADD_SEALS F_SEAL_SHRINK");
    }
}
