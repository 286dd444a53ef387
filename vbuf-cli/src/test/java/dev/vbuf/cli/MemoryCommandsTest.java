package dev.vbuf.cli;

import dev.vbuf.memory.DmaBuf;
import dev.vbuf.memory.HugePageAllocator;
import dev.vbuf.memory.NumaNodes;
import dev.vbuf.memory.SystemMemory;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;

import static org.junit.jupiter.api.Assertions.*;

/** {@code vbuf info} and {@code vbuf run --memory ...} (MemorySpec) on this machine. */
class MemoryCommandsTest {
    @Test
    void infoDescribesThisMachineFromTheKernelsFiles() {
        Cli r = Cli.run("info");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("THP mode          " + HugePageAllocator.thpMode()), r::toString);
        assertTrue(r.out().contains("NUMA nodes        " + NumaNodes.online().size() + ":"), r::toString);
        assertTrue(r.out().contains("memlock limit     "), r::toString);
        assertTrue(r.out().contains(Files.exists(DmaBuf.HEAP_DIR) ? " in /dev/dma_heap" : "none (/dev/dma_heap absent)"), r::toString);
        assertTrue(r.out().contains(SystemMemory.pagemapShowsPhysical() ? "shows physical addresses" : "hides physical"), r::toString);
        for (var h : SystemMemory.hugePagePools()) {
            assertTrue(r.out().contains(h.total() + " reserved, " + h.free() + " free"), r::toString);
        }
    }

    @Test
    void infoJsonHasEveryFact() {
        Cli r = Cli.run("info", "--json");
        assertEquals(0, r.exit(), r::toString);
        String j = r.out().strip();
        assertTrue(j.startsWith("{") && j.endsWith("}") && j.lines().count() == 1, r::toString);
        for (String key : new String[] {"basePageBytes", "memTotal", "memAvailable", "shmFree"}) assertTrue(r.number(key) > 0, key);
        for (String key : new String[] {"\"hugePages\":{", "\"thpMode\":", "\"numaNodes\":{\"0\":{", "\"memlockLimit\":",
                "\"dmaHeaps\":", "\"udmabuf\":", "\"pagemapPhysical\":", "\"cgroup\":{"}) {
            assertTrue(j.contains(key), key + " in " + j);
        }
    }

    @Test
    void probeReportsEveryKindAndFailsNone() {
        Cli r = Cli.run("info", "--probe");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("probe dma-heap fallback chain ok: path taken: "), r::toString);
        for (int node : NumaNodes.online()) {
            assertTrue(r.out().contains("probe numa node " + node + "            ok:"), r::toString);
        }
    }

    @Test
    void aNodeThatDoesNotExistFailsListingTheNodes() {
        Cli r = Cli.run("run", "--memory", "numa:7", "--frames", "10", "--size", "320x240");
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.err().contains("NUMA node 7 does not exist on this machine; it has node"), r::toString);
        assertTrue(r.err().contains(NumaNodes.online().getFirst().toString()), r::toString);
    }

    @Test
    void kindsCombineAndTheBackingObtainedIsReported() {
        Cli r = Cli.run("run", "--memory", "hugepages,locked,numa:0", "--frames", "30", "--size", "320x240", "--fps", "0", "--json");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("\"backing\":\"hugepages+numa:0+locked: "), r::toString);
        assertTrue(r.out().matches("(?s).*(explicit 2 MiB huge pages|transparent huge pages: |normal 4 KiB pages).*"), r::toString);
        assertTrue(r.out().contains("bound to NUMA node 0 (mbind): pages per node (move_pages): node 0 "), r::toString);
        assertTrue(r.out().contains(", locked (mlock)\""), r::toString);

        Cli z = Cli.run("run", "--memory", "zone:capture", "--frames", "30", "--size", "320x240", "--fps", "0", "--json");
        assertEquals(0, z.exit(), z::toString);
        assertTrue(z.out().contains("\"backing\":\"zone:capture: zone 'capture' (buddy allocator, 2 MiB blocks"), z::toString);

        Cli d = Cli.run("run", "--memory", "dmaheap", "--frames", "30", "--size", "320x240", "--fps", "0", "--json");
        assertEquals(0, d.exit(), d::toString);
        assertTrue(d.out().contains(Files.exists(DmaBuf.HEAP_DIR) ? "\"backing\":\"dmaheap: dma-heap "
                : "\"backing\":\"dmaheap: memfd shared memory (fallback: no DMA-BUF heap gave the memory"), d::toString);
    }

    @Test
    void memorySpecParsesAndRefusesClearly() {
        assertEquals(new MemorySpec("hugepages", null, 0, true), MemorySpec.parse("hugepages,locked,numa:0"));
        assertEquals(new MemorySpec("anon", null, -1, true), MemorySpec.parse("locked"));
        assertEquals(new MemorySpec("zone", "capture", -1, false), MemorySpec.parse("zone:capture"));
        assertEquals(new MemorySpec("anon", null, -1, false), MemorySpec.parse("aligned"));
        var e = assertThrows(IllegalArgumentException.class, () -> MemorySpec.parse("memfd,hugepages"));
        assertTrue(e.getMessage().startsWith("--memory memfd,hugepages names two kinds of memory (memfd, hugepages)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> MemorySpec.parse("gpu"));
        assertTrue(e.getMessage().startsWith("--memory gpu: 'gpu' is not a kind of memory; give anon"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> MemorySpec.parse("numa:x"));
        assertTrue(e.getMessage().contains("needs a node number"), e.getMessage());
    }
}
