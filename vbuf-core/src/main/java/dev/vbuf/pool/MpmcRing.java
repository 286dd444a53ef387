package dev.vbuf.pool;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

/**
 * A bounded multi-producer multi-consumer ring of non-negative {@code long}s living in a
 * control block (Dmitry Vyukov's bounded MPMC queue): each cell carries a sequence that says
 * whether it is ready to be written (sequence == position) or read (sequence == position + 1).
 *
 * <h2>Assumptions and guarantees</h2>
 * <ul>
 *   <li>Values are {@code >= 0}; {@link #EMPTY} ({@code -1}) is returned by {@link #poll()} on
 *       an empty ring and {@link #offer(long)} returns {@code false} on a full one. Nothing
 *       allocates and nothing throws on the hot path.</li>
 *   <li>Linearizable: each offered value is polled at most once, values offered by one thread
 *       are polled in the order offered.</li>
 *   <li>Progress: lock-free between competing threads of one side, but a thread stopped
 *       between claiming a cell (CAS of head/tail) and publishing it (release store of the
 *       cell's sequence) blocks the ring at that cell until it resumes. So {@link #offer}
 *       can return false although fewer than capacity values are queued (a consumer one lap
 *       back still owns the cell), and {@link #poll} can return EMPTY although later cells
 *       are filled; callers that must tell "full" from "busy" compare {@link #size()} with
 *       the capacity. In a shared pool the rings are hints, rebuilt from the slot words
 *       when a peer dies.</li>
 * </ul>
 * Layout: head u64 at 0, tail u64 at 128 (two cache lines apart: written by different
 * parties), cells at 256, each {@code {sequence u64, value u64}}.
 */
final class MpmcRing {
    static final long EMPTY = -1L;
    private static final VarHandle LONG = ControlBlock.LONG;

    private final MemorySegment seg;
    private final long headOff;
    private final long tailOff;
    private final long cells;
    private final long mask;
    private final int capacity;

    MpmcRing(MemorySegment seg, long offset, int capacity) {
        if (Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("ring capacity " + capacity + " is not a power of two");
        }
        ControlBlock.verifyAlignment(seg.asSlice(offset));
        this.seg = seg;
        this.headOff = offset + ControlBlock.R_HEAD;
        this.tailOff = offset + ControlBlock.R_TAIL;
        this.cells = offset + ControlBlock.R_CELLS;
        this.mask = capacity - 1;
        this.capacity = capacity;
    }

    static void format(MemorySegment seg, long offset, int capacity) {
        long cells = offset + ControlBlock.R_CELLS;
        for (int i = 0; i < capacity; i++) {
            seg.set(java.lang.foreign.ValueLayout.JAVA_LONG, cells + (long) i * ControlBlock.CELL_BYTES, i);
        }
        seg.set(java.lang.foreign.ValueLayout.JAVA_LONG, offset + ControlBlock.R_HEAD, 0L);
        seg.set(java.lang.foreign.ValueLayout.JAVA_LONG, offset + ControlBlock.R_TAIL, 0L);
    }

    int capacity() { return capacity; }

    /** @return true if queued, false if the ring is full. */
    boolean offer(long value) {
        long pos = (long) LONG.getVolatile(seg, tailOff);
        for (;;) {
            long cell = cells + (pos & mask) * ControlBlock.CELL_BYTES;
            long seq = (long) LONG.getAcquire(seg, cell);
            long dif = seq - pos;
            if (dif == 0) {
                long witness = (long) LONG.compareAndExchange(seg, tailOff, pos, pos + 1);
                if (witness == pos) {
                    LONG.set(seg, cell + 8, value);
                    LONG.setRelease(seg, cell, pos + 1); // SYNC POINT: publishes value to poll()
                    return true;
                }
                pos = witness;
            } else if (dif < 0) {
                return false;
            } else {
                pos = (long) LONG.getVolatile(seg, tailOff);
            }
        }
    }

    /** @return the oldest value, or {@link #EMPTY}. */
    long poll() {
        long pos = (long) LONG.getVolatile(seg, headOff);
        for (;;) {
            long cell = cells + (pos & mask) * ControlBlock.CELL_BYTES;
            long seq = (long) LONG.getAcquire(seg, cell); // SYNC POINT: pairs with offer's release
            long dif = seq - (pos + 1);
            if (dif == 0) {
                long witness = (long) LONG.compareAndExchange(seg, headOff, pos, pos + 1);
                if (witness == pos) {
                    long value = (long) LONG.get(seg, cell + 8);
                    LONG.setRelease(seg, cell, pos + mask + 1); // hands the cell back to offer()
                    return value;
                }
                pos = witness;
            } else if (dif < 0) {
                return EMPTY;
            } else {
                pos = (long) LONG.getVolatile(seg, headOff);
            }
        }
    }

    /** Values polled so far (the head position): exact when quiescent, a snapshot otherwise. */
    long polled() {
        return (long) LONG.getVolatile(seg, headOff);
    }

    /** Entries queued: exact when quiescent, a snapshot otherwise. */
    int size() {
        for (;;) {
            long head = (long) LONG.getVolatile(seg, headOff);
            long tail = (long) LONG.getVolatile(seg, tailOff);
            if (head == (long) LONG.getVolatile(seg, headOff)) {
                return (int) Math.max(0, Math.min(capacity, tail - head));
            }
        }
    }
}
