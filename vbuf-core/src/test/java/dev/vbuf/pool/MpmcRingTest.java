package dev.vbuf.pool;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Interleavings of the ring's parties built by hand, step by step, where a stress test meets
 * them only by chance.
 */
class MpmcRingTest {
    static final int CAP = 4;

    final MemorySegment seg = Arena.ofAuto().allocate(ControlBlock.ringBytes(CAP), ControlBlock.ALIGN);
    final MpmcRing ring;

    MpmcRingTest() {
        MpmcRing.format(seg, 0, CAP);
        ring = new MpmcRing(seg, 0, CAP);
    }

    /**
     * A group's one consumer takes its head cell (the CAS that records the take) and is
     * descheduled before it moves the head. Meanwhile the producer, finding the ring full, drops
     * the oldest entries (poll) and queues new ones, more than a lap of them. When the consumer
     * runs again it moves the head after its take: the head must not go back to where the
     * consumer left it, or every entry queued since sits where nobody looks (the group lags, and
     * nothing is ever there to take). A stress run of a private single-writer pool with a
     * dropping policy hung this way under load.
     */
    @Test
    void aHeadMovedOnByAPopperIsNotMovedBack() {
        for (int i = 0; i < CAP; i++) assertTrue(ring.offerSingleWriter(i, true));
        long h = ring.head();
        assertEquals(0, ring.peek(h));
        assertTrue(ring.takeCell(h, 0)); // the consumer's cell CAS; its head update is still to come
        long next = 100;
        for (int round = 0; round < 3 * CAP; round++) { // the producer: full ring, drop oldest, queue
            while (!ring.offerSingleWriter(next, true)) ring.poll();
            next++;
        }
        long headBefore = ring.head();
        assertTrue(headBefore > h + CAP, "the producer moved the head on by more than a lap");
        // the consumer runs again: the head update that follows its take (the rest of remove)
        ring.advance(h);
        assertEquals(headBefore, ring.head(), "the head stays where the producer moved it");
        long expect = next - CAP;
        for (long v; (v = ring.poll()) != MpmcRing.EMPTY; expect++) assertEquals(expect, v, "entries in order, none lost");
        assertEquals(next, expect, "every entry queued while the consumer was away is still there");
        assertTrue(ring.offerSingleWriter(7, true));
        assertEquals(7, ring.poll());
    }
}
