package dev.vbuf.pool;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.memory.AlignedAllocator;
import dev.vbuf.memory.Allocation;
import dev.vbuf.memory.Allocator;
import dev.vbuf.memory.BufferHandle;
import dev.vbuf.memory.ExternalBuffer;
import dev.vbuf.memory.Ownership;
import dev.vbuf.stats.AcquireTimeoutEvent;
import dev.vbuf.stats.FrameDroppedEvent;
import dev.vbuf.stats.FrameReclaimedEvent;
import dev.vbuf.stats.GroupStats;
import dev.vbuf.stats.PoolStats;

import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A pool of preallocated off-heap frame buffers with lock-free hand-off from producers to
 * consumer groups (S1, DESIGN.md).
 *
 * <h2>Overview</h2>
 * The pool is a {@link ControlBlock} plus the buffers. The control block holds one slot word
 * per buffer (phase, pending groups, holding groups, generation: {@link SlotWord}), the frame
 * metadata, a free ring of IDLE slots and one filled ring per consumer group. Every state
 * change of a buffer is one CAS of its slot word; the rings only say where to look, and an
 * entry whose generation no longer matches its slot is skipped.
 * <pre>
 *   producer                         control block                          consumer group g
 *   acquireFree: poll free ring  --> slot FREE(gen) -CAS-> PRODUCER(gen)
 *   (fill pixels, metadata)
 *   submitFilled: seq++, CAS     --> PUBLISHED(gen, pending=all, held=0) --> offer to ring[g] for every g
 *                                                                            acquireFilled: poll ring[g],
 *                                    CAS held |= g                      <--  (read pixels)
 *                                    CAS pending &= ~g, held &= ~g      <--  releaseFilled
 *                                    last group: FREE(gen+1) -> free ring
 * </pre>
 * When the free ring is empty the {@link Overflow} policy decides: wait, fail, or take back the
 * oldest queued frame that no consumer holds (one CAS: PUBLISHED(gen, held=0) to
 * PRODUCER(gen+1)), counting a drop for every group that had not released it.
 *
 * <h2>Assumptions and guarantees</h2>
 * <ul>
 *   <li>Any number of producer threads and, per group, any number of consumer threads.</li>
 *   <li>Every group sees every submitted frame once, unless it is dropped for that group
 *       (counted); within a group each frame goes to one consumer; no frame is delivered twice
 *       to a group; a held frame is never taken back.</li>
 *   <li>acquire, submit and release allocate nothing and take no lock; a blocked acquire polls
 *       with its {@link WaitStrategy} and needs no wake-up from the other side.</li>
 *   <li>Blocking calls return null (never throw) on timeout, pool close or interrupt, leaving
 *       the interrupt flag set. Misuse throws {@link FrameStateException}.</li>
 * </ul>
 */
public final class FramePool implements AutoCloseable {
    /** Most buffers in one pool (slot indices are 16 bits in a shared pool's tables). */
    public static final int MAX_BUFFERS = 1 << 16;
    /** Most consumer groups in one pool (one bit per group in the slot word). */
    public static final int MAX_GROUPS = SlotWord.MAX_GROUPS;
    /** Longest group name in UTF-8 bytes. */
    public static final int MAX_GROUP_NAME_BYTES = ControlBlock.GROUP_NAME_BYTES - 1;

    private static final AtomicInteger POOL_IDS = new AtomicInteger();

    static {
        // Load and register the JFR event classes now, at set-up: done lazily, the first drop
        // stalled the producer 100-250 ms (class loading and JFR's event registration), long
        // enough at 60 fps for a burst that made groups which keep up lose frames.
        new FrameDroppedEvent().shouldCommit();
        new FrameReclaimedEvent().shouldCommit();
        new AcquireTimeoutEvent().shouldCommit();
    }
    private static final PixelFormat[] FORMATS = PixelFormat.values();

    private final String name;
    private final ControlBlock cb;
    private final MpmcRing freeRing;
    private final MpmcRing[] groupRings;
    private final String[] groupNames;
    private final int slotCount;
    private final int groupCount;
    private final int allGroups;
    private final MemorySegment[] buffers;
    private final MemorySegment[][] planes;
    private final long[] physical;
    private final int[] fds;
    private final boolean[] external;
    private final BufferHandle[] handles;
    private final Frame[] producerFrames;
    private final Frame[][] consumerFrames;
    private final Overflow overflow;
    private final WaitStrategy waitStrategy;
    private final boolean timestamps;
    private final FrameLayout layout;
    private final long bufferBytes;
    private final Allocation allocation;
    private final String backing;
    private final boolean ownsHandles;
    private final PoolMBean mbean;
    private volatile boolean closed;

