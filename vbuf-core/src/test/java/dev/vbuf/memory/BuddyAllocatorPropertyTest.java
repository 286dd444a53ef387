package dev.vbuf.memory;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The buddy allocator under random sequences of allocations and frees: runs never overlap and
 * stay inside the range, each is aligned to its own size, the byte accounting adds up, and
 * once everything is freed the free runs have coalesced back to the range's initial pieces.
 */
class BuddyAllocatorPropertyTest {
    static final long BLOCK = 2L << 20;

    /** One step: allocate {@code blocks} blocks (free == false) or free the live run at index {@code pick}. */
    record Op(boolean free, int blocks, int pick) {}

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Op> op = Combinators.combine(Arbitraries.integers().between(0, 99), Arbitraries.integers().between(1, 9),
                Arbitraries.integers().between(0, 1000)).as((kind, blocks, pick) -> new Op(kind < 40, blocks, pick));
        return op.list().ofMinSize(1).ofMaxSize(200);
    }

    @Property(tries = 300)
    void runsNeverOverlapAndEverythingCoalescesBack(@ForAll @IntRange(min = 1, max = 64) int blocks,
                                                   @ForAll("ops") List<Op> ops) {
        BuddyAllocator b = new BuddyAllocator(blocks, BLOCK);
        Map<Long, Integer> initial = b.freeRuns();
        List<Long> live = new ArrayList<>();
        for (Op op : ops) {
            if (op.free() && !live.isEmpty()) {
                b.free(live.remove(op.pick() % live.size()));
            } else if (!op.free()) {
                long free = b.freeBytes();
                long largest = b.largestFreeBytes();
                long failedFrag = b.failedForFragmentation();
                long off = b.allocate(op.blocks() * BLOCK);
                long need = b.roundedBytes(op.blocks() * BLOCK);
                if (off >= 0) {
                    live.add(off);
                    assertTrue(need <= largest, "got a run larger than the largest free block");
                } else {
                    assertTrue(need > largest, "refused although a free block of " + largest + " fits " + need);
                    assertEquals(need <= free ? failedFrag + 1 : failedFrag, b.failedForFragmentation(),
                            "a refusal with enough free bytes counts as fragmentation, else as space");
                }
            }
            checkInvariants(b, blocks);
        }
        for (long off : live) b.free(off);
        assertEquals(b.totalBytes(), b.freeBytes());
        assertEquals(initial, b.freeRuns(), "after every free the runs coalesce back to the initial pieces");
        assertEquals(0.0, blocks == Long.highestOneBit(blocks) ? b.fragmentation() : 0.0);
    }

    private static void checkInvariants(BuddyAllocator b, int blocks) {
        TreeMap<Long, Long> runs = new TreeMap<>(b.allocatedRuns());
        long end = 0, used = 0;
        for (var r : runs.entrySet()) {
            assertTrue(r.getKey() >= end, "run at " + r.getKey() + " overlaps the previous one ending at " + end);
            assertEquals(0, r.getKey() % r.getValue(), "a run is aligned to its own size");
            end = r.getKey() + r.getValue();
            used += r.getValue();
        }
        assertTrue(end <= blocks * BLOCK, "a run ends past the range");
        assertEquals(blocks * BLOCK, used + b.freeBytes(), "allocated + free = total");
        long freeFromRuns = 0;
        for (var e : b.freeRuns().entrySet()) freeFromRuns += e.getKey() * e.getValue();
        assertEquals(b.freeBytes(), freeFromRuns, "the free lists hold the free bytes");
        assertTrue(b.fragmentation() >= 0 && b.fragmentation() < 1);
    }

    @Property
    void aFreshPowerOfTwoRangeIsOneBlock(@ForAll @IntRange(min = 0, max = 10) int order) {
        BuddyAllocator b = new BuddyAllocator(1L << order, BLOCK);
        assertEquals(Map.of((1L << order) * BLOCK, 1), b.freeRuns());
        assertEquals(0.0, b.fragmentation());
        assertEquals(b.totalBytes(), b.largestFreeBytes());
    }
}
