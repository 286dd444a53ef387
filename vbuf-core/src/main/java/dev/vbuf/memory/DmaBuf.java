package dev.vbuf.memory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Where DMA-BUFs come from on this machine: the DMA-BUF heaps under /dev/dma_heap and the
 * udmabuf device. The ioctls themselves (DMA_HEAP_IOCTL_ALLOC, DMA_BUF_IOCTL_SYNC,
 * UDMABUF_CREATE) are in the native layer ({@code dev.vbuf.sys.DmaBufIo}); the allocator that
 * uses them is {@link DmaHeapAllocator}.
 */
public final class DmaBuf {
    public static final Path HEAP_DIR = Path.of("/dev/dma_heap");
    public static final Path UDMABUF = Path.of("/dev/udmabuf");

    private DmaBuf() {}

    /** The heaps under /dev/dma_heap, by name ("system", "linux,cma" ...), or an empty list. */
    public static List<String> heaps() {
        if (!Files.isDirectory(HEAP_DIR)) return List.of();
        try (var s = Files.list(HEAP_DIR)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }
}