    private FramePool(Builder b, BuiltMemory mem) {
        this.name = b.name != null ? b.name : "pool-" + POOL_IDS.incrementAndGet();
        this.slotCount = mem.buffers.length;
        this.groupNames = b.groups.toArray(String[]::new);
        this.groupCount = groupNames.length;
        this.allGroups = (1 << groupCount) - 1;
        this.buffers = mem.buffers;
        this.physical = mem.physical;
        this.fds = mem.fds;
        this.external = mem.external;
        this.handles = mem.handles;
        this.ownsHandles = mem.handles != null;
        this.allocation = mem.allocation;
        this.backing = mem.backing;
        this.bufferBytes = mem.bufferBytes;
        this.layout = b.layout;
        this.overflow = b.overflow;
        this.waitStrategy = b.waitStrategy;
        this.timestamps = b.timestamps;

        ControlBlock.Geometry g = ControlBlock.Geometry.of(slotCount, groupCount);
        // The control block is GC-managed (Arena.ofAuto): a thread still inside acquire while
        // another closes the pool reads valid memory, sees `closed` and returns null. The
        // buffers themselves are freed at close.
        this.cb = ControlBlock.format(Arena.ofAuto().allocate(g.totalBytes(), ControlBlock.ALIGN), g, bufferBytes,
                groupNames, 0);
        this.freeRing = new MpmcRing(cb.segment(), g.freeRingOffset(), g.freeRingCapacity());
        this.groupRings = new MpmcRing[groupCount];
        for (int i = 0; i < groupCount; i++) {
            groupRings[i] = new MpmcRing(cb.segment(), g.groupRingOffset(i), g.groupRingCapacity());
        }
        this.producerFrames = new Frame[slotCount];
        this.consumerFrames = new Frame[groupCount][slotCount];
        this.planes = layout == null ? null : new MemorySegment[slotCount][];
        for (int s = 0; s < slotCount; s++) {
            producerFrames[s] = new Frame(this, cb, s, -1);
            for (int k = 0; k < groupCount; k++) consumerFrames[k][s] = new Frame(this, cb, s, k);
            if (planes != null) {
                planes[s] = new MemorySegment[layout.planes().size()];
                for (int p = 0; p < planes[s].length; p++) {
                    var plane = layout.planes().get(p);
                    planes[s][p] = buffers[s].asSlice(plane.offset(), plane.bytes());
                }
            }
            cb.spLong(s, ControlBlock.S_SEQUENCE, -1L);
            if (!external[s]) cb.spLong(s, ControlBlock.S_BUFFER_OFFSET, (long) s * bufferBytes);
            cb.spLong(s, ControlBlock.S_BUFFER_BYTES, buffers[s].byteSize());
            if (!freeRing.offer(SlotWord.entry(s, 0))) {
                throw new AssertionError("free ring of capacity " + freeRing.capacity() + " cannot hold " + slotCount);
            }
        }
        this.mbean = b.jmx ? PoolMBean.register(this) : null;
    }

    // =====================================================================================
    // Construction (seed 001's three ways, in Java form)
    // =====================================================================================

    public static Builder builder() { return new Builder(); }

    /** Seed 001 way 1: {@code count} buffers of {@code bufferBytes}, from the default allocator. */
    public static FramePool allocate(int count, long bufferBytes) {
        return builder().count(count).bufferSize(bufferBytes).build();
    }

    /** Seed 001 way 2: the user's buffers, scheduled but never freed by the pool. */
    public static FramePool ofExternal(List<ExternalBuffer> buffers) {
        return builder().external(buffers).build();
    }

    /** Seed 001 way 3: the user's buffers with lifetime handles; the pool closes them when it closes. */
    public static FramePool ofHandles(List<BufferHandle> handles) {
        return builder().handles(handles).build();
    }

    /** Builds a pool. Every setter validates its argument and says what it accepts. */
    public static final class Builder {
        private String name;
        private int count = -1;
        private long bufferBytes = -1;
        private FrameLayout layout;
        private Allocator allocator = new AlignedAllocator();
        private long alignment = AlignedAllocator.PAGE;
        private List<String> groups = List.of("default");
        private Overflow overflow = Overflow.BLOCK;
        private WaitStrategy waitStrategy = WaitStrategy.spinPark();
        private boolean timestamps;
        private boolean jmx = true;
        private List<ExternalBuffer> externals;
        private List<BufferHandle> handleList;

        private Builder() {}

        /** The pool's name in statistics, JMX and JFR. */
        public Builder name(String name) {
            if (name == null || name.isBlank()) throw new IllegalArgumentException("pool name is empty; give a name such as 'cam0'");
            this.name = name;
            return this;
        }

        /** Number of buffers, 1..{@value #MAX_BUFFERS}. */
        public Builder count(int count) {
            if (count < 1 || count > MAX_BUFFERS) {
                throw new IllegalArgumentException("buffer count " + count + " is outside 1.." + MAX_BUFFERS
                        + "; size the pool with PoolSizer (frames = fps x latency + safety)");
            }
            this.count = count;
            return this;
        }

        /** Bytes per buffer (when no layout is given). */
        public Builder bufferSize(long bytes) {
            if (bytes < 1) throw new IllegalArgumentException("buffer size " + bytes + " is not positive; give the frame size in bytes");
            this.bufferBytes = bytes;
            return this;
        }

        /** The frame layout: sets the buffer size and gives frames their planes and default metadata. */
        public Builder layout(FrameLayout layout) {
            this.layout = Objects.requireNonNull(layout, "layout");
            return this;
        }

        public Builder allocator(Allocator allocator) {
            this.allocator = Objects.requireNonNull(allocator, "allocator");
            return this;
        }

        /** Buffer start alignment, a power of two from 4096 to 1 GiB. */
        public Builder alignment(long alignment) {
            if (alignment < AlignedAllocator.PAGE || Long.bitCount(alignment) != 1 || alignment > (1L << 30)) {
                throw new IllegalArgumentException("alignment " + alignment + " is not a power of two in 4096..1073741824");
            }
            this.alignment = alignment;
            return this;
        }

        /** Consumer groups, 1..{@value #MAX_GROUPS} distinct names of 1..31 UTF-8 bytes. Default: one group "default". */
        public Builder groups(String... names) { return groups(List.of(names)); }

        public Builder groups(List<String> names) {
            if (names.isEmpty() || names.size() > MAX_GROUPS) {
                throw new IllegalArgumentException(names.size() + " consumer groups is outside 1.." + MAX_GROUPS);
            }
            var seen = new HashSet<String>();
            for (String n : names) {
                if (n == null || n.isEmpty() || n.getBytes(StandardCharsets.UTF_8).length > MAX_GROUP_NAME_BYTES) {
                    throw new IllegalArgumentException("consumer group name '" + n + "' must be 1.." + MAX_GROUP_NAME_BYTES + " UTF-8 bytes");
                }
                if (!seen.add(n)) throw new IllegalArgumentException("consumer group name '" + n + "' is given twice");
            }
            this.groups = List.copyOf(names);
            return this;
        }

