package dev.vbuf.memory;

import dev.vbuf.pool.FramePool;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ZonesTest {
    static final long MIB2 = 2L << 20;

    @Test
    void poolsDrawFromNamedZonesAndGiveTheBlocksBack() {
        Map<String, Long> sizes = new LinkedHashMap<>();
        sizes.put("capture", 4 * MIB2);
        sizes.put("encode", 4 * MIB2);
        try (Zones z = new Zones(sizes, new AlignedAllocator())) {
            try (FramePool p = FramePool.builder().count(3).bufferSize(3_000_000).allocator(z.zone("capture")).jmx(false).build()) {
                fail("3 runs of 4 MiB (3 MB rounded to 2 blocks) cannot fit the zone's 8 MiB: " + p);
            } catch (BufferAllocationException e) {
                assertTrue(e.getMessage().startsWith("zone 'capture' cannot give buffer 2 of 3 (3000000 bytes, a run of 4194304 bytes): full:"),
                        e.getMessage());
            }
            assertEquals(4 * MIB2, z.zone("capture").stats().freeBytes(), "all-or-nothing: the two runs taken were given back");
            try (FramePool p = FramePool.builder().count(2).bufferSize(3_000_000).allocator(z.zone("capture")).jmx(false).build();
                 FramePool q = FramePool.builder().count(4).bufferSize(MIB2).allocator(z.zone("encode")).jmx(false).build()) {
                assertEquals(0, z.zone("capture").stats().freeBytes());
                assertEquals(0, z.zone("encode").stats().freeBytes());
                assertTrue(p.backing().startsWith("zone:capture: zone 'capture' (buddy allocator, 2 MiB blocks, 2 runs of 4194304 bytes)"),
                        p.backing());
                long a0 = p.getBufferById(0).orElseThrow().segment().address();
                long b0 = q.getBufferById(0).orElseThrow().segment().address();
                assertTrue(Math.abs(a0 - b0) >= MIB2, "zones do not share blocks");
            }
            assertEquals(4 * MIB2, z.zone("capture").stats().freeBytes());
            assertEquals(4 * MIB2, z.zone("capture").stats().largestFreeBytes(), "freed runs coalesce");
        }
    }

    @Test
    void fragmentationIsMeasuredAndAFailureForItCounted() {
        try (Zones z = new Zones(Map.of("z", 4 * MIB2), new AlignedAllocator())) {
            Zones.Zone zone = z.zone("z");
            Allocation[] one = new Allocation[4];
            for (int i = 0; i < 4; i++) one[i] = zone.allocate(1, MIB2, 4096);
            one[0].close();
            one[2].close(); // free: blocks 0 and 2, not buddies
            Zones.ZoneStats s = zone.stats();
            assertEquals(2 * MIB2, s.freeBytes());
            assertEquals(MIB2, s.largestFreeBytes());
            assertEquals(0.5, s.fragmentation(), 1e-9);
            var e = assertThrows(BufferAllocationException.class, () -> zone.allocate(1, 2 * MIB2, 4096));
            assertTrue(e.getMessage().contains(": fragmented: zone 'z': 4194304 of 8388608 bytes free, largest free block 2097152,"
                    + " fragmentation 0.50, failed for fragmentation 1"), e.getMessage());
            assertEquals(1, zone.stats().failedForFragmentation());
            one[1].close();
            one[3].close();
            assertEquals(0.0, zone.stats().fragmentation());
        }
    }

    @Test
    void anUnknownZoneListsTheZones() {
        try (Zones z = new Zones(Map.of("capture", MIB2), new AlignedAllocator())) {
            var e = assertThrows(IllegalArgumentException.class, () -> z.zone("display"));
            assertEquals("no zone 'display'; the zones are [capture]", e.getMessage());
        }
    }

    @Test
    void theRegionIsHugePageBackedByDefault() {
        try (Zones z = new Zones(Map.of("z", 2 * MIB2))) {
            assertTrue(z.backing().contains("huge pages") || z.backing().contains("normal 4 KiB pages"), z.backing());
        }
    }
}
