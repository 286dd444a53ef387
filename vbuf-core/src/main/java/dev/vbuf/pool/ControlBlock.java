package dev.vbuf.pool;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;

/**
 * The control block of a frame pool: the one memory layout that the in-process pool uses
 * today and the shared pool (and its C header) use on a mapped file. All offsets are in
 * bytes from the start of the block; all integers are native-endian (little-endian on
 * every platform vbuf supports); every record starts on a 128-byte boundary so that words
 * written by different parties are at least two cache lines apart.
 *
 * <h2>Overview</h2>
 * <pre>
 *   0 +-----------------------------------------------------------+
 *     | HEADER (256 B)                                            |
 *     |   0 magic u64 "VBUFPOOL"   8 version u32  12 headerBytes  |
 *     |  16 slotCount u32  20 groupCount u32  24 slotBytes u32     |
 *     |  28 freeRingCapacity u32   32 groupRingCapacity u32        |
 *     |  36 flags u32  40 bufferBytes u64  48 slotsOffset u64      |
 *     |  56 freeRingOffset u64  64 groupsOffset u64                |
 *     |  72 totalBytes u64                                         |
 *     | 128 producer line: nextSequence, (reserved), acquireWaits,  |
 *     |     acquireTimeouts, acquireFails, reclaims, retired (u64)  |
 * 256 +-----------------------------------------------------------+
 *     | SLOT DESCRIPTORS: slotCount x 128 B (see below)           |
 *     +-----------------------------------------------------------+
 *     | FREE RING: head u64 @0, tail u64 @128, cells @256:         |
 *     |            capacity x { sequence u64, value u64 }          |
 *     +-----------------------------------------------------------+
 *     | GROUP RECORDS: groupCount x 384 B                          |
 *     |   0 name[32] UTF-8   32 ringOffset u64                     |
 *     | 128 consumer line: (reserved), acquireWaits, timeouts,     |
 *     |     staleSkipped                                           |
 *     | 256 producer line: dropped, fullPops                       |
 *     +-----------------------------------------------------------+
 *     | GROUP RINGS: groupCount x ring (same shape as FREE RING)   |
 *     +-----------------------------------------------------------+
 * </pre>
 *
 * <h2>Slot descriptor (128 bytes, one per buffer)</h2>
 * <pre>
 *   0 word u64        the truth: phase | pending | held | generation (see {@link SlotWord})
 *   8 sequence u64    assigned by submitFilled, strictly increasing per pool
 *  16 captureNanos    capture timestamp (ns, producer's clock)
 *  24 pts             presentation timestamp (stream time base)
 *  32 submitNanos     System.nanoTime() at submit (when the pool records timestamps), else 0
 *  40 payloadBytes    bytes of valid data in the buffer
 *  48 width u32   52 height u32   56 format u32 (PixelFormat id, 0 = unset)   60 flags u32
 *  64 bufferOffset u64 (offset in the data region, or -1 for external memory)
 *  72 bufferBytes u64
 *  80 producerOwner u32 (index into the attached-process table of a shared pool; 0 in-process)
 *  84 .. 127 reserved, zero
 * </pre>
 *
 * <h2>Memory ordering</h2>
 * Names follow JCTools: {@code lv} load volatile, {@code la} load acquire, {@code so}
 * store ordered (release), {@code sp} store plain, {@code cas} compare-and-set (volatile).
 * A release store (or CAS) is read with an acquire load (or CAS), or there is a race.
 * Frame metadata is written with plain stores by the single owner of the slot and
 * published by the CAS on the slot word that hands the slot on; the next owner reads the
 * word (CAS or acquire) before it reads the metadata.
 */
public final class ControlBlock {
    public static final long MAGIC = 0x4C4F4F5046554256L; // "VBUFPOOL" little-endian
    public static final int VERSION = 1;
    public static final int CACHE_LINE = 64;
    public static final int ALIGN = 2 * CACHE_LINE;

    // ---- header ----
    public static final long H_MAGIC = 0;
    public static final long H_VERSION = 8;
    public static final long H_HEADER_BYTES = 12;
    public static final long H_SLOT_COUNT = 16;
    public static final long H_GROUP_COUNT = 20;
    public static final long H_SLOT_BYTES = 24;
    public static final long H_FREE_RING_CAPACITY = 28;
    public static final long H_GROUP_RING_CAPACITY = 32;
    public static final long H_FLAGS = 36;
    public static final long H_BUFFER_BYTES = 40;
    public static final long H_SLOTS_OFFSET = 48;
    public static final long H_FREE_RING_OFFSET = 56;
    public static final long H_GROUPS_OFFSET = 64;
    public static final long H_TOTAL_BYTES = 72;
    public static final long P_NEXT_SEQUENCE = 128;
    /** Unused (was a published counter; published is nextSequence). Kept zero. */
    public static final long P_RESERVED_136 = 136;
    public static final long P_ACQUIRE_WAITS = 144;
    public static final long P_ACQUIRE_TIMEOUTS = 152;
    public static final long P_ACQUIRE_FAILS = 160;
    public static final long P_RECLAIMS = 168;
    public static final long P_RETIRED = 176;
    public static final int HEADER_BYTES = 256;

