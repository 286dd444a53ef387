package dev.vbuf.cli;

import dev.vbuf.bench.harness.Json;
import dev.vbuf.memory.DmaBuf;
import dev.vbuf.memory.HugePageAllocator;
import dev.vbuf.memory.LockedAllocator;
import dev.vbuf.memory.NumaNodes;
import dev.vbuf.memory.SystemMemory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code vbuf info}: what memory this machine offers, read from the kernel (docs/MEMORY.md):
 * page sizes, huge pages reserved and free, the THP mode, NUMA nodes with their free memory,
 * the memlock limit, /dev/dma_heap and /dev/udmabuf, whether pagemap shows physical addresses,
 * free memory (MemAvailable, the cgroup's headroom) and /dev/shm free space. {@code --probe}
 * also exercises the DMA-BUF, udmabuf and NUMA kinds for real.
 */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Describe the memory this machine offers to buffer pools (page sizes, huge pages, THP, NUMA,"
                + " memlock limit, DMA-BUF heaps, pagemap, free memory, /dev/shm).")
public final class InfoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    @Option(names = "--probe", description = "Also allocate, export, sync and bind small buffers of the DMA-BUF heap,"
            + " udmabuf and NUMA kinds, and report each (exit 1 when one that exists fails).")
    boolean probe;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        long page = SystemMemory.basePageSize();
        List<SystemMemory.HugePagePool> huge = SystemMemory.hugePagePools();
        String thp = HugePageAllocator.thpMode();
        List<NumaNodes.Node> nodes = NumaNodes.nodes();
        String memlock = LockedAllocator.memlockLimit();
        List<String> heaps = DmaBuf.heaps();
        boolean udmabuf = Files.exists(DmaBuf.UDMABUF);
        boolean pagemap = SystemMemory.pagemapShowsPhysical();
        long available = SystemMemory.memAvailable();
        long total = SystemMemory.memTotal();
        SystemMemory.Cgroup cg = SystemMemory.cgroup();
        long shm = SystemMemory.shmFree();
        List<MemoryProbe.Result> probes = probe ? MemoryProbe.run() : List.of();

        if (json) {
            Json j = new Json().begin().put("basePageBytes", page);
            j.begin("hugePages");
            for (var h : huge) j.begin(Long.toString(h.pageBytes())).put("reserved", h.total()).put("free", h.free()).end();
            j.end().put("thpMode", thp);
            j.begin("numaNodes");
            for (var n : nodes) j.begin(Integer.toString(n.id())).put("totalBytes", n.totalBytes()).put("freeBytes", n.freeBytes()).end();
            j.end().put("memlockLimit", memlock)
                    .put("dmaHeaps", String.join(",", heaps))
                    .put("udmabuf", udmabuf)
                    .put("pagemapPhysical", pagemap)
                    .put("memTotal", total)
                    .put("memAvailable", available)
                    .begin("cgroup").put("version", cg.version()).put("path", cg.path())
                    .put("limit", cg.limit() == SystemMemory.UNLIMITED ? -1 : cg.limit()).put("current", cg.current()).end()
                    .put("shmFree", shm);
            if (probe) {
                j.begin("probe");
                for (var p : probes) j.begin(p.name()).put("verdict", p.verdict()).put("detail", p.detail()).end();
                j.end();
            }
            out.println(j.end());
        } else {
            out.printf(Locale.ROOT, "page sizes        %s base%s%n", Units.bytes(page),
                    huge.isEmpty() ? ", no huge pages" : ", huge: " + String.join(", ",
                            huge.stream().map(h -> Units.bytes(h.pageBytes())).toList()));
            for (var h : huge) {
                out.printf(Locale.ROOT, "huge pages %-6s %d reserved, %d free (/sys/kernel/mm/hugepages)%n",
                        Units.bytes(h.pageBytes()), h.total(), h.free());
            }
            out.printf(Locale.ROOT, "THP mode          %s%n", thp);
            out.printf(Locale.ROOT, "NUMA nodes        %d:%s%n", nodes.size(), String.join("", nodes.stream().map(n ->
                    " node " + n.id() + " " + Units.bytes(n.freeBytes()) + " free of " + Units.bytes(n.totalBytes()) + ";").toList()));
            out.printf(Locale.ROOT, "memlock limit     %s%n", memlock);
            out.printf(Locale.ROOT, "DMA-BUF heaps     %s%n", heaps.isEmpty() ? "none (" + DmaBuf.HEAP_DIR
                    + " absent): dmaheap falls back to memfd, then anon" : String.join(", ", heaps) + " in " + DmaBuf.HEAP_DIR);
            out.printf(Locale.ROOT, "udmabuf           %s%n", udmabuf ? DmaBuf.UDMABUF + " present" : "absent (" + DmaBuf.UDMABUF + ")");
            out.printf(Locale.ROOT, "pagemap           %s%n", pagemap ? "shows physical addresses"
                    : "hides physical addresses (needs CAP_SYS_ADMIN): they read as 0");
            out.printf(Locale.ROOT, "memory            %s available of %s (MemAvailable)%n", Units.bytes(available), Units.bytes(total));
            out.printf(Locale.ROOT, "cgroup            %s%n", cg.version().equals("none") ? "no memory cgroup found"
                    : cg.version() + " " + cg.path() + ": " + (cg.limit() == SystemMemory.UNLIMITED ? "no limit"
                    : "limit " + Units.bytes(cg.limit())) + ", using " + Units.bytes(cg.current()));
            out.printf(Locale.ROOT, "/dev/shm          %s%n", shm < 0 ? "absent" : Units.bytes(shm) + " free");
            for (var p : probes) out.printf(Locale.ROOT, "probe %-22s %s: %s%n", p.name(), p.verdict(), p.detail());
        }
        out.flush();
        return probes.stream().anyMatch(MemoryProbe.Result::failed) ? 1 : 0;
    }
}