        /** The default overflow policy of acquireFree. */
        public Builder overflow(Overflow overflow) {
            this.overflow = Objects.requireNonNull(overflow, "overflow");
            return this;
        }

        public Builder waitStrategy(WaitStrategy waitStrategy) {
            this.waitStrategy = Objects.requireNonNull(waitStrategy, "waitStrategy");
            return this;
        }

        /** Record System.nanoTime() at submit in each frame (for hand-off latency); off by default. */
        public Builder recordTimestamps(boolean on) {
            this.timestamps = on;
            return this;
        }

        /** Register a JMX MBean while the pool is open; on by default. */
        public Builder jmx(boolean on) {
            this.jmx = on;
            return this;
        }

        /** The user's buffers (no deleter): the pool never frees them. */
        public Builder external(List<ExternalBuffer> buffers) {
            if (buffers.isEmpty()) throw new IllegalArgumentException("external buffer list is empty; give at least one buffer");
            this.externals = List.copyOf(buffers);
            return this;
        }

        /** The user's buffers with lifetime handles; the pool takes them over and closes them at close. */
        public Builder handles(List<BufferHandle> handles) {
            if (handles.isEmpty()) throw new IllegalArgumentException("buffer handle list is empty; give at least one handle");
            this.handleList = List.copyOf(handles);
            return this;
        }

        public FramePool build() {
            if (externals != null && handleList != null) {
                throw new IllegalArgumentException("give external buffers or buffer handles, not both");
            }
            long size = layout != null ? layout.frameBytes() : bufferBytes;
            if (layout != null && bufferBytes > 0 && bufferBytes < layout.frameBytes()) {
                throw new IllegalArgumentException("buffer size " + bufferBytes + " is smaller than the layout's "
                        + layout.frameBytes() + " bytes (" + layout + ")");
            }
            if (bufferBytes > size) size = bufferBytes;
            BuiltMemory mem;
            if (externals != null || handleList != null) {
                mem = BuiltMemory.external(externals, handleList, size, count);
            } else {
                if (count < 0) throw new IllegalArgumentException("buffer count not set; call count(n)");
                if (size < 1) throw new IllegalArgumentException("buffer size not set; call bufferSize(bytes) or layout(layout)");
                mem = BuiltMemory.allocate(allocator, count, size, alignment);
            }
            try {
                return new FramePool(this, mem);
            } catch (RuntimeException | Error e) {
                mem.free(false);
                throw e;
            }
        }
    }

    /** The buffers a pool is built over, before the pool exists. */
    private record BuiltMemory(MemorySegment[] buffers, long[] physical, int[] fds, boolean[] external,
                               BufferHandle[] handles, Allocation allocation, String backing, long bufferBytes) {
        static BuiltMemory allocate(Allocator allocator, int count, long size, long alignment) {
            Allocation a = allocator.allocate(count, size, alignment);
            var bufs = new MemorySegment[count];
            var phys = new long[count];
            var fds = new int[count];
            for (int i = 0; i < count; i++) {
                bufs[i] = a.buffer(i);
                phys[i] = a.physicalAddress(i);
                fds[i] = a.fd(i);
            }
            return new BuiltMemory(bufs, phys, fds, new boolean[count], null, a, allocator.name() + ": " + a.backing(), size);
        }

        static BuiltMemory external(List<ExternalBuffer> ext, List<BufferHandle> hs, long layoutBytes, int count) {
            int n = ext != null ? ext.size() : hs.size();
            if (n > MAX_BUFFERS) throw new IllegalArgumentException(n + " external buffers is over the maximum " + MAX_BUFFERS);
            if (count > 0 && count != n) {
                throw new IllegalArgumentException("count(" + count + ") disagrees with the " + n + " external buffers given; leave count unset");
            }
            var bufs = new MemorySegment[n];
            var phys = new long[n];
            var fds = new int[n];
            Arrays.fill(fds, -1);
            var ext2 = new boolean[n];
            Arrays.fill(ext2, true);
            long min = Long.MAX_VALUE;
            for (int i = 0; i < n; i++) {
                bufs[i] = ext != null ? ext.get(i).segment() : hs.get(i).segment();
                phys[i] = ext != null ? ext.get(i).physicalAddress() : hs.get(i).physicalAddress();
                if (hs != null) fds[i] = hs.get(i).fd();
                if (!bufs[i].scope().isAlive()) {
                    throw new IllegalArgumentException("external buffer " + i + " is already freed (its arena is closed)");
                }
                min = Math.min(min, bufs[i].byteSize());
            }
            if (layoutBytes > 0 && min < layoutBytes) {
                throw new IllegalArgumentException("an external buffer of " + min + " bytes is smaller than the "
                        + layoutBytes + " bytes a frame needs; give buffers of at least that size");
            }
            BufferHandle[] handleArr = hs == null ? null : hs.toArray(BufferHandle[]::new);
            return new BuiltMemory(bufs, phys, fds, ext2, handleArr, null,
                    hs != null ? "external memory with lifetime handles" : "external memory", layoutBytes > 0 ? layoutBytes : min);
        }

        void free(boolean runDeleters) {
            if (allocation != null) allocation.close();
            if (handles != null && runDeleters) for (BufferHandle h : handles) h.close();
        }
    }

    // =====================================================================================
    // Producer API
    // =====================================================================================

