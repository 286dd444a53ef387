package dev.vbuf.media.v4l2;

import dev.vbuf.memory.Allocation;
import dev.vbuf.memory.Allocator;
import dev.vbuf.memory.BufferAllocationException;
import dev.vbuf.memory.Native;
import dev.vbuf.memory.NativeException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Pool memory that is a DMA-BUF, so a V4L2 queue can import it with {@code V4L2_MEMORY_DMABUF}:
 * one DMA-BUF per buffer, mapped {@code MAP_SHARED} for the CPU, its descriptor reported as the
 * frame's {@code fd()}. Two sources, tried in this order unless one is named:
 * <ul>
 *   <li>{@code heap}: {@code DMA_HEAP_IOCTL_ALLOC} on {@code /dev/dma_heap/system};</li>
 *   <li>{@code udmabuf}: a memfd sealed against shrinking ({@code F_SEAL_SHRINK}) turned into a
 *       DMA-BUF by {@code UDMABUF_CREATE} on {@code /dev/udmabuf} (the memfd's pages are the
 *       DMA-BUF's pages).</li>
 * </ul>
 * Plain memfd memory is not a DMA-BUF and a V4L2 driver refuses it as one; this is why the
 * DMABUF capture path needs this allocator. All-or-nothing: a failure part way frees what was
 * made and throws {@link BufferAllocationException} naming the device nodes and what to do.
 */
public final class DmaBufAllocator implements Allocator {
    public static final Path HEAP = Path.of("/dev/dma_heap/system");
    public static final Path UDMABUF = Path.of("/dev/udmabuf");
    private static final long PAGE = 4096;

    /** struct dma_heap_allocation_data { u64 len; u32 fd; u32 fd_flags; u64 heap_flags; } (24 bytes). */
    static final StructLayout HEAP_ALLOC = MemoryLayout.structLayout(JAVA_LONG.withName("len"), JAVA_INT.withName("fd"),
            JAVA_INT.withName("fd_flags"), JAVA_LONG.withName("heap_flags"));
    /** struct udmabuf_create { u32 memfd; u32 flags; u64 offset; u64 size; } (24 bytes). */
    static final StructLayout UDMABUF_CREATE_ARG = MemoryLayout.structLayout(JAVA_INT.withName("memfd"), JAVA_INT.withName("flags"),
            JAVA_LONG.withName("offset"), JAVA_LONG.withName("size"));
    public static final long DMA_HEAP_IOCTL_ALLOC = V4l2Abi.iowr('H', 0, HEAP_ALLOC.byteSize());
    public static final long UDMABUF_CREATE = V4l2Abi.iow('u', 0x42, UDMABUF_CREATE_ARG.byteSize());
    static final int UDMABUF_FLAGS_CLOEXEC = 1;

    /** Where the DMA-BUFs come from. */
    public enum Source { AUTO, HEAP, UDMABUF }

    private final Source source;

    public DmaBufAllocator() { this(Source.AUTO); }

    public DmaBufAllocator(Source source) { this.source = source; }

    @Override
    public String name() { return "dmabuf"; }

    /** The source AUTO resolves to here, or null when neither node exists. */
    public static Source available() {
        if (Files.exists(HEAP)) return Source.HEAP;
        if (Files.exists(UDMABUF)) return Source.UDMABUF;
        return null;
    }

    @Override
    public Allocation allocate(int count, long bufferBytes, long alignment) {
        if (count < 1 || bufferBytes < 1) throw new IllegalArgumentException("count " + count + " and size " + bufferBytes + " must be positive");
        if (alignment > PAGE) throw new IllegalArgumentException("DMA-BUF buffers are page aligned (4096); alignment " + alignment + " is not available");
        Source s = source == Source.AUTO ? available() : source;
        if (s == null) {
            throw new BufferAllocationException("no DMA-BUF exporter for pool memory: neither " + HEAP + " nor " + UDMABUF
                    + " exists (kernel options CONFIG_DMABUF_HEAPS_SYSTEM, CONFIG_UDMABUF); use --memory mmap or userptr, or"
                    + " expbuf to export the driver's own buffers");
        }
        Path node = s == Source.HEAP ? HEAP : UDMABUF;
        long len = (bufferBytes + PAGE - 1) & -PAGE;
        int dev;
        try {
            dev = DeviceIo.open(node.toString(), DeviceIo.O_RDWR | DeviceIo.O_CLOEXEC);
        } catch (NativeException e) {
            throw new BufferAllocationException("cannot open " + node + " for DMA-BUF pool memory: " + e.getMessage()
                    + (e.errno() == 13 ? "; give your user access to it (a udev rule or group)" : ""), e);
        }
        int[] fds = new int[count];
        MemorySegment[] maps = new MemorySegment[count];
        int made = 0;
        try (Arena a = Arena.ofConfined()) {
            for (; made < count; made++) {
                fds[made] = s == Source.HEAP ? heapAlloc(a, dev, len) : udmabuf(a, dev, len, made);
                try {
                    maps[made] = Native.mmap(len, Native.PROT_READ | Native.PROT_WRITE, Native.MAP_SHARED, fds[made], 0);
                } catch (RuntimeException e) {
                    Native.close(fds[made]);
                    throw e;
                }
            }
        } catch (NativeException e) {
            free(maps, fds, made);
            throw new BufferAllocationException("could not allocate DMA-BUF " + made + " of " + count + " (" + len
                    + " bytes each) from " + node + ": " + e.getMessage() + "; check free memory or ask for fewer buffers", e);
        } finally {
            Native.close(dev);
        }
        MemorySegment[] buffers = new MemorySegment[count];
        for (int i = 0; i < count; i++) buffers[i] = maps[i].asSlice(0, bufferBytes);
        String backing = s == Source.HEAP ? "DMA-BUF from " + HEAP + ", one per buffer"
                : "DMA-BUF from " + UDMABUF + " over sealed memfd pages, one per buffer";
        return new Allocation() {
            private boolean closed;
            @Override public int count() { return count; }
            @Override public MemorySegment buffer(int i) { return buffers[i]; }
            @Override public int fd(int i) { return fds[i]; }
            @Override public String backing() { return backing; }
            @Override public synchronized void close() {
                if (closed) return;
                closed = true;
                free(maps, fds, count);
            }
        };
    }

    private static int heapAlloc(Arena a, int heap, long len) {
        MemorySegment d = a.allocate(HEAP_ALLOC);
        d.set(JAVA_LONG, 0, len);
        d.set(JAVA_INT, 12, DeviceIo.O_RDWR | DeviceIo.O_CLOEXEC);
        DeviceIo.ioctl(heap, DMA_HEAP_IOCTL_ALLOC, "DMA_HEAP_IOCTL_ALLOC len " + len, d, null);
        return d.get(JAVA_INT, 8);
    }

    private static int udmabuf(Arena a, int dev, long len, int i) {
        int memfd = Native.memfdCreate("vbuf-udmabuf-" + i, Native.MFD_CLOEXEC | Native.MFD_ALLOW_SEALING);
        try {
            Native.ftruncate(memfd, len);
            DeviceIo.fcntl(memfd, DeviceIo.F_ADD_SEALS, DeviceIo.F_SEAL_SHRINK, "F_ADD_SEALS F_SEAL_SHRINK");
            MemorySegment c = a.allocate(UDMABUF_CREATE_ARG);
            c.set(JAVA_INT, 0, memfd);
            c.set(JAVA_INT, 4, UDMABUF_FLAGS_CLOEXEC);
            c.set(JAVA_LONG, 8, 0L);
            c.set(JAVA_LONG, 16, len);
            return DeviceIo.ioctl(dev, UDMABUF_CREATE, "UDMABUF_CREATE size " + len, c,
                    "udmabuf needs a memfd sealed with F_SEAL_SHRINK and a size within /sys/module/udmabuf/parameters/size_limit_mb");
        } finally {
            Native.close(memfd); // the DMA-BUF holds the pages
        }
    }

    private static void free(MemorySegment[] maps, int[] fds, int n) {
        List<RuntimeException> errors = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            try {
                if (maps[i] != null) Native.munmap(maps[i]);
                Native.close(fds[i]);
            } catch (RuntimeException e) {
                errors.add(e);
            }
        }
        if (!errors.isEmpty()) throw errors.getFirst();
    }
}
