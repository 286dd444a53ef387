package dev.vbuf.pool;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ring's promise to shared pools: a party killed between its cell CAS and its index
 * update leaves a ring the others go on using. Each test builds that exact state by hand
 * (the cell written, the index not advanced) and checks that offers and polls proceed.
 */
class MpmcRingCrashTest {
    static final int CAP = 4;

    final MemorySegment seg = Arena.ofAuto().allocate(ControlBlock.ringBytes(CAP), ControlBlock.ALIGN);
    final MpmcRing ring;

    MpmcRingCrashTest() {
        MpmcRing.format(seg, 0, CAP);
        ring = new MpmcRing(seg, 0, CAP);
    }

    long cell(int i) { return seg.get(ValueLayout.JAVA_LONG, ControlBlock.R_CELLS + 8L * i); }
    void cell(int i, long v) { seg.set(ValueLayout.JAVA_LONG, ControlBlock.R_CELLS + 8L * i, v); }
    long tail() { return seg.get(ValueLayout.JAVA_LONG, ControlBlock.R_TAIL); }

    @Test
    void producerKilledAfterItsCellCasBeforeTheTailMoves() {
        assertTrue(ring.offer(1));
        // Simulate: a second producer wrote cell 1 and died before advancing the tail.
        long before = tail();
        ring.offer(2);
        seg.set(ValueLayout.JAVA_LONG, ControlBlock.R_TAIL, before); // undo the tail step only
        assertEquals(1, tail());
        assertTrue(ring.offer(3), "the next producer helps the tail past the dead one's cell");
        assertEquals(1, ring.poll());
        assertEquals(2, ring.poll(), "the dead producer's value is not lost");
        assertEquals(3, ring.poll());
        assertEquals(MpmcRing.EMPTY, ring.poll());
    }

    @Test
    void consumerKilledAfterItsCellCasBeforeTheHeadMoves() {
        ring.offer(1);
        ring.offer(2);
        long h = ring.head();
        assertEquals(1, ring.peek(h));
        // Simulate: the consumer took cell 0 and died before advancing the head.
        long c = cell(0);
        cell(0, (c & ~((1L << 47) - 1)) + (1L << 47)); // EMPTY(lap + 1)
        assertEquals(0, ring.head());
        assertEquals(MpmcRing.TAKEN, ring.peek(0));
        assertEquals(2, ring.poll(), "the next consumer helps the head on");
        assertEquals(MpmcRing.EMPTY, ring.poll());
        for (int i = 0; i < 3 * CAP; i++) { // and the ring keeps working across laps
            assertTrue(ring.offer(100 + i));
            assertEquals(100 + i, ring.poll());
        }
    }

    @Test
    void peekedButNotRemovedStaysQueued() {
        ring.offer(7);
        long h = ring.head();
        assertEquals(7, ring.peek(h)); // a consumer died right after peeking
        assertEquals(7, ring.poll());
    }

    @Test
    void fullAndEmptyAreExact() {
        for (int i = 0; i < CAP; i++) assertTrue(ring.offer(i));
        assertFalse(ring.offer(99));
        assertEquals(CAP, ring.size());
        for (int i = 0; i < CAP; i++) assertEquals(i, ring.poll());
        assertEquals(MpmcRing.EMPTY, ring.poll());
        assertEquals(0, ring.size());
        assertTrue(ring.contains(0) == false);
    }

    @Test
    void aHostileCellIsRepairedNotSpunOn() {
        ring.offer(1);
        ring.offer(2);
        cell(0, 0x7FFF_0000_0000_1234L); // garbage: no party writes this shape at position 0
        assertEquals(MpmcRing.RETRY, ring.peek(0));
        assertEquals(2, ring.poll(), "poll repairs the cell and moves on");
        cell(2, 5L << 47); // garbage where the next offer goes: EMPTY of lap 5
        assertTrue(ring.offer(3), "offer repairs the cell instead of spinning");
        assertEquals(3, ring.poll());
        assertEquals(MpmcRing.EMPTY, ring.poll());
    }

    @Test
    void aCellTakenAndWrittenAgainBeforeTheHeadMovesIsNotMistakenForGarbage() {
        assertTrue(ring.offer(1));
        // A consumer took position 0 and has not advanced the head yet (slow, or dead).
        cell(0, 1L << 47); // EMPTY(lap 1)
        for (int v = 2; v <= 5; v++) assertTrue(ring.offer(v), "offer " + v); // position 4 reuses cell 0
        assertEquals(0, ring.head());
        assertEquals(MpmcRing.TAKEN, ring.peek(0), "FULL of the next lap at the head: taken, not corrupt");
        assertFalse(ring.repairHead(0));
        for (int v = 2; v <= 5; v++) assertEquals(v, ring.poll(), "nothing lost");
        assertEquals(MpmcRing.EMPTY, ring.poll());
    }
}
