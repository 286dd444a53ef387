package dev.vbuf.pool;

import java.lang.foreign.MemorySegment;

/**
 * A bounded multi-producer multi-consumer ring of 46-bit values living in a control block,
 * built so that a process killed between any two of its instructions leaves the ring usable
 * by the others: every cell is one 64-bit word, and moving a value in or out of the ring is
 * one CAS of that word. The head and tail indices are only hints that any party advances
 * ("helping") when it finds them behind.
 *
 * <h2>Cell word</h2>
 * <pre>
 *  63             47  46  45                                        0
 * +-----------------+----+-------------------------------------------+
 * |   lap (17)      |full|              value (46)                    |
 * +-----------------+----+-------------------------------------------+
 * </pre>
 * Position {@code p} lives in cell {@code p & mask} during lap {@code p / capacity}. A cell
 * is EMPTY(lap) when position {@code lap * capacity + i} may be written, FULL(lap, v) when it
 * holds v, and taking v out turns it into EMPTY(lap + 1), ready for the next lap. Zeroed
 * memory is a formatted, empty ring.
 *
 * <h2>Assumptions and guarantees</h2>
 * <ul>
 *   <li>Values are {@code 0 .. 2^46-1}; {@link #EMPTY} ({@code -1}) is returned by
 *       {@link #poll()} on an empty ring and {@link #offer(long)} returns {@code false} on a
 *       full one. Nothing allocates and nothing throws on the hot path.</li>
 *   <li>Each offered value is taken out at most once; values are taken in position order.</li>
 *   <li>Progress: lock-free. A party stopped (or killed) after its cell CAS and before it
 *       advanced the index does not block anyone: the next party to look advances it. So
 *       {@code poll} returning EMPTY means the ring was empty at that instant, and
 *       {@code offer} returning false means it was full.</li>
 *   <li>Consumers that must not lose a value if they die can {@link #peek} the head value,
 *       act on it elsewhere with a CAS that records the take, and only then
 *       {@link #remove} it: a value is never out of the ring before its taker has recorded
 *       the take.</li>
 *   <li>Laps are 17 bits: a party descheduled for 2^17 laps of the ring between reading a
 *       cell and its CAS could mistake the cell (the values carry a slot generation, which
 *       the pool checks as a second guard).</li>
 * </ul>
 * Layout: head u64 at 0, tail u64 at 128 (two cache lines apart: written by different
 * parties), cells at 256, one u64 each.
 */
final class MpmcRing {
    static final long EMPTY = -1L;
    /** {@link #peek} result: the head cell was taken but the head index not yet advanced. */
    static final long TAKEN = -2L;
    /** {@link #peek} result: the head index moved while looking; look again. */
    static final long RETRY = -3L;
    static final int VALUE_BITS = 46;
    static final long VALUE_MASK = (1L << VALUE_BITS) - 1;
    private static final long FULL = 1L << VALUE_BITS;
    private static final int LAP_SHIFT = VALUE_BITS + 1;
    private static final long LAP_MASK = (1L << (64 - LAP_SHIFT)) - 1;

    private final Words seg;
    private final long headOff;
    private final long tailOff;
    private final long cells;
    private final long mask;
    private final int shift;
    private final int capacity;
    private final long offset;
    /** Looks at a tail or head that keeps changing before a loop gives up (a hostile writer). */
    static final int RETRIES = 1 << 20;

    /** A ring in native memory (tests, and the control block of a shared pool). */
    MpmcRing(MemorySegment seg, long offset, int capacity) {
        this(Words.of(seg), offset, capacity);
        ControlBlock.verifyAlignment(seg.asSlice(offset));
    }

    MpmcRing(Words seg, long offset, int capacity) {
        if (Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("ring capacity " + capacity + " is not a power of two");
        }
        this.seg = seg;
        this.headOff = offset + ControlBlock.R_HEAD;
        this.tailOff = offset + ControlBlock.R_TAIL;
        this.cells = offset + ControlBlock.R_CELLS;
        this.mask = capacity - 1;
        this.shift = Integer.numberOfTrailingZeros(capacity);
        this.capacity = capacity;
        this.offset = offset;
    }

    /** The ring's offset in its segment (for messages). */
    long offset() { return offset; }

    private PoolCorruptedException changing(String what) {
        return new PoolCorruptedException("the ring at offset " + offset + " of a shared pool", "its " + what + " kept"
                + " changing for " + RETRIES + " looks");
    }

    /** Zeroes the ring: every cell EMPTY(lap 0), head = tail = 0. */
    static void format(MemorySegment seg, long offset, int capacity) { format(Words.of(seg), offset, capacity); }

    static void format(Words seg, long offset, int capacity) { seg.zero(offset, ControlBlock.ringBytes(capacity)); }

