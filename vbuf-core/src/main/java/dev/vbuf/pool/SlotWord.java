package dev.vbuf.pool;

/**
 * Packing of the 64-bit slot word, the single source of truth of a slot's state.
 * <pre>
 *  63                               34 33          18 17           2 1   0
 * +-----------------------------------+--------------+--------------+-----+
 * |          generation (30)          |  held (16)   | pending (16) |phase|
 * +-----------------------------------+--------------+--------------+-----+
 * </pre>
 * <ul>
 *   <li>phase: {@link #FREE}, {@link #PRODUCER}, {@link #PUBLISHED}, {@link #RETIRED}.</li>
 *   <li>pending: one bit per consumer group that has not yet released (or dropped) the frame;
 *       its population count is the frame's reference count. In phase PRODUCER the same 16
 *       bits hold the owner instead: the process-table index of the producer's process in a
 *       shared pool (0 in a private pool), so that taking a slot and recording who took it
 *       are one CAS.</li>
 *   <li>held: one bit per consumer group of which a consumer holds the frame right now;
 *       always a subset of pending.</li>
 *   <li>generation: incremented each time the slot returns to FREE, so that a ring entry or a
 *       handle from an earlier use of the slot can never act on the current one.</li>
 * </ul>
 * The producer's reference (a decoder keeping a published picture as a reference picture,
 * {@link FramePool#submitKeepingReference}) is one more holder: the pending and held bit
 * {@link #REFERENCE_BIT} (bit 15, the group index no group has in a pool of at most 15 groups;
 * a pool of 16 groups has no producer references). A slot whose groups all released it but
 * whose reference is kept shows pending = held = {@link #REFERENCE_BIT}.
 * Every transition of a slot is one CAS of this word.
 */
final class SlotWord {
    static final int FREE = 0;
    static final int PRODUCER = 1;
    static final int PUBLISHED = 2;
    static final int RETIRED = 3;

    static final int MAX_GROUPS = 16;
    /** The group index of the producer's reference (its pending/held bit and its holder field). */
    static final int REFERENCE_GROUP = MAX_GROUPS - 1;
    /** The producer's reference as a pending/held bit. */
    static final int REFERENCE_BIT = 1 << REFERENCE_GROUP;
    static final int GEN_BITS = 30;
    static final long GEN_MASK = (1L << GEN_BITS) - 1;
    private static final int PENDING_SHIFT = 2;
    private static final int HELD_SHIFT = 18;
    private static final int GEN_SHIFT = 34;
    private static final long GROUP_MASK = 0xFFFFL;

    private SlotWord() {}

    static int phase(long w) { return (int) (w & 3); }
    static int pending(long w) { return (int) ((w >>> PENDING_SHIFT) & GROUP_MASK); }
    static int held(long w) { return (int) ((w >>> HELD_SHIFT) & GROUP_MASK); }
    static long gen(long w) { return w >>> GEN_SHIFT; }
    /** Groups that still have to release the frame (0 unless PUBLISHED). */
    static int refs(long w) { return phase(w) == PUBLISHED ? pending(w) : 0; }
    /** The producer's process-table index in phase PRODUCER (0 in a private pool). */
    static int owner(long w) { return phase(w) == PRODUCER ? pending(w) : 0; }

    static long make(int phase, int pending, int held, long gen) {
        return (phase & 3L) | ((pending & GROUP_MASK) << PENDING_SHIFT) | ((held & GROUP_MASK) << HELD_SHIFT)
                | ((gen & GEN_MASK) << GEN_SHIFT);
    }

    static long nextGen(long gen) { return (gen + 1) & GEN_MASK; }

    /** Ring entries (46 bits) carry the slot index (16 bits) and the generation it was queued under. */
    static long entry(int slot, long gen) { return ((gen & GEN_MASK) << 16) | (slot & 0xFFFFL); }
    static int entrySlot(long e) { return (int) (e & 0xFFFF); }
    static long entryGen(long e) { return (e >>> 16) & GEN_MASK; }

    /**
     * The public state a slot word shows, from the point of view of the whole pool.
     * {@code refBit} is {@link #REFERENCE_BIT} in a pool that has producer references (at most
     * 15 groups), else 0.
     */
    static FrameState state(long w, int refBit) {
        return switch (phase(w)) {
            case FREE -> FrameState.IDLE;
            case PRODUCER -> FrameState.LOCKED_BY_PRODUCER;
            case PUBLISHED -> (held(w) & ~refBit) != 0 ? FrameState.LOCKED_BY_CONSUMER
                    : (pending(w) & ~refBit) != 0 ? FrameState.READY_FOR_CONSUME : FrameState.HELD_BY_DECODER;
            default -> FrameState.RETIRED;
        };
    }
}
