package dev.vbuf.pool;

import dev.vbuf.shm.ProcessTable;

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
 *     |  36 flags u32 (1 single producer, 2 single consumers)       |
 *     |  40 bufferBytes u64  48 slotsOffset u64                    |
 *     |  56 freeRingOffset u64  64 groupsOffset u64                |
 *     |  72 totalBytes u64 (control block, incl. process table)    |
 *     |  80 dataOffset u64 (buffers in the same file; 0 = none)    |
 *     |  88 bufferStride u64  96 width u32 100 height u32          |
 *     | 104 format u32 (PixelFormat id) 108 strideAlign u32        |
 *     | 112 processOffset u64  120 processCapacity u32             |
 *     | 124 state u32 (bit 0: producer closed = end of stream)     |
 *     | 128 producer line: nextSequence, freeFutex u32,            |
 *     |     freeWaiters u32, acquireWaits, acquireTimeouts,        |
 *     |     acquireFails, reclaims, retired, peerRecoveries,       |
 *     |     slotsRecovered, freeSleepDeadline (u64), hotFree (u64) |
 * 256 +-----------------------------------------------------------+
 *     | SLOT DESCRIPTORS: slotCount x 256 B (see below)           |
 *     +-----------------------------------------------------------+
 *     | FREE RING: head u64 @0, tail u64 @128, cells @256:         |
 *     |            capacity x cell u64 (see {@link MpmcRing})      |
 *     +-----------------------------------------------------------+
 *     | GROUP RECORDS: groupCount x 384 B                          |
 *     |   0 name[32] UTF-8, NUL-terminated   32 ringOffset u64     |
 *     | 128 consumer line: taken, acquireWaits, timeouts,          |
 *     |     staleSkipped, futex u32 @160, waiters u32 @164,        |
 *     |     sleepDeadline u64 @168                                 |
 *     | 256 producer line: dropped, fullPops, lostToCrash          |
 *     +-----------------------------------------------------------+
 *     | GROUP RINGS: groupCount x ring (same shape as FREE RING)   |
 *     +-----------------------------------------------------------+
 *     | PROCESS TABLE (shared pools): processCapacity x 64 B       |
 *     |   (one entry: see {@link ProcessTable})                    |
 *     |   0 word u64 = pid &lt;&lt; 8 | state (1 live, 2 reclaiming)     |
 *     |   8 startTime u64 (clock ticks since boot, /proc/pid/stat) |
 *     |  16 role u32 (1 creator, 2 attached)  24 attachMillis u64  |
 *     +-----------------------------------------------------------+
 *     | DATA (shared pools): slotCount x bufferStride              |
 * </pre>
 *
 * <h2>Slot descriptor (256 bytes, one per buffer)</h2>
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
 *  80 .. 127 reserved, zero
 * 128 holders u32[16]: per consumer group, the process-table index (1-based) of the consumer
 *     that holds or is about to hold the frame; 0 = none. Claimed (CAS 0 -> me) before the
 *     slot word CAS that sets the group's held bit and cleared after the one that clears it,
 *     so a set held bit always names its owner. Used by shared pools only.
 * 192 .. 255 reserved, zero
 * (The producer that owns a slot in state PRODUCER is in the slot word itself: see SlotWord.)
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
    /** 3: the role claims ({@link #P_PRODUCER_CLAIM}, {@link #G_CONSUMER_CLAIM}). */
    public static final int VERSION = 3;
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
    public static final long H_DATA_OFFSET = 80;
    public static final long H_BUFFER_STRIDE = 88;
    public static final long H_WIDTH = 96;
    public static final long H_HEIGHT = 100;
    public static final long H_FORMAT = 104;
    public static final long H_STRIDE_ALIGN = 108;
    public static final long H_PROCESS_OFFSET = 112;
    public static final long H_PROCESS_CAPACITY = 120;
    public static final long H_STATE = 124;
    /** {@link #H_FLAGS} bit: one producer (thread, in one process) at a time; it publishes with release stores. */
    public static final int SINGLE_PRODUCER = 1;
    /** {@link #H_FLAGS} bit: one consumer (thread) per group at a time; it takes with release stores. */
    public static final int SINGLE_CONSUMERS = 2;
    /** {@link #H_STATE} bit: the creating producer closed the pool (end of stream). */
    public static final int STATE_CLOSED = 1;
    public static final long P_NEXT_SEQUENCE = 128;
    /** u32 futex word producers sleep on when no buffer is free; bumped by releasers. */
    public static final long P_FREE_FUTEX = 136;
    /** u32 count of producers asleep (or about to sleep) on {@link #P_FREE_FUTEX}. */
    public static final long P_FREE_WAITERS = 140;
    public static final long P_ACQUIRE_WAITS = 144;
    public static final long P_ACQUIRE_TIMEOUTS = 152;
    public static final long P_ACQUIRE_FAILS = 160;
    public static final long P_RECLAIMS = 168;
    public static final long P_RETIRED = 176;
    /** Dead peers whose slots were recovered. */
    public static final long P_PEER_RECOVERIES = 184;
    /** Slots recovered from dead peers (held by, being filled by, or in flight in a dead process). */
    public static final long P_SLOTS_RECOVERED = 192;
    /**
     * u64 System.nanoTime() (CLOCK_MONOTONIC) until which a producer asleep on
     * {@link #P_FREE_FUTEX} may still be sleeping: renewed by each sleeper before it sleeps, so
     * the count of a SIGKILLed sleeper stops costing wake-ups once it passes.
     */
    public static final long P_FREE_SLEEP_DEADLINE = 200;
    /**
     * u64 the free slot released last, as its ring entry + 1 (0 = none): the LIFO hint. A
     * releaser puts the slot it frees here when the word is 0 (CAS), else in the free ring; a
     * producer takes it from here first, so the next frame is written into the buffer whose
     * lines are most likely still in cache. Only a hint: every take is the slot word's CAS.
     */
    public static final long P_HOT_FREE = 208;
    /**
     * u32 the process-table index (1-based) of the process that produces into a pool declared
     * {@link #SINGLE_PRODUCER}, 0 for none: claimed by CAS at its first take of a free buffer,
     * cleared when it closes or, found dead, is recovered. Another live process's claim refuses
     * the take; a dead one's, or one naming no entry, is taken over.
     */
    public static final long P_PRODUCER_CLAIM = 216;
    public static final int HEADER_BYTES = 256;

    // ---- slot descriptor ----
    public static final int SLOT_BYTES = 256;
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
    public static final long S_HOLDERS = 128;

    // ---- ring ----
    public static final long R_HEAD = 0;
    public static final long R_TAIL = 2 * CACHE_LINE;
    public static final long R_CELLS = 4 * CACHE_LINE;
    public static final int CELL_BYTES = 8;

    // ---- group record ----
    public static final int GROUP_BYTES = 384;
    public static final int GROUP_NAME_BYTES = 32;
    public static final long G_NAME = 0;
    public static final long G_RING_OFFSET = 32;
    /** Frames this group's consumers acquired. */
    public static final long G_TAKEN = 128;
    public static final long G_ACQUIRE_WAITS = 136;
    public static final long G_ACQUIRE_TIMEOUTS = 144;
    public static final long G_STALE_SKIPPED = 152;
    /** u32 futex word consumers of the group sleep on; bumped by producers when waiters != 0. */
    public static final long G_FUTEX = 160;
    /** u32 count of the group's consumers asleep (or about to sleep) on {@link #G_FUTEX}. */
    public static final long G_WAITERS = 164;
    /** u64 CLOCK_MONOTONIC ns until which a consumer of the group may be asleep (see {@link #P_FREE_SLEEP_DEADLINE}). */
    public static final long G_SLEEP_DEADLINE = 168;
    /** u32 the process that reads the group of a pool declared {@link #SINGLE_CONSUMERS} (see {@link #P_PRODUCER_CLAIM}). */
    public static final long G_CONSUMER_CLAIM = 176;
    public static final long G_DROPPED = 256;
    /** Entries the producer polled off a really full ring (stale or live). */
    public static final long G_FULL_POPS = 264;
    /** Frames lost to the group because a consumer of it died holding them (also counted in dropped). */
    public static final long G_LOST_TO_CRASH = 272;

    // ---- process table (shared pools): described by dev.vbuf.shm.ProcessTable; the same values here ----
    public static final int PROCESS_BYTES = ProcessTable.PROCESS_BYTES;
    public static final long PR_WORD = ProcessTable.PR_WORD;
    public static final long PR_START_TIME = ProcessTable.PR_START_TIME;
    public static final long PR_ROLE = ProcessTable.PR_ROLE;
    public static final long PR_ATTACH_MILLIS = ProcessTable.PR_ATTACH_MILLIS;
    public static final int PROC_LIVE = ProcessTable.PROC_LIVE;
    public static final int PROC_RECLAIMING = ProcessTable.PROC_RECLAIMING;
    public static final int ROLE_CREATOR = ProcessTable.ROLE_CREATOR;
    public static final int ROLE_ATTACHED = ProcessTable.ROLE_ATTACHED;

    static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    private final Words seg;
    private final long slotsOffset;
    private final long groupsOffset;

    /** A view of an existing, already validated control block (see {@link dev.vbuf.shm.PoolFileValidator}). */
    static ControlBlock view(MemorySegment seg, Geometry g) {
        verifyAlignment(seg);
        return new ControlBlock(Words.of(seg), g);
    }

    /**
     * The offsets come from the geometry the caller computed (and, for a shared file,
     * validated), never read back from the bytes: a peer rewriting the header after
     * validation cannot move them.
     */
    private ControlBlock(Words seg, Geometry g) {
        this.seg = seg;
        this.slotsOffset = g.slotsOffset();
        this.groupsOffset = g.groupsOffset();
    }

    /** Geometry of a control block: where everything goes for a given slot and group count. */
    public record Geometry(int slotCount, int groupCount, int freeRingCapacity, int groupRingCapacity,
                           long slotsOffset, long freeRingOffset, long groupsOffset, long groupRingsOffset,
                           long processOffset, int processCapacity, long totalBytes) {
        public static Geometry of(int slotCount, int groupCount) { return of(slotCount, groupCount, 0); }

        /** Where everything goes; {@code processCapacity} is 0 for a pool private to one process. */
        public static Geometry of(int slotCount, int groupCount, int processCapacity) {
            int freeCap = ceilPow2(Math.max(2, 2 * slotCount));
            int groupCap = ceilPow2(Math.max(2, 2 * slotCount));
            long slots = HEADER_BYTES;
            long freeRing = slots + (long) slotCount * SLOT_BYTES;
            long groups = align(freeRing + ringBytes(freeCap));
            long groupRings = align(groups + (long) groupCount * GROUP_BYTES);
            long procs = align(groupRings + (long) groupCount * ringBytes(groupCap));
            long total = align(procs + (long) processCapacity * PROCESS_BYTES);
            return new Geometry(slotCount, groupCount, freeCap, groupCap, slots, freeRing, groups, groupRings,
                    procs, processCapacity, total);
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
    static ControlBlock format(MemorySegment seg, Geometry g, long bufferBytes, String[] groupNames, int flags,
                               long dataOffset, long bufferStride, dev.vbuf.format.FrameLayout layout) {
        verifyAlignment(seg);
        return format(Words.of(seg), g, bufferBytes, groupNames, flags, dataOffset, bufferStride, layout);
    }

    /** {@link #format(MemorySegment, Geometry, long, String[], int, long, long, dev.vbuf.format.FrameLayout)} in any {@link Words}. */
    static ControlBlock format(Words seg, Geometry g, long bufferBytes, String[] groupNames, int flags,
                               long dataOffset, long bufferStride, dev.vbuf.format.FrameLayout layout) {
        if (seg.byteSize() < g.totalBytes()) {
            throw new IllegalArgumentException("control block segment of " + seg.byteSize()
                    + " bytes is smaller than the " + g.totalBytes() + " bytes its geometry needs");
        }
        seg.setInt(H_VERSION, VERSION);
        seg.setInt(H_HEADER_BYTES, HEADER_BYTES);
        seg.setInt(H_SLOT_COUNT, g.slotCount());
        seg.setInt(H_GROUP_COUNT, g.groupCount());
        seg.setInt(H_SLOT_BYTES, SLOT_BYTES);
        seg.setInt(H_FREE_RING_CAPACITY, g.freeRingCapacity());
        seg.setInt(H_GROUP_RING_CAPACITY, g.groupRingCapacity());
        seg.setInt(H_FLAGS, flags);
        seg.setLong(H_BUFFER_BYTES, bufferBytes);
        seg.setLong(H_SLOTS_OFFSET, g.slotsOffset());
        seg.setLong(H_FREE_RING_OFFSET, g.freeRingOffset());
        seg.setLong(H_GROUPS_OFFSET, g.groupsOffset());
        seg.setLong(H_TOTAL_BYTES, g.totalBytes());
        seg.setLong(H_PROCESS_OFFSET, g.processOffset());
        seg.setInt(H_PROCESS_CAPACITY, g.processCapacity());
        seg.setLong(H_DATA_OFFSET, dataOffset);
        seg.setLong(H_BUFFER_STRIDE, bufferStride);
        if (layout != null) {
            seg.setInt(H_WIDTH, layout.width());
            seg.setInt(H_HEIGHT, layout.height());
            seg.setInt(H_FORMAT, layout.format().ordinal() + 1);
            seg.setInt(H_STRIDE_ALIGN, layout.strideAlign());
        }
        MpmcRing.format(seg, g.freeRingOffset(), g.freeRingCapacity());
        for (int i = 0; i < g.groupCount(); i++) {
            long rec = g.groupsOffset() + (long) i * GROUP_BYTES;
            byte[] name = groupNames[i].getBytes(StandardCharsets.UTF_8);
            seg.setBytes(rec + G_NAME, name, Math.min(name.length, GROUP_NAME_BYTES - 1));
            seg.setLong(rec + G_RING_OFFSET, g.groupRingOffset(i));
            MpmcRing.format(seg, g.groupRingOffset(i), g.groupRingCapacity());
        }
        for (int s = 0; s < g.slotCount(); s++) {
            long d = g.slotsOffset() + (long) s * SLOT_BYTES;
            seg.setLong(d + S_BUFFER_BYTES, bufferBytes);
            seg.setLong(d + S_BUFFER_OFFSET, -1L);
        }
        // The magic goes last, with a release store: a reader that sees it sees a formatted block.
        seg.setReleaseLong(H_MAGIC, MAGIC);
        return new ControlBlock(seg, g);
    }

    static void verifyAlignment(MemorySegment seg) {
        if (seg.address() % ALIGN != 0) {
            throw new IllegalArgumentException("control block at address 0x" + Long.toHexString(seg.address())
                    + " is not " + ALIGN + "-byte aligned; allocate it with Arena.allocate(size, " + ALIGN + ")");
        }
    }

    /** The native memory of this control block, or null when it lives in this JVM's heap ({@link Words#heap}). */
    MemorySegment segment() { return seg.segment(); }

    /** The words themselves (rings are views of the same words). */
    Words words() { return seg; }

    long byteSize() { return seg.byteSize(); }

    long slot(int s) { return slotsOffset + (long) s * SLOT_BYTES; }
    long group(int g) { return groupsOffset + (long) g * GROUP_BYTES; }

    // ---- slot word: the only field whose writes hand a slot from one party to the next ----
    long lvWord(int s) { return seg.getVolatileLong(slot(s) + S_WORD); }
    /** Acquire load of the word: pairs with the release store or CAS that handed the slot on. */
    long laWord(int s) { return seg.getAcquireLong(slot(s) + S_WORD); }
    boolean casWord(int s, long expect, long update) { return seg.casLong(slot(s) + S_WORD, expect, update); }
    /** Release store of the word: only where one party may change it now (the single producer's own slot). */
    void soWord(int s, long update) { seg.setReleaseLong(slot(s) + S_WORD, update); }

    // ---- slot metadata: plain accesses, ordered by the word CAS ----
    long lpLong(int s, long field) { return seg.getLong(slot(s) + field); }
    void spLong(int s, long field, long v) { seg.setLong(slot(s) + field, v); }
    int lpInt(int s, long field) { return seg.getInt(slot(s) + field); }
    void spInt(int s, long field, int v) { seg.setInt(slot(s) + field, v); }

    // ---- holders (shared pools): which process holds the frame for each group ----
    boolean casHolder(int s, int group, int expect, int update) {
        return seg.casInt(slot(s) + S_HOLDERS + 4L * group, expect, update);
    }
    int lvHolder(int s, int group) { return seg.getVolatileInt(slot(s) + S_HOLDERS + 4L * group); }
    void soHolder(int s, int group, int v) { seg.setReleaseInt(slot(s) + S_HOLDERS + 4L * group, v); }

    // ---- 32-bit words (futex words, waiter counts, header state) ----
    int lvInt(long offset) { return seg.getVolatileInt(offset); }
    boolean casInt(long offset, int expect, int update) { return seg.casInt(offset, expect, update); }
    int getAndAddInt(long offset, int delta) { return seg.getAndAddInt(offset, delta); }
    int getAndBitwiseOrInt(long offset, int bits) { return seg.getAndBitwiseOrInt(offset, bits); }

    // ---- counters: single-word atomics ----
    long lvCounter(long offset) { return seg.getVolatileLong(offset); }
    long getAndAdd(long offset, long delta) { return seg.getAndAddLong(offset, delta); }
    void increment(long offset) { seg.getAndAddLong(offset, 1L); }
    /** Adds one to a counter only this party writes (single-writer: a plain read and a release store, no atomic). */
    void incrementSingleWriter(long offset) { seg.setReleaseLong(offset, seg.getLong(offset) + 1); }
    void soCounter(long offset, long v) { seg.setReleaseLong(offset, v); }
    long lpCounter(long offset) { return seg.getLong(offset); }
    long getAndSetCounter(long offset, long v) { return seg.getAndSetLong(offset, v); }
    boolean casCounter(long offset, long expect, long update) { return seg.casLong(offset, expect, update); }
    int flags() { return seg.getInt(H_FLAGS); }

    /** Raises the u64 at {@code offset} to at least {@code v} (signed comparison of nanoTime values). */
    void setMax(long offset, long v) {
        for (long cur = lvCounter(offset); cur - v < 0; cur = lvCounter(offset)) {
            if (seg.casLong(offset, cur, v)) return;
        }
    }
}