    /** A free buffer at once, applying the pool's overflow policy without waiting; null when none. */
    public Frame tryAcquireFree() { return acquireFree(overflow, 0); }

    /** Waits (without limit) for a free buffer under the pool's policy; null when closed, interrupted or FAIL. */
    public Frame acquireFree() { return acquireFree(overflow, Long.MAX_VALUE); }

    /** Waits up to {@code timeout} under the pool's policy; null on timeout. */
    public Frame acquireFree(Duration timeout) { return acquireFree(overflow, nanos(timeout)); }

    public Frame acquireFree(long timeout, TimeUnit unit) { return acquireFree(overflow, unit.toNanos(timeout)); }

    /**
     * Acquires a buffer to fill, in state LOCKED_BY_PRODUCER.
     *
     * @param policy       what to do when none is free
     * @param timeoutNanos how long BLOCK, DROP_OLDEST and ADAPTIVE may wait; 0 for not at all,
     *                     {@code Long.MAX_VALUE} for ever
     * @return the frame, or null (timeout, FAIL, pool closed, thread interrupted)
     */
    public Frame acquireFree(Overflow policy, long timeoutNanos) {
        Frame f = pollFree();
        if (f != null) return f;
        if (closed) return null;
        if (policy != Overflow.FAIL) {
            f = reclaim(policy);
            if (f != null) return f;
        }
        if (policy == Overflow.FAIL || timeoutNanos <= 0) {
            cb.increment(ControlBlock.P_ACQUIRE_FAILS);
            return null;
        }
        cb.increment(ControlBlock.P_ACQUIRE_WAITS);
        final long start = System.nanoTime();
        for (int attempt = 0; ; attempt++) {
            waitStrategy.idle(attempt);
            f = pollFree();
            if (f != null) return f;
            f = reclaim(policy);
            if (f != null) return f;
            if (closed || Thread.currentThread().isInterrupted()) return null;
            if (timeoutNanos != Long.MAX_VALUE && System.nanoTime() - start >= timeoutNanos) {
                cb.increment(ControlBlock.P_ACQUIRE_TIMEOUTS);
                timeoutEvent("producer", timeoutNanos);
                return null;
            }
        }
    }

    private Frame pollFree() {
        for (int busy = 0; ; ) {
            long e = freeRing.poll();
            if (e == MpmcRing.EMPTY) {
                // EMPTY while entries are queued: a releaser has claimed a cell and not yet
                // published it. A free buffer is on its way; wait for it rather than report the
                // pool dry (and let an overflow policy drop a frame it did not need to).
                if (freeRing.size() == 0 || closed) return null;
                backOff(busy++);
                continue;
            }
            int s = SlotWord.entrySlot(e);
            long gen = SlotWord.entryGen(e);
            if (s < 0 || s >= slotCount) continue; // never trust an index: skip it
            long w = cb.lvWord(s);
            if (SlotWord.phase(w) != SlotWord.FREE || SlotWord.gen(w) != gen) continue; // stale entry
            if (external[s] && !isAlive(s)) {
                if (cb.casWord(s, w, SlotWord.make(SlotWord.RETIRED, 0, 0, gen))) cb.increment(ControlBlock.P_RETIRED);
                continue;
            }
            if (cb.casWord(s, w, SlotWord.make(SlotWord.PRODUCER, 0, 0, gen))) {
                return openProducer(s, gen);
            }
        }
    }

    private Frame openProducer(int s, long gen) {
        Frame f = producerFrames[s];
        f.gen = gen;
        f.open = true;
        cb.spLong(s, ControlBlock.S_SEQUENCE, -1L);
        cb.spLong(s, ControlBlock.S_CAPTURE_NANOS, 0L);
        cb.spLong(s, ControlBlock.S_PTS, 0L);
        cb.spLong(s, ControlBlock.S_SUBMIT_NANOS, 0L);
        cb.spInt(s, ControlBlock.S_FLAGS, 0);
        if (layout != null) {
            cb.spLong(s, ControlBlock.S_PAYLOAD_BYTES, layout.frameBytes());
            cb.spInt(s, ControlBlock.S_WIDTH, layout.width());
            cb.spInt(s, ControlBlock.S_HEIGHT, layout.height());
            cb.spInt(s, ControlBlock.S_FORMAT, formatId(layout.format()));
        } else {
            cb.spLong(s, ControlBlock.S_PAYLOAD_BYTES, buffers[s].byteSize());
        }
        return f;
    }

    /**
     * Publishes a filled frame to every consumer group: the pool gives it the next sequence
     * number and its state becomes READY_FOR_CONSUME.
     */
    public void submitFilled(Frame f) {
        checkOwn(f);
        if (f.group >= 0) {
            throw new FrameStateException("submitFilled", f.slot, f.gen, f.state(), FrameState.LOCKED_BY_PRODUCER,
                    "this frame came from acquireFilled of group '" + groupNames[f.group]
                            + "'; consumers release frames, only a frame from acquireFree can be submitted");
        }
        if (!f.open) throw staleHandle("submitFilled", f);
        int s = f.slot;
        long gen = f.gen;
        long w = cb.lvWord(s);
        if (SlotWord.phase(w) != SlotWord.PRODUCER || SlotWord.gen(w) != gen) throw staleHandle("submitFilled", f);
        long seq = cb.getAndAdd(ControlBlock.P_NEXT_SEQUENCE, 1);
        cb.spLong(s, ControlBlock.S_SEQUENCE, seq);
        if (timestamps) cb.spLong(s, ControlBlock.S_SUBMIT_NANOS, System.nanoTime());
        f.open = false;
        // SYNC POINT: the CAS publishes the pixels and the metadata written above.
        if (!cb.casWord(s, w, SlotWord.make(SlotWord.PUBLISHED, allGroups, 0, gen))) {
            throw staleHandle("submitFilled", f);
        }
        long e = SlotWord.entry(s, gen);
        for (int g = 0; g < groupCount; g++) {
            MpmcRing ring = groupRings[g];
            for (int attempt = 0; !ring.offer(e); attempt++) {
                if (ring.size() < ring.capacity()) {
                    // Not full: a consumer that claimed the cell one lap back has not handed it
                    // back yet (it was descheduled inside poll). Wait for it, do not drop.
                    backOff(attempt);
                    continue;
                }
                // Really full of frames the group does not read (and entries of frames taken
                // back): its oldest entry gives way, counted as a drop if still live.
                long old = ring.poll();
                if (old != MpmcRing.EMPTY) {
                    cb.increment(cb.group(g) + ControlBlock.G_FULL_POPS);
                    dropForGroup(g, old, "queue full");
                }
            }
        }
    }

