package dev.vbuf.memory;

import dev.vbuf.pool.FramePool;
import dev.vbuf.sys.Abi;
import dev.vbuf.sys.Numa;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** This machine has one node (0); the guest check runs node 1 of two (scripts/guest-checks/memory.sh). */
class NumaAllocatorTest {
    @Test
    void buffersAreBoundToTheNodeAndThePlacementIsReadBack() {
        int node = NumaNodes.online().getFirst();
        try (FramePool pool = FramePool.builder().count(3).bufferSize(300_000)
                .allocator(new NumaAllocator(node)).jmx(false).build()) {
            assertTrue(pool.backing().contains("bound to NUMA node " + node + " (mbind)"), pool.backing());
            // 3 buffers of 300,000 bytes span 74 pages each (page-rounded); all on the node
            assertTrue(pool.backing().matches(".*pages per node \\(move_pages\\): node " + node + " (\\d+) of \\1$"), pool.backing());
            var segment = pool.getBufferById(0).orElseThrow().segment();
            long[] counts = NumaAllocator.placementOf(segment);
            long all = 0;
            for (long c : counts) all += c;
            assertEquals(all, counts[node], "every page of buffer 0 is on node " + node);
            assertEquals(node, Numa.nodeOfAddress(segment.address()), "get_mempolicy agrees with move_pages");
            for (int i = 0; i < 3; i++) {
                assertEquals("pages per node (move_pages): node " + node + " 74 of 74", pool.placement(i), "buffer " + i);
            }
        }
    }

    @Test
    void composesWithMemfdAndLockedAndReportsPerBuffer() {
        int node = NumaNodes.online().getFirst();
        Allocator a = new LockedAllocator(new NumaAllocator(new MemfdAllocator(), node));
        try (Allocation al = a.allocate(2, 100_000, 4096)) {
            assertTrue(al.backing().startsWith("memfd shared memory"), al.backing());
            assertTrue(al.backing().contains("bound to NUMA node " + node), al.backing());
            assertTrue(al.backing().endsWith("locked (mlock)"), al.backing());
            assertEquals("pages per node (move_pages): node " + node + " 25 of 25", al.placement(1));
            assertTrue(al.fd(0) >= 0, "the memfd is still exported");
        }
    }

    @Test
    void aNodeThatDoesNotExistIsRefusedListingTheNodesThatDo() {
        var e = assertThrows(IllegalArgumentException.class, () -> new NumaAllocator(7).allocate(1, 4096, 4096));
        List<Integer> nodes = NumaNodes.online();
        assertTrue(e.getMessage().startsWith("NUMA node 7 does not exist on this machine; it has node"), e.getMessage());
        assertTrue(e.getMessage().contains(NumaNodes.join(nodes)), e.getMessage());
    }

    @Test
    void theThreadsPolicyIsRestoredAfterTheAllocation() {
        int node = NumaNodes.online().getFirst();
        try (Allocation a = new NumaAllocator(node).allocate(1, 4096, 4096)) {
            assertEquals(1, a.count());
        }
        // MPOL_DEFAULT again: get_mempolicy(mode) of the thread with no flags
        assertEquals(Abi.MPOL_DEFAULT, Numa.threadPolicy());
    }

    @Test
    void nodeListsParse() {
        assertEquals(List.of(0), NumaNodes.parseList("0"));
        assertEquals(List.of(0, 1, 2, 5), NumaNodes.parseList("0-2,5"));
        assertEquals(List.of(), NumaNodes.parseList(""));
    }
}