    // ---- slot descriptor ----
    public static final int SLOT_BYTES = 128;
    public static final long S_WORD = 0;
    public static final long S_SEQUENCE = 8;
    public static final long S_CAPTURE_NANOS = 16;
    public static final long S_PTS = 24;
    public static final long S_SUBMIT_NANOS = 32;
    public static final long S_PAYLOAD_BYTES = 40;
    public static final long S_WIDTH = 48;
    public static final long S_HEIGHT = 52;
    public static final long S_FORMAT = 56;
    public static final long S_FLAGS = 60;
    public static final long S_BUFFER_OFFSET = 64;
    public static final long S_BUFFER_BYTES = 72;
    public static final long S_PRODUCER_OWNER = 80;

    // ---- ring ----
    public static final long R_HEAD = 0;
    public static final long R_TAIL = 2 * CACHE_LINE;
    public static final long R_CELLS = 4 * CACHE_LINE;
    public static final int CELL_BYTES = 16;

    // ---- group record ----
    public static final int GROUP_BYTES = 384;
    public static final int GROUP_NAME_BYTES = 32;
    public static final long G_NAME = 0;
    public static final long G_RING_OFFSET = 32;
    /** Unused (was a taken counter; taken is derived from the ring's head). Kept zero. */
    public static final long G_RESERVED_128 = 128;
    public static final long G_ACQUIRE_WAITS = 136;
    public static final long G_ACQUIRE_TIMEOUTS = 144;
    public static final long G_STALE_SKIPPED = 152;
    public static final long G_DROPPED = 256;
    /** Entries the producer polled off a really full ring (stale or live). */
    public static final long G_FULL_POPS = 264;

    static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    private final MemorySegment seg;
    private final long slotsOffset;
    private final long groupsOffset;

    private ControlBlock(MemorySegment seg) {
        this.seg = seg;
        this.slotsOffset = seg.get(ValueLayout.JAVA_LONG, H_SLOTS_OFFSET);
        this.groupsOffset = seg.get(ValueLayout.JAVA_LONG, H_GROUPS_OFFSET);
    }

    /** Geometry of a control block: where everything goes for a given slot and group count. */
    public record Geometry(int slotCount, int groupCount, int freeRingCapacity, int groupRingCapacity,
                           long slotsOffset, long freeRingOffset, long groupsOffset, long groupRingsOffset,
                           long totalBytes) {
        public static Geometry of(int slotCount, int groupCount) {
            int freeCap = ceilPow2(Math.max(2, 2 * slotCount));
            int groupCap = ceilPow2(Math.max(2, 2 * slotCount));
            long slots = HEADER_BYTES;
            long freeRing = slots + (long) slotCount * SLOT_BYTES;
            long groups = align(freeRing + ringBytes(freeCap));
            long groupRings = align(groups + (long) groupCount * GROUP_BYTES);
            long total = align(groupRings + (long) groupCount * ringBytes(groupCap));
            return new Geometry(slotCount, groupCount, freeCap, groupCap, slots, freeRing, groups, groupRings, total);
        }

        public long groupRingOffset(int group) {
            return groupRingsOffset + (long) group * ringBytes(groupRingCapacity);
        }
    }

    static long ringBytes(int capacity) {
        return align(R_CELLS + (long) capacity * CELL_BYTES);
    }

    static long align(long v) {
        return (v + ALIGN - 1) & -ALIGN;
    }

    static int ceilPow2(int v) {
        return v <= 1 ? 1 : Integer.highestOneBit(v - 1) << 1;
    }