    /** Gives an unsubmitted frame back (LOCKED_BY_PRODUCER to IDLE); {@link Frame#close()} does this. */
    public void abort(Frame f) {
        checkOwn(f);
        if (f.group >= 0) {
            throw new FrameStateException("abort", f.slot, f.gen, f.state(), FrameState.LOCKED_BY_PRODUCER,
                    "consumers release frames with releaseFilled");
        }
        if (!f.open) throw staleHandle("abort", f);
        long w = cb.lvWord(f.slot);
        if (SlotWord.phase(w) != SlotWord.PRODUCER || SlotWord.gen(w) != f.gen) throw staleHandle("abort", f);
        f.open = false;
        long ng = SlotWord.nextGen(f.gen);
        if (!cb.casWord(f.slot, w, SlotWord.make(SlotWord.FREE, 0, 0, ng))) throw staleHandle("abort", f);
        offerFree(f.slot, ng);
    }

    /**
     * Returns an IDLE slot to the free ring. The ring has room for every slot, so an offer can
     * only fail while a thread that claimed the cell one lap back is descheduled inside poll:
     * wait for it (the slot must never be lost).
     */
    private void offerFree(int s, long gen) {
        long e = SlotWord.entry(s, gen);
        for (int attempt = 0; !freeRing.offer(e); attempt++) backOff(attempt);
    }

    private static void backOff(int attempt) {
        if (attempt < 64) Thread.onSpinWait();
        else Thread.yield();
    }

    // =====================================================================================
    // Overflow: taking frames back
    // =====================================================================================

    private Frame reclaim(Overflow policy) {
        return switch (policy) {
            case DROP_OLDEST -> reclaimOldestWarm(policy);
            case ADAPTIVE -> hotRatio() > Overflow.ADAPTIVE_HOT_RATIO ? reclaimOldestWarm(policy) : null;
            default -> null;
        };
    }

    /** HOT buffers (being filled or read) over all buffers, seed 000's hot_count / pool_size. */
    public double hotRatio() {
        int hot = 0;
        for (int s = 0; s < slotCount; s++) {
            long w = cb.lvWord(s);
            int p = SlotWord.phase(w);
            if (p == SlotWord.PRODUCER || (p == SlotWord.PUBLISHED && SlotWord.held(w) != 0)) hot++;
        }
        return (double) hot / slotCount;
    }

    /**
     * Takes back the least recently submitted frame that no consumer holds: one CAS from
     * PUBLISHED(gen, held=0) to PRODUCER(gen+1). Its ring entries become stale and are skipped.
     */
    private Frame reclaimOldestWarm(Overflow policy) {
        for (int tries = 0; tries < 4; tries++) {
            int best = -1;
            long bestSeq = Long.MAX_VALUE;
            long bestWord = 0;
            for (int s = 0; s < slotCount; s++) {
                long w = cb.lvWord(s);
                if (SlotWord.phase(w) == SlotWord.PUBLISHED && SlotWord.held(w) == 0) {
                    long seq = cb.lpLong(s, ControlBlock.S_SEQUENCE);
                    if (seq < bestSeq) {
                        bestSeq = seq;
                        best = s;
                        bestWord = w;
                    }
                }
            }
            if (best < 0) return null;
            long ng = SlotWord.nextGen(SlotWord.gen(bestWord));
            if (cb.casWord(best, bestWord, SlotWord.make(SlotWord.PRODUCER, 0, 0, ng))) {
                int pending = SlotWord.pending(bestWord);
                for (int g = 0; g < groupCount; g++) {
                    if ((pending & (1 << g)) != 0) {
                        cb.increment(cb.group(g) + ControlBlock.G_DROPPED);
                        dropEvent(g, best, bestSeq, policy == Overflow.ADAPTIVE ? "adaptive: LRU warm" : "drop-oldest");
                    }
                }
                cb.increment(ControlBlock.P_RECLAIMS);
                FrameReclaimedEvent ev = new FrameReclaimedEvent();
                if (ev.shouldCommit()) {
                    ev.pool = name;
                    ev.frameId = best;
                    ev.sequence = bestSeq;
                    ev.groupsDropped = Integer.bitCount(pending);
                    ev.policy = policy.name();
                    ev.commit();
                }
                return openProducer(best, ng);
            }
        }
        return null;
    }