    int capacity() { return capacity; }

    private long lap(long pos) { return (pos >>> shift) & LAP_MASK; }
    private static long empty(long lap) { return (lap & LAP_MASK) << LAP_SHIFT; }
    private static long full(long lap, long v) { return ((lap & LAP_MASK) << LAP_SHIFT) | FULL | v; }
    private long cellOff(long pos) { return cells + ((pos & mask) << 3); }

    /** @return true if queued, false if the ring is full. */
    boolean offer(long value) {
        if ((value & ~VALUE_MASK) != 0) throw new IllegalArgumentException("ring value " + value + " is outside 0..2^46-1");
        for (int looks = 0; ; looks++) {
            if (looks >= RETRIES) throw changing("tail and cells");
            long t = seg.getVolatileLong(tailOff);
            long off = cellOff(t);
            long c = seg.getVolatileLong(off);
            long lap = lap(t);
            if (c == empty(lap)) {
                if (seg.casLong(off, c, full(lap, value))) { // SYNC POINT: the value is in
                    seg.casLong(tailOff, t, t + 1);
                    return true;
                }
            } else if ((c & ~VALUE_MASK) == (empty(lap) | FULL) || c == empty(lap + 1)) {
                seg.casLong(tailOff, t, t + 1); // written (maybe read) at t: help the tail on
            } else if ((c & ~VALUE_MASK) == (empty(lap - 1) | FULL)) {
                if (seg.getVolatileLong(tailOff) == t) return false; // one lap back still unread: full
            } else if (seg.getVolatileLong(tailOff) == t) {
                // The tail has not moved, yet the cell is none of the shapes a party writes at
                // this position: a hostile writer put it there. Reset it rather than spin for ever.
                seg.casLong(off, c, empty(lap));
            }
            // else: the tail we read is stale; read it again
        }
    }

    /**
     * {@link #offer} for a ring with one offering party (the single producer of a group ring):
     * the tail, which only this party moves, is moved with a release store. In a shared pool the
     * cell is still taken by CAS (crash recovery in another process may write cells too), tried
     * at once with the empty value the tail position expects, so that the common case costs one
     * access of the cell; a cell found already written at the tail (by recovery, or by a
     * predecessor that died before moving the tail) is stepped over. {@code sole}: no other party
     * ever writes an empty cell of this ring (a private pool: no recovery), so the cell is
     * written with a release store after one look.
     *
     * @return true if queued, false if the ring is full
     */
    boolean offerSingleWriter(long value, boolean sole) {
        if ((value & ~VALUE_MASK) != 0) throw new IllegalArgumentException("ring value " + value + " is outside 0..2^46-1");
        for (int looks = 0; ; looks++) {
            if (looks >= RETRIES) throw changing("tail and cells");
            long t = seg.getAcquireLong(tailOff);
            long off = cellOff(t);
            long lap = lap(t);
            long c;
            if (sole) {
                c = seg.getAcquireLong(off); // SYNC POINT: pairs with the reader's release of the cell
                if (c == empty(lap)) {
                    seg.setReleaseLong(off, full(lap, value)); // SYNC POINT: the value is in
                    seg.setReleaseLong(tailOff, t + 1);
                    return true;
                }
            } else {
                c = seg.caeLong(off, empty(lap), full(lap, value)); // SYNC POINT: the value is in
                if (c == empty(lap)) {
                    seg.setReleaseLong(tailOff, t + 1);
                    return true;
                }
            }
            if ((c & ~VALUE_MASK) == (empty(lap) | FULL) || c == empty(lap + 1)) {
                seg.casLong(tailOff, t, t + 1); // written at t by someone else: step over it
            } else if ((c & ~VALUE_MASK) == (empty(lap - 1) | FULL)) {
                return false; // one lap back still unread: full
            } else {
                seg.casLong(off, c, empty(lap)); // a hostile cell: reset it rather than spin
            }
        }
    }

    /** @return the oldest value, or {@link #EMPTY}. */
    long poll() {
        for (int looks = 0; ; looks++) {
            if (looks >= RETRIES) throw changing("head and cells");
            long h = head();
            long v = peek(h);
            if (v >= 0) {
                if (remove(h, v)) return v;
            } else if (v == TAKEN) {
                advance(h);
            } else if (v == EMPTY) {
                return EMPTY;
            } else {
                repairHead(h);
            }
        }
    }

    /** The head position now (values taken so far: exact when quiescent). */
    long head() { return seg.getVolatileLong(headOff); }