    /**
     * Formats a fresh control block in {@code seg} (which must be zeroed, 128-byte aligned and
     * at least {@code geometry.totalBytes()} long) and returns a view of it.
     */
    static ControlBlock format(MemorySegment seg, Geometry g, long bufferBytes, String[] groupNames, int flags) {
        verifyAlignment(seg);
        if (seg.byteSize() < g.totalBytes()) {
            throw new IllegalArgumentException("control block segment of " + seg.byteSize()
                    + " bytes is smaller than the " + g.totalBytes() + " bytes its geometry needs");
        }
        seg.set(ValueLayout.JAVA_INT, H_VERSION, VERSION);
        seg.set(ValueLayout.JAVA_INT, H_HEADER_BYTES, HEADER_BYTES);
        seg.set(ValueLayout.JAVA_INT, H_SLOT_COUNT, g.slotCount());
        seg.set(ValueLayout.JAVA_INT, H_GROUP_COUNT, g.groupCount());
        seg.set(ValueLayout.JAVA_INT, H_SLOT_BYTES, SLOT_BYTES);
        seg.set(ValueLayout.JAVA_INT, H_FREE_RING_CAPACITY, g.freeRingCapacity());
        seg.set(ValueLayout.JAVA_INT, H_GROUP_RING_CAPACITY, g.groupRingCapacity());
        seg.set(ValueLayout.JAVA_INT, H_FLAGS, flags);
        seg.set(ValueLayout.JAVA_LONG, H_BUFFER_BYTES, bufferBytes);
        seg.set(ValueLayout.JAVA_LONG, H_SLOTS_OFFSET, g.slotsOffset());
        seg.set(ValueLayout.JAVA_LONG, H_FREE_RING_OFFSET, g.freeRingOffset());
        seg.set(ValueLayout.JAVA_LONG, H_GROUPS_OFFSET, g.groupsOffset());
        seg.set(ValueLayout.JAVA_LONG, H_TOTAL_BYTES, g.totalBytes());
        MpmcRing.format(seg, g.freeRingOffset(), g.freeRingCapacity());
        for (int i = 0; i < g.groupCount(); i++) {
            long rec = g.groupsOffset() + (long) i * GROUP_BYTES;
            byte[] name = groupNames[i].getBytes(StandardCharsets.UTF_8);
            MemorySegment.copy(name, 0, seg, ValueLayout.JAVA_BYTE, rec + G_NAME, Math.min(name.length, GROUP_NAME_BYTES - 1));
            seg.set(ValueLayout.JAVA_LONG, rec + G_RING_OFFSET, g.groupRingOffset(i));
            MpmcRing.format(seg, g.groupRingOffset(i), g.groupRingCapacity());
        }
        for (int s = 0; s < g.slotCount(); s++) {
            long d = g.slotsOffset() + (long) s * SLOT_BYTES;
            seg.set(ValueLayout.JAVA_LONG, d + S_BUFFER_BYTES, bufferBytes);
            seg.set(ValueLayout.JAVA_LONG, d + S_BUFFER_OFFSET, -1L);
        }
        // The magic goes last, with a release store: a reader that sees it sees a formatted block.
        LONG.setRelease(seg, H_MAGIC, MAGIC);
        return new ControlBlock(seg);
    }

    static void verifyAlignment(MemorySegment seg) {
        if (seg.address() % ALIGN != 0) {
            throw new IllegalArgumentException("control block at address 0x" + Long.toHexString(seg.address())
                    + " is not " + ALIGN + "-byte aligned; allocate it with Arena.allocate(size, " + ALIGN + ")");
        }
    }

    MemorySegment segment() { return seg; }

    long slot(int s) { return slotsOffset + (long) s * SLOT_BYTES; }
    long group(int g) { return groupsOffset + (long) g * GROUP_BYTES; }

    // ---- slot word: the only field whose writes hand a slot from one party to the next ----
    long lvWord(int s) { return (long) LONG.getVolatile(seg, slot(s) + S_WORD); }
    boolean casWord(int s, long expect, long update) { return LONG.compareAndSet(seg, slot(s) + S_WORD, expect, update); }

    // ---- slot metadata: plain accesses, ordered by the word CAS ----
    long lpLong(int s, long field) { return seg.get(ValueLayout.JAVA_LONG, slot(s) + field); }
    void spLong(int s, long field, long v) { seg.set(ValueLayout.JAVA_LONG, slot(s) + field, v); }
    int lpInt(int s, long field) { return seg.get(ValueLayout.JAVA_INT, slot(s) + field); }
    void spInt(int s, long field, int v) { seg.set(ValueLayout.JAVA_INT, slot(s) + field, v); }

    // ---- counters: single-word atomics ----
    long lvCounter(long offset) { return (long) LONG.getVolatile(seg, offset); }
    long getAndAdd(long offset, long delta) { return (long) LONG.getAndAdd(seg, offset, delta); }
    void increment(long offset) { LONG.getAndAdd(seg, offset, 1L); }
}