    /** A ring entry of group g leaves unread: the frame is dropped for g (if still live for g). */
    private void dropForGroup(int g, long entry, String reason) {
        int s = SlotWord.entrySlot(entry);
        long gen = SlotWord.entryGen(entry);
        if (s < 0 || s >= slotCount) return;
        int bit = 1 << g;
        for (;;) {
            long w = cb.lvWord(s);
            if (SlotWord.phase(w) != SlotWord.PUBLISHED || SlotWord.gen(w) != gen
                    || (SlotWord.pending(w) & bit) == 0 || (SlotWord.held(w) & bit) != 0) {
                return; // stale: already dropped when its frame was taken back
            }
            int pending = SlotWord.pending(w) & ~bit;
            long ng = SlotWord.nextGen(gen);
            long nw = pending == 0 ? SlotWord.make(SlotWord.FREE, 0, 0, ng)
                    : SlotWord.make(SlotWord.PUBLISHED, pending, SlotWord.held(w), gen);
            if (cb.casWord(s, w, nw)) {
                cb.increment(cb.group(g) + ControlBlock.G_DROPPED);
                dropEvent(g, s, cb.lpLong(s, ControlBlock.S_SEQUENCE), reason);
                if (pending == 0) offerFree(s, ng);
                return;
            }
        }
    }

    // =====================================================================================
    // Consumer API
    // =====================================================================================

    /** A consumer of the named group; create one per reading thread. */
    public Consumer consumer(String group) {
        for (int g = 0; g < groupCount; g++) {
            if (groupNames[g].equals(group)) return new Consumer(this, g);
        }
        throw new IllegalArgumentException("consumer group '" + group + "' is not one of this pool's groups "
                + Arrays.toString(groupNames));
    }

    /** The first group's next frame at once, or null (seed 001's single-queue form). */
    public Frame tryAcquireFilled() { return acquireFilled(0, 0); }

    /** Waits for the first group's next frame; null when the pool closed or the thread was interrupted. */
    public Frame acquireFilled() { return acquireFilled(0, Long.MAX_VALUE); }

    /** Waits up to {@code timeout} for the first group's next frame; null on timeout. */
    public Frame acquireFilled(Duration timeout) { return acquireFilled(0, nanos(timeout)); }

    public Frame acquireFilled(long timeout, TimeUnit unit) { return acquireFilled(0, unit.toNanos(timeout)); }

    Frame acquireFilled(int g, long timeoutNanos) {
        Frame f = pollFilled(g);
        if (f != null || timeoutNanos <= 0 || closed) return f;
        long rec = cb.group(g);
        cb.increment(rec + ControlBlock.G_ACQUIRE_WAITS);
        final long start = System.nanoTime();
        for (int attempt = 0; ; attempt++) {
            waitStrategy.idle(attempt);
            f = pollFilled(g);
            if (f != null) return f;
            if (closed || Thread.currentThread().isInterrupted()) return null;
            if (timeoutNanos != Long.MAX_VALUE && System.nanoTime() - start >= timeoutNanos) {
                cb.increment(rec + ControlBlock.G_ACQUIRE_TIMEOUTS);
                timeoutEvent(groupNames[g], timeoutNanos);
                return null;
            }
        }
    }

    private Frame pollFilled(int g) {
        MpmcRing ring = groupRings[g];
        int bit = 1 << g;
        for (;;) {
            long e = ring.poll();
            if (e == MpmcRing.EMPTY) return null;
            int s = SlotWord.entrySlot(e);
            long gen = SlotWord.entryGen(e);
            if (s < 0 || s >= slotCount) continue;
            for (;;) {
                long w = cb.lvWord(s);
                if (SlotWord.phase(w) != SlotWord.PUBLISHED || SlotWord.gen(w) != gen
                        || (SlotWord.pending(w) & bit) == 0 || (SlotWord.held(w) & bit) != 0) {
                    cb.increment(cb.group(g) + ControlBlock.G_STALE_SKIPPED);
                    break;
                }
                if (cb.casWord(s, w, SlotWord.make(SlotWord.PUBLISHED, SlotWord.pending(w), SlotWord.held(w) | bit, gen))) {
                    Frame f = consumerFrames[g][s];
                    f.gen = gen;
                    f.open = true;
                    return f;
                }
            }
        }
    }

    /**
     * Releases a frame a consumer acquired; when it is the last group to release it, the buffer
     * is IDLE again.
     */
    public void releaseFilled(Frame f) {
        checkOwn(f);
        if (f.group < 0) {
            throw new FrameStateException("releaseFilled", f.slot, f.gen, f.state(), FrameState.LOCKED_BY_CONSUMER,
                    "this frame came from acquireFree; a producer submits (submitFilled) or aborts (close) it");
        }
        if (!f.open) throw staleHandle("releaseFilled", f);
        final int slot = f.slot;
        final long gen = f.gen;
        int bit = 1 << f.group;
        for (;;) {
            long w = cb.lvWord(slot);
            if (SlotWord.phase(w) != SlotWord.PUBLISHED || SlotWord.gen(w) != gen || (SlotWord.held(w) & bit) == 0) {
                throw staleHandle("releaseFilled", f);
            }
            int pending = SlotWord.pending(w) & ~bit;
            long ng = SlotWord.nextGen(gen);
            long nw = pending == 0 ? SlotWord.make(SlotWord.FREE, 0, 0, ng)
                    : SlotWord.make(SlotWord.PUBLISHED, pending, SlotWord.held(w) & ~bit, gen);
            // Close the handle before the CAS: once the CAS lands, another consumer of this
            // group may be issued the same handle object for the buffer's next use.
            f.open = false;
            if (cb.casWord(slot, w, nw)) {
                if (pending == 0) offerFree(slot, ng);
                return;
            }
            f.open = true;
        }
    }

    // =====================================================================================
    // Queries (seed 001's names)
    // =====================================================================================

