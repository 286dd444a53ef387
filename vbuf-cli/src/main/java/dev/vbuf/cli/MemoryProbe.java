package dev.vbuf.cli;

import dev.vbuf.memory.Allocation;
import dev.vbuf.memory.Allocator;
import dev.vbuf.memory.DmaBuf;
import dev.vbuf.memory.DmaHeapAllocator;
import dev.vbuf.memory.MemfdAllocator;
import dev.vbuf.memory.NumaAllocator;
import dev.vbuf.memory.NumaNodes;
import dev.vbuf.sys.Abi;
import dev.vbuf.sys.Mman;
import dev.vbuf.sys.Numa;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code vbuf info --probe}: exercises the exportable and placed kinds of memory for real with
 * two small buffers each and says what happened: DMA-BUF heap allocation, mmap, export (the
 * descriptor mapped a second time shows the same bytes, and /proc/self/fd names it a dmabuf)
 * and DMA_BUF_IOCTL_SYNC; memfd exported through udmabuf (same checks); binding to every NUMA
 * node, read back with move_pages and get_mempolicy. A kind the machine lacks is reported as
 * "absent" with the reason, and its fallback is shown.
 */
final class MemoryProbe {
    /** One probe's outcome: "ok", "absent" or "FAILED", and what was seen. */
    record Result(String name, String verdict, String detail) {
        boolean failed() { return verdict.equals("FAILED"); }
    }

    static final long BYTES = 64 * 1024;

    private MemoryProbe() {}

    static List<Result> run() {
        List<Result> out = new ArrayList<>();
        for (String heap : DmaHeapAllocator.DEFAULT_HEAPS) {
            Path dev = DmaBuf.HEAP_DIR.resolve(heap);
            if (!Files.exists(dev)) {
                out.add(new Result("dma-heap " + heap, "absent", dev + " does not exist"));
                continue;
            }
            out.add(exportProbe("dma-heap " + heap, new DmaHeapAllocator(DmaBuf.HEAP_DIR, List.of(heap), false)));
        }
        DmaHeapAllocator chain = new DmaHeapAllocator();
        try (Allocation a = chain.allocate(2, BYTES, 4096)) {
            out.add(new Result("dma-heap fallback chain", "ok", "path taken: " + chain.lastPath() + " -> " + a.backing()));
        } catch (RuntimeException e) {
            out.add(new Result("dma-heap fallback chain", "FAILED", e.getMessage()));
        }
        if (!Files.exists(DmaBuf.UDMABUF)) {
            out.add(new Result("memfd -> udmabuf", "absent", DmaBuf.UDMABUF + " does not exist"));
        } else {
            out.add(exportProbe("memfd -> udmabuf", new MemfdAllocator(true)));
        }
        for (int node : NumaNodes.online()) out.add(numaProbe(node));
        return out;
    }

    /** Allocate, write through the mapping inside a sync bracket, map the exported fd again, compare. */
    private static Result exportProbe(String name, Allocator allocator) {
        try (Allocation a = allocator.allocate(2, BYTES, 4096)) {
            StringBuilder d = new StringBuilder(a.backing());
            for (int i = 0; i < 2; i++) {
                MemorySegment b = a.buffer(i);
                int fd = a.fd(i);
                if (fd < 0) return new Result(name, "FAILED", "buffer " + i + " has no exported descriptor");
                String link = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
                if (!link.contains("dmabuf")) return new Result(name, "FAILED", "fd " + fd + " is " + link + ", not a dmabuf");
                a.syncCpu(i, Allocation.CPU_WRITE, true);
                for (long off = 0; off < BYTES; off += 8) b.set(ValueLayout.JAVA_LONG_UNALIGNED, off, off * 31 + i);
                a.syncCpu(i, Allocation.CPU_WRITE, false);
                MemorySegment again = Mman.mmap(BYTES, Abi.PROT_READ | Abi.PROT_WRITE, Abi.MAP_SHARED, fd, 0);
                try {
                    a.syncCpu(i, Allocation.CPU_READ, true);
                    long mismatch = again.mismatch(b);
                    a.syncCpu(i, Allocation.CPU_READ, false);
                    if (mismatch != -1) {
                        return new Result(name, "FAILED", "the exported fd " + fd + " mapped again differs at byte " + mismatch);
                    }
                } finally {
                    Mman.munmap(again);
                }
                if (i == 0) d.append("; fd ").append(fd).append(" -> ").append(link);
            }
            return new Result(name, "ok", d + "; 2 buffers written in a DMA_BUF_IOCTL_SYNC bracket, the exported fd"
                    + " mapped again shows the same " + BYTES + " bytes");
        } catch (RuntimeException | IOException e) {
            return new Result(name, "FAILED", e.getMessage());
        }
    }

    private static Result numaProbe(int node) {
        String name = "numa node " + node;
        try (Allocation a = new NumaAllocator(node).allocate(2, 16 * BYTES, 4096)) {
            long[] counts = NumaAllocator.placementOf(a.buffer(0));
            long all = 0;
            for (long c : counts) all += c;
            int viaPolicy = Numa.nodeOfAddress(a.buffer(0).address());
            boolean ok = counts[node] == all && viaPolicy == node;
            return new Result(name, ok ? "ok" : "FAILED", a.placement(0) + " (buffer 0); get_mempolicy(MPOL_F_NODE|MPOL_F_ADDR)"
                    + " of its first page: node " + viaPolicy + "; " + a.backing());
        } catch (RuntimeException e) {
            return new Result(name, "FAILED", e.getMessage());
        }
    }
}
