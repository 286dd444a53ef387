package dev.vbuf.media.v4l2;

import dev.vbuf.memory.Allocation;
import dev.vbuf.memory.Allocator;
import dev.vbuf.memory.BufferAllocationException;
import dev.vbuf.memory.DmaBuf;
import dev.vbuf.memory.DmaHeapAllocator;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Pool memory that is a DMA-BUF, so a V4L2 queue can import it with {@code V4L2_MEMORY_DMABUF}:
 * which exporter to use, for the capture command's {@code --dmabuf heap|udmabuf}. The DMA-BUFs
 * themselves come from vbuf's one DMA-BUF allocator, {@link DmaHeapAllocator}, with no fallback
 * to memory that is not a DMA-BUF (a V4L2 driver refuses plain memfd memory as one):
 * <ul>
 *   <li>{@code heap}: {@code DMA_HEAP_IOCTL_ALLOC} on /dev/dma_heap (linux,cma, then system);</li>
 *   <li>{@code udmabuf}: memfd pages sealed against shrinking turned into DMA-BUFs by
 *       {@code UDMABUF_CREATE} on /dev/udmabuf;</li>
 *   <li>{@code auto}: a heap, else udmabuf.</li>
 * </ul>
 */
public final class DmaBufAllocator implements Allocator {
    public static final Path HEAP = DmaBuf.HEAP_DIR.resolve("system");
    public static final Path UDMABUF = DmaBuf.UDMABUF;

    /** Where the DMA-BUFs come from. */
    public enum Source { AUTO, HEAP, UDMABUF }

    private final Source source;

    public DmaBufAllocator() { this(Source.AUTO); }

    public DmaBufAllocator(Source source) { this.source = source; }

    @Override
    public String name() { return "dmabuf"; }

    /** The source AUTO resolves to here, or null when no exporter exists. */
    public static Source available() {
        if (!DmaBuf.heaps().isEmpty()) return Source.HEAP;
        if (Files.exists(UDMABUF)) return Source.UDMABUF;
        return null;
    }

    @Override
    public Allocation allocate(int count, long bufferBytes, long alignment) {
        if (source == Source.AUTO && available() == null) {
            throw new BufferAllocationException("no DMA-BUF exporter for pool memory: neither " + HEAP + " nor " + UDMABUF
                    + " exists (kernel options CONFIG_DMABUF_HEAPS_SYSTEM, CONFIG_UDMABUF); use --memory mmap or userptr, or"
                    + " expbuf to export the driver's own buffers");
        }
        DmaHeapAllocator a = switch (source) {
            case AUTO -> DmaHeapAllocator.dmaBufsOnly();
            case HEAP -> new DmaHeapAllocator(DmaBuf.HEAP_DIR, DmaHeapAllocator.DEFAULT_HEAPS, DmaHeapAllocator.Fallback.NONE);
            case UDMABUF -> new DmaHeapAllocator(DmaBuf.HEAP_DIR, List.of(), DmaHeapAllocator.Fallback.UDMABUF);
        };
        return a.allocate(count, bufferBytes, alignment);
    }
}