    public String name() { return name; }
    public int getTotalCount() { return slotCount; }
    /** Buffers IDLE (COLD) now. */
    public int getFreeCount() { return count(FrameState.IDLE); }
    /** Buffers READY_FOR_CONSUME (WARM: filled, queued, no consumer holds them) now. */
    public int getFilledCount() { return count(FrameState.READY_FOR_CONSUME); }
    /** Bytes per buffer (the smallest, for external buffers of several sizes). */
    public long getBufferSize() { return bufferBytes; }
    public List<String> groups() { return List.of(groupNames); }
    public Overflow overflow() { return overflow; }
    public FrameLayout layout() { return layout; }
    public boolean isClosed() { return closed; }
    public String backing() { return backing; }

    /** Frames published to group {@code g} and not yet taken or dropped. */
    long lag(int g) {
        long lag = published() - taken(g) - cb.lvCounter(cb.group(g) + ControlBlock.G_DROPPED);
        return Math.max(0, lag);
    }

    /**
     * Frames submitted: the sequence counter (a submit in progress counts from the moment it
     * takes its number). No counter of its own, so submit does one atomic add less.
     */
    private long published() {
        return cb.lvCounter(ControlBlock.P_NEXT_SEQUENCE);
    }

    /**
     * Frames group g's consumers acquired, derived rather than counted on the hot path: every
     * entry polled off the group's ring was either taken, skipped as stale, or popped by a
     * producer because the ring was really full.
     */
    private long taken(int g) {
        long rec = cb.group(g);
        long t = groupRings[g].polled() - cb.lvCounter(rec + ControlBlock.G_STALE_SKIPPED)
                - cb.lvCounter(rec + ControlBlock.G_FULL_POPS);
        return Math.max(0, t);
    }

    private int count(FrameState st) {
        int n = 0;
        for (int s = 0; s < slotCount; s++) if (SlotWord.state(cb.lvWord(s)) == st) n++;
        return n;
    }

    /** A snapshot of buffer {@code id}, or empty when there is no such buffer. */
    public Optional<BufferInfo> getBufferById(int id) {
        if (id < 0 || id >= slotCount) return Optional.empty();
        long w = cb.lvWord(id);
        return Optional.of(new BufferInfo(id, buffers[id], physical[id], buffers[id].byteSize(), ownership(id),
                SlotWord.state(w), Integer.bitCount(SlotWord.pending(w)), SlotWord.gen(w), fds[id],
                cb.lpLong(id, ControlBlock.S_SEQUENCE), cb.lpLong(id, ControlBlock.S_CAPTURE_NANOS),
                cb.lpLong(id, ControlBlock.S_PTS), cb.lpLong(id, ControlBlock.S_PAYLOAD_BYTES),
                cb.lpInt(id, ControlBlock.S_WIDTH), cb.lpInt(id, ControlBlock.S_HEIGHT),
                formatOf(cb.lpInt(id, ControlBlock.S_FORMAT)), cb.lpInt(id, ControlBlock.S_FLAGS),
                groupsOf(SlotWord.pending(w)), groupsOf(SlotWord.held(w)), isAlive(id)));
    }

    private List<String> groupsOf(int mask) {
        var l = new ArrayList<String>();
        for (int g = 0; g < groupCount; g++) if ((mask & (1 << g)) != 0) l.add(groupNames[g]);
        return l;
    }

    /**
     * Checks buffer {@code id}: its memory is alive (not freed by an external owner), at least
     * the pool's buffer size and page aligned (for owned memory), and its slot word is
     * consistent (holding groups a subset of pending groups, only known groups, no group bits
     * outside PUBLISHED).
     */
    public boolean validateBuffer(int id) {
        if (id < 0 || id >= slotCount) return false;
        MemorySegment b = buffers[id];
        if (!b.scope().isAlive() || (external[id] && !isAlive(id))) return false;
        if (b.byteSize() < bufferBytes) return false;
        if (!external[id] && b.address() % AlignedAllocator.PAGE != 0) return false;
        long w = cb.lvWord(id);
        int pending = SlotWord.pending(w), held = SlotWord.held(w);
        if ((pending & ~allGroups) != 0 || (held & ~pending) != 0) return false;
        int phase = SlotWord.phase(w);
        if (phase == SlotWord.PUBLISHED) return pending != 0;
        if (phase == SlotWord.RETIRED) return false;
        return pending == 0 && held == 0;
    }

    public boolean validateBuffer(Frame f) { return f.pool() == this && validateBuffer(f.id()); }

    public boolean validateAllBuffers() {
        for (int s = 0; s < slotCount; s++) if (!validateBuffer(s)) return false;
        return true;
    }

    /** Statistics now (S1.3, S6.1). */
    public PoolStats stats() {
        int[] byState = new int[FrameState.values().length];
        int[] heldBy = new int[groupCount];
        for (int s = 0; s < slotCount; s++) {
            long w = cb.lvWord(s);
            byState[SlotWord.state(w).ordinal()]++;
            int held = SlotWord.held(w);
            for (int g = 0; g < groupCount; g++) if ((held & (1 << g)) != 0) heldBy[g]++;
        }
        var groups = new ArrayList<GroupStats>(groupCount);
        for (int g = 0; g < groupCount; g++) {
            long rec = cb.group(g);
            groups.add(new GroupStats(groupNames[g], lag(g), taken(g),
                    cb.lvCounter(rec + ControlBlock.G_DROPPED), cb.lvCounter(rec + ControlBlock.G_STALE_SKIPPED),
                    heldBy[g], cb.lvCounter(rec + ControlBlock.G_ACQUIRE_WAITS),
                    cb.lvCounter(rec + ControlBlock.G_ACQUIRE_TIMEOUTS)));
        }
        long totalBytes = 0;
        for (MemorySegment b : buffers) totalBytes += b.byteSize();
        return new PoolStats(name, slotCount, byState[FrameState.IDLE.ordinal()],
                byState[FrameState.LOCKED_BY_PRODUCER.ordinal()], byState[FrameState.READY_FOR_CONSUME.ordinal()],
                byState[FrameState.LOCKED_BY_CONSUMER.ordinal()], byState[FrameState.RETIRED.ordinal()],
                bufferBytes, totalBytes, cb.segment().byteSize(), backing,
                published(), cb.lvCounter(ControlBlock.P_ACQUIRE_WAITS),
                cb.lvCounter(ControlBlock.P_ACQUIRE_TIMEOUTS), cb.lvCounter(ControlBlock.P_ACQUIRE_FAILS),
                cb.lvCounter(ControlBlock.P_RECLAIMS), List.copyOf(groups));
    }

