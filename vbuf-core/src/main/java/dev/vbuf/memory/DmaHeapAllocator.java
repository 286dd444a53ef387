package dev.vbuf.memory;

import dev.vbuf.sys.Abi;
import dev.vbuf.sys.DmaBufIo;
import dev.vbuf.sys.FileIo;
import dev.vbuf.sys.Mman;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * DMA-BUF memory, the one DMA-BUF allocator of vbuf (the memory kind {@code dmaheap} and V4L2
 * DMABUF capture both use it): each buffer is a DMA-BUF allocated from /dev/dma_heap
 * (linux,cma first, for physically contiguous memory, then system) with DMA_HEAP_IOCTL_ALLOC,
 * mapped MAP_SHARED and pre-faulted; {@link Allocation#fd(int)} exports it and
 * {@link Allocation#syncCpu} brackets CPU access with DMA_BUF_IOCTL_SYNC.
 *
 * <p>Where the machine has no heap (or every heap refuses), the {@link Fallback} decides:
 * memfd pages exported as DMA-BUFs through /dev/udmabuf (still DMA-BUFs, as a device importing
 * them needs), or memfd then anonymous memory (any memory with a descriptor), or an error. The
 * path taken and why show in {@link Allocation#backing()} (and so in the pool's statistics)
 * and in {@link #lastPath()}. All-or-nothing at every step: a heap that fails part way gets
 * back everything it gave before the next step is tried.
 */
public final class DmaHeapAllocator implements Allocator {
    /** Heap names in the order they are tried. */
    public static final List<String> DEFAULT_HEAPS = List.of("linux,cma", "system");

    /** What to do when no heap gives the memory. */
    public enum Fallback {
        /** Fail, naming every heap tried and why it refused. */
        NONE,
        /** memfd pages exported as DMA-BUFs through /dev/udmabuf: DMA-BUFs still (what a V4L2 DMABUF queue needs). */
        UDMABUF,
        /** memfd shared memory (exportable, not a DMA-BUF), then anonymous memory: the memory kind "dmaheap". */
        MEMFD_THEN_ANONYMOUS
    }

    private final Path heapDir;
    private final List<String> heaps;
    private final Fallback fallback;
    private volatile String lastPath;

    /** linux,cma then system from /dev/dma_heap, falling back to memfd then anonymous memory. */
    public DmaHeapAllocator() { this(DmaBuf.HEAP_DIR, DEFAULT_HEAPS, Fallback.MEMFD_THEN_ANONYMOUS); }

    /**
     * @param heapDir  the heap directory (/dev/dma_heap)
     * @param heaps    heap names to try in order
     * @param fallback false to fail rather than fall back when no heap gives the memory, true for
     *                 {@link Fallback#MEMFD_THEN_ANONYMOUS}
     */
    public DmaHeapAllocator(Path heapDir, List<String> heaps, boolean fallback) {
        this(heapDir, heaps, fallback ? Fallback.MEMFD_THEN_ANONYMOUS : Fallback.NONE);
    }

    /**
     * @param heapDir  the heap directory (/dev/dma_heap)
     * @param heaps    heap names to try in order (may be empty: then the fallback is all there is)
     * @param fallback what to do when no heap gives the memory
     */
    public DmaHeapAllocator(Path heapDir, List<String> heaps, Fallback fallback) {
        this.heapDir = heapDir;
        this.heaps = List.copyOf(heaps);
        this.fallback = fallback;
    }

    /** Only DMA-BUFs: the default heaps, then memfd pages through /dev/udmabuf. */
    public static DmaHeapAllocator dmaBufsOnly() {
        return new DmaHeapAllocator(DmaBuf.HEAP_DIR, DEFAULT_HEAPS, Fallback.UDMABUF);
    }

    @Override
    public String name() { return "dmaheap"; }

    /** "dma-heap system", "udmabuf", "memfd" or "anonymous": the path of the last allocation, null before. */
    public String lastPath() { return lastPath; }

    @Override
    public Allocation allocate(int count, long bufferBytes, long alignment) {
        AlignedAllocator.checkRequest(count, bufferBytes, alignment);
        if (alignment > AlignedAllocator.PAGE) {
            throw new IllegalArgumentException("DMA-BUF heap buffers are page aligned (4096); alignment " + alignment
                    + " needs the aligned or huge-page allocator");
        }
        List<String> refused = new ArrayList<>();
        for (String heap : heaps) {
            Path dev = heapDir.resolve(heap);
            if (!Files.exists(dev)) {
                refused.add(heap + ": " + dev + " does not exist");
                continue;
            }
            try {
                Allocation a = fromHeap(dev, heap, count, bufferBytes);
                lastPath = "dma-heap " + heap;
                return a;
            } catch (NativeException e) {
                refused.add(heap + ": " + e.getMessage());
            }
        }
        String why = heaps.isEmpty() ? "no DMA-BUF heap asked for"
                : "no DMA-BUF heap gave the memory (" + String.join("; ", refused) + ")";
        switch (fallback) {
            case NONE -> throw new BufferAllocationException("could not allocate " + count + " DMA-BUF buffers of " + bufferBytes
                    + " bytes: " + why + "; this kernel needs CONFIG_DMABUF_HEAPS_SYSTEM (or a CMA area) for " + heapDir
                    + ", or allow the fallback to memfd");
            case UDMABUF -> {
                if (!Files.exists(DmaBuf.UDMABUF)) {
                    throw new BufferAllocationException("could not allocate " + count + " DMA-BUF buffers of " + bufferBytes
                            + " bytes: " + why + ", and " + DmaBuf.UDMABUF + " does not exist; this kernel needs"
                            + " CONFIG_DMABUF_HEAPS_SYSTEM (or a CMA area) for " + heapDir + ", or CONFIG_UDMABUF");
                }
                Allocation m = new MemfdAllocator(true).allocate(count, bufferBytes, alignment);
                lastPath = "udmabuf";
                return heaps.isEmpty() ? m : relabel(m, m.backing() + " (fallback: " + why + ")");
            }
            default -> {
                try {
                    Allocation m = new MemfdAllocator().allocate(count, bufferBytes, alignment);
                    lastPath = "memfd";
                    return relabel(m, "memfd shared memory (fallback: " + why + ")");
                } catch (BufferAllocationException e) {
                    Allocation m = new AlignedAllocator().allocate(count, bufferBytes, alignment);
                    lastPath = "anonymous";
                    return relabel(m, m.backing() + " (fallback: " + why + "; memfd refused: " + e.getMessage() + ")");
                }
            }
        }
    }

    private static Allocation fromHeap(Path dev, String heap, int count, long bufferBytes) {
        long mapped = (bufferBytes + AlignedAllocator.PAGE - 1) & -AlignedAllocator.PAGE;
        int heapFd = FileIo.open(dev.toString(), Abi.O_RDONLY | Abi.O_CLOEXEC);
        int[] fds = new int[count];
        MemorySegment[] maps = new MemorySegment[count];
        int made = 0;
        try {
            for (; made < count; made++) {
                fds[made] = DmaBufIo.heapAlloc(heapFd, heap, mapped);
                try {
                    maps[made] = Mman.mmap(mapped, Abi.PROT_READ | Abi.PROT_WRITE,
                            Abi.MAP_SHARED | Abi.MAP_POPULATE, fds[made], 0);
                } catch (NativeException e) {
                    FileIo.close(fds[made]);
                    throw e;
                }
                // Pre-fault: write every page inside a CPU-access bracket.
                DmaBufIo.sync(fds[made], Allocation.CPU_WRITE, true);
                for (long off = 0; off < mapped; off += AlignedAllocator.PAGE) maps[made].set(java.lang.foreign.ValueLayout.JAVA_BYTE, off, (byte) 0);
                DmaBufIo.sync(fds[made], Allocation.CPU_WRITE, false);
            }
        } catch (NativeException e) {
            for (int i = 0; i < made; i++) {
                Mman.munmap(maps[i]);
                FileIo.close(fds[i]);
            }
            throw e;
        } finally {
            FileIo.close(heapFd);
        }
        MemorySegment[] buffers = new MemorySegment[count];
        for (int i = 0; i < count; i++) buffers[i] = maps[i].asSlice(0, bufferBytes);
        String backing = "dma-heap " + heap + " (" + dev + "): one DMA-BUF per buffer, mmap'd and pre-faulted,"
                + " exported by fd, CPU access synced with DMA_BUF_IOCTL_SYNC";
        return new Allocation() {
            private boolean closed;
            @Override public int count() { return count; }
            @Override public MemorySegment buffer(int i) { return buffers[i]; }
            @Override public long physicalAddress(int i) { return Pagemap.physicalAddress(buffers[i].address()); }
            @Override public int fd(int i) { return fds[i]; }
            @Override public void syncCpu(int i, int access, boolean begin) { DmaBufIo.sync(fds[i], access, begin); }
            @Override public String backing() { return backing; }
            @Override public synchronized void close() {
                if (closed) return;
                closed = true;
                for (int i = 0; i < count; i++) {
                    Mman.munmap(maps[i]);
                    FileIo.close(fds[i]);
                }
            }
        };
    }

    private static Allocation relabel(Allocation a, String backing) {
        return new Allocation() {
            @Override public int count() { return a.count(); }
            @Override public MemorySegment buffer(int i) { return a.buffer(i); }
            @Override public long physicalAddress(int i) { return a.physicalAddress(i); }
            @Override public int fd(int i) { return a.fd(i); }
            @Override public String placement(int i) { return a.placement(i); }
            @Override public void syncCpu(int i, int access, boolean begin) { a.syncCpu(i, access, begin); }
            @Override public String backing() { return backing; }
            @Override public void close() { a.close(); }
        };
    }
}
