package dev.vbuf.pool;

import java.lang.foreign.MemorySegment;

/**
 * A place in a pool where parties wait: for a free buffer (producers), or for the next frame of
 * one consumer group. It names the queue the waiters poll and, in the control block, the 32-bit
 * futex word they may sleep on, the count of sleepers and the deadline of the longest sleep
 * (so a {@link WaitStrategy} that sleeps can register, and one that signals can tell in one read
 * whether anyone sleeps). Instances belong to a pool and are handed to its wait strategy; they
 * cannot be made outside the pool.
 */
public final class WaitPoint {
    final ControlBlock cb;
    final MpmcRing ring;
    final HandOff handOff;
    /** Offsets in the control block: the futex word, the sleeper count, the sleep deadline. */
    final long futexOffset;
    final long waitersOffset;
    final long deadlineOffset;
    /** The futex word itself (a 4-byte slice), for the system calls; null in heap words (no futex waits there). */
    final MemorySegment word;
    /** Offsets of the counters of waits that began and that timed out. */
    final long waitsOffset;
    final long timeoutsOffset;

    WaitPoint(ControlBlock cb, MpmcRing ring, HandOff handOff, long futexOffset, long waitersOffset,
              long deadlineOffset, long waitsOffset, long timeoutsOffset) {
        this.cb = cb;
        this.ring = ring;
        this.handOff = handOff;
        this.futexOffset = futexOffset;
        this.waitersOffset = waitersOffset;
        this.deadlineOffset = deadlineOffset;
        this.word = cb.segment() == null ? null : cb.segment().asSlice(futexOffset, 4);
        this.waitsOffset = waitsOffset;
        this.timeoutsOffset = timeoutsOffset;
    }

    /** True when a waiter should not (go to) sleep: something is queued, or the pool is closing. */
    boolean ready() {
        return handOff.hasWork(this) || handOff.stopping();
    }
}