    /**
     * The value at position {@code h} if it is still there, else {@link #EMPTY} (nothing
     * written there yet and {@code h} is still the head), {@link #TAKEN} (taken, head not yet
     * advanced: call {@link #advance}) or {@link #RETRY}.
     */
    long peek(long h) {
        long c = seg.getVolatileLong(cellOff(h)); // SYNC POINT: pairs with offer's CAS
        long lap = lap(h);
        if ((c & ~VALUE_MASK) == (empty(lap) | FULL)) return c & VALUE_MASK;
        // Taken (EMPTY of the next lap), or taken and already written again for position
        // h + capacity (FULL of the next lap: the head was not yet advanced past h).
        if (c == empty(lap + 1) || (c & ~VALUE_MASK) == (empty(lap + 1) | FULL)) return TAKEN;
        if (c == empty(lap) && head() == h) return EMPTY;
        return RETRY;
    }

    /**
     * Takes {@code v} out of position {@code h} (one CAS) and advances the head; false if someone
     * else took it. The head moves by CAS from {@code h} even for a ring with one reader: while
     * that reader is between its cell CAS and its head update, a producer dropping the oldest
     * entries of a full ring ({@link #poll}) may move the head on by a whole lap and more, and a
     * plain store of {@code h + 1} would then move it back, where every cell looks a lap old: the
     * entries queued after it are never seen (a group that lags with nothing to take).
     */
    boolean remove(long h, long v) {
        boolean took = takeCell(h, v);
        advance(h);
        return took;
    }

    /** The first half of {@link #remove}: the CAS of the cell that takes {@code v}; the head is not moved. */
    boolean takeCell(long h, long v) {
        long lap = lap(h);
        return seg.casLong(cellOff(h), full(lap, v), empty(lap + 1));
    }

    /**
     * After {@link #peek} said RETRY: if {@code h} is still the head, the cell can only be
     * EMPTY(lap), FULL(lap, v), EMPTY(lap + 1), or FULL(lap + 1, v) (taken, head not yet
     * advanced, and already written again for position h + capacity); anything else was
     * written by a hostile (or broken) peer. Such a cell is taken out like a value and the head moved on,
     * so no party spins on it for ever. Returns true when it repaired one (count it as stale).
     */
    boolean repairHead(long h) {
        long off = cellOff(h);
        long c = seg.getVolatileLong(off);
        long lap = lap(h);
        if (c == empty(lap) || c == empty(lap + 1) || (c & ~VALUE_MASK) == (empty(lap) | FULL)
                || (c & ~VALUE_MASK) == (empty(lap + 1) | FULL) || head() != h) {
            return false;
        }
        boolean fixed = seg.casLong(off, c, empty(lap + 1));
        advance(h);
        return fixed;
    }

    /**
     * {@link #remove} for the one consuming party of a ring that nobody else ever takes from (a
     * private pool's sole consumer, with no reclaim, so the producer never pops a full ring):
     * the cell and the head by release stores. Other parties may still {@link #advance} the head
     * past a cell seen taken; they write the same value. Nobody else takes entries, so nobody
     * moves the head further while this store is pending (see {@link #remove} for why that
     * matters).
     */
    void removeSole(long h, long v) {
        long lap = lap(h);
        seg.setReleaseLong(cellOff(h), empty(lap + 1)); // SYNC POINT: pairs with the producer's acquire of the cell
        seg.setReleaseLong(headOff, h + 1);
    }

    /** True when the head cell holds nothing to take (a cell check, not the index difference of {@link #size()}). */
    boolean isEmpty() {
        for (int looks = 0; ; looks++) {
            if (looks >= RETRIES) throw changing("head and cells");
            long h = head();
            long v = peek(h);
            if (v == EMPTY) return true;
            if (v >= 0) return false;
            if (v == TAKEN) advance(h);
            else if (!repairHead(h) && head() == h) return false; // RETRY on a stable head: something is there
        }
    }

    /** Moves the head from {@code h} to {@code h + 1} if nobody has yet. */
    void advance(long h) { seg.casLong(headOff, h, h + 1); }

    /** Values taken so far (the head position): exact when quiescent, a snapshot otherwise. */
    long polled() { return head(); }

    /** Entries queued: exact when quiescent, a snapshot otherwise. */
    int size() {
        long head = head(), tail = seg.getVolatileLong(tailOff);
        for (int tries = 0; tries < 64 && head != head(); tries++) { // bounded: a head that never settles
            head = head();
            tail = seg.getVolatileLong(tailOff);
        }
        return (int) Math.max(0, Math.min(capacity, tail - head));
    }

    /**
     * Whether {@code v} is queued now (a scan of the whole ring; for crash recovery only, where
     * a false "no" only costs a duplicate entry, which the pool skips as stale).
     */
    boolean contains(long v) {
        for (long i = 0; i < capacity; i++) {
            long c = seg.getLong(cells + (i << 3));
            if ((c & FULL) != 0 && (c & VALUE_MASK) == v) return true;
        }
        return false;
    }
}