    /** Seed 001's printStats, to standard output. */
    public void printStats() { printStats(System.out); }

    public void printStats(PrintStream out) { out.println(stats()); }

    /** Seed 001's printAllBuffers: one line per buffer. */
    public void printAllBuffers() { printAllBuffers(System.out); }

    public void printAllBuffers(PrintStream out) {
        out.print(buffersReport());
    }

    /** The text of {@link #printAllBuffers()}. */
    public String buffersReport() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("pool '%s': %d buffers%n", name, slotCount));
        sb.append(String.format("%5s %-19s %4s %6s %10s %18s %12s %9s %-9s %s%n",
                "id", "state", "refs", "gen", "sequence", "address", "phys", "bytes", "owner", "held by"));
        for (int s = 0; s < slotCount; s++) {
            BufferInfo i = getBufferById(s).orElseThrow();
            sb.append(String.format("%5d %-19s %4d %6d %10d %#18x %#12x %9d %-9s %s%n", s, i.state(), i.refCount(),
                    i.generation(), i.sequence(), i.segment().address(), i.physicalAddress(), i.size(),
                    i.ownership(), i.heldBy().isEmpty() ? "-" : String.join(",", i.heldBy())));
        }
        return sb.toString();
    }

    // =====================================================================================
    // Closing
    // =====================================================================================

    /**
     * Closes the pool: waiting acquires return null, the MBean is unregistered, owned memory is
     * freed and the deleters of buffer handles run. Frames still held become unusable (access
     * to their memory throws). Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        if (mbean != null) mbean.unregister();
        try {
            if (allocation != null) allocation.close();
        } finally {
            if (ownsHandles) for (BufferHandle h : handles) h.close();
        }
    }

    // =====================================================================================
    // Internals used by Frame, Consumer, PoolMBean
    // =====================================================================================

    String groupName(int g) { return groupNames[g]; }
    MemorySegment bufferFor(int s) { return buffers[s]; }

    MemorySegment planeFor(int s, int i) {
        if (planes == null) {
            throw new IllegalStateException("pool '" + name + "' was built without a FrameLayout, so frames have no planes;"
                    + " build it with layout(...) or use segment()");
        }
        MemorySegment[] p = planes[s];
        if (i < 0 || i >= p.length) {
            throw new IndexOutOfBoundsException("plane " + i + " is outside 0.." + (p.length - 1) + " of " + layout.format());
        }
        return p[i];
    }

    long bufferSize(int s) { return buffers[s].byteSize(); }
    long physicalAddress(int s) { return physical[s]; }
    int fd(int s) { return fds[s]; }
    Ownership ownership(int s) { return external[s] ? Ownership.EXTERNAL : Ownership.OWNED; }
    boolean isExternal(int s) { return external[s]; }

    boolean isAlive(int s) {
        if (handles != null) return handles[s].isAlive();
        return buffers[s].scope().isAlive();
    }

    private void checkOwn(Frame f) {
        if (f.pool() != this) {
            throw new IllegalArgumentException("frame " + f.id() + " belongs to pool '" + f.pool().name()
                    + "', not to pool '" + name + "'");
        }
    }

    StaleFrameException staleHandle(String op, Frame f) {
        long w = cb.lvWord(f.slot);
        FrameState expected = f.group < 0 ? FrameState.LOCKED_BY_PRODUCER : FrameState.LOCKED_BY_CONSUMER;
        String why;
        if (SlotWord.gen(w) != f.gen) {
            why = "the buffer has been reused since (now generation " + SlotWord.gen(w) + "): this handle is stale";
        } else if (f.group < 0) {
            why = "this handle was already submitted or aborted";
        } else {
            why = "this handle was already released (double release?)";
        }
        return new StaleFrameException(op, f.slot, f.gen, SlotWord.state(w), expected, why);
    }

    private void dropEvent(int g, int slot, long seq, String reason) {
        FrameDroppedEvent ev = new FrameDroppedEvent();
        if (ev.shouldCommit()) {
            ev.pool = name;
            ev.group = groupNames[g];
            ev.frameId = slot;
            ev.sequence = seq;
            ev.reason = reason;
            ev.commit();
        }
    }

    private void timeoutEvent(String side, long timeoutNanos) {
        AcquireTimeoutEvent ev = new AcquireTimeoutEvent();
        if (ev.shouldCommit()) {
            ev.pool = name;
            ev.side = side;
            ev.timeout = timeoutNanos;
            ev.commit();
        }
    }

    static int formatId(PixelFormat f) { return f == null ? 0 : f.ordinal() + 1; }

    static PixelFormat formatOf(int id) { return id >= 1 && id <= FORMATS.length ? FORMATS[id - 1] : null; }

    static long nanos(Duration d) {
        if (d.isNegative()) throw new IllegalArgumentException("timeout " + d + " is negative; use Duration.ZERO for no wait");
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    @Override
    public String toString() {
        return "FramePool[" + name + ", " + slotCount + " x " + bufferBytes + " bytes, groups " + Arrays.toString(groupNames) + "]";
    }
}
