package dev.vbuf.pool;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.memory.AlignedAllocator;
import dev.vbuf.memory.Allocation;
import dev.vbuf.memory.Allocator;
import dev.vbuf.memory.BufferHandle;
import dev.vbuf.memory.ExternalBuffer;
import dev.vbuf.memory.Ownership;
import dev.vbuf.memory.Posix;
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

    /**
     * Test hook for the crash tests (DESIGN.md: "a test hook can stop a process between any two
     * writes"): with {@code -Dvbuf.test.crashPoint=N} a process stops for ever at point N,
     * after printing {@code CRASH-POINT N} on standard output, so that the test can SIGKILL it
     * there. 0 (the default) compiles away. Points: 1 submit, after the PUBLISHED CAS and before
     * any ring offer; 2 release, after the CAS that frees the slot and before it is queued; 3
     * acquireFilled, after the holder claim and before the slot word CAS; 4 acquireFree, after
     * the FREE to PRODUCER CAS and before the ring entry is removed.
     */
    private static final int CRASH_POINT = Integer.getInteger("vbuf.test.crashPoint", 0);
    /** Longest single futex sleep: closing, interrupts, deadlines and end of stream are noticed this often. */
    static final long MAX_SLEEP_NANOS = 100_000_000L;
    /** A sleep registration is honoured this long past the longest sleep (then it is assumed dead). */
    static final long SLEEP_DEADLINE_SLACK_NANOS = 50_000_000L;
    /** Test hook: build every default-allocator pool as a shared pool (the conformance run on the shared backing). */
    private static final boolean SHARED_BACKING_FOR_TESTS = Boolean.getBoolean("vbuf.test.sharedBacking");
    private static final AtomicInteger SHARED_TEST_IDS = new AtomicInteger();

    private static void crashPoint(int n) {
        if (CRASH_POINT == n) {
            System.out.println("CRASH-POINT " + n);
            System.out.flush();
            for (;;) java.util.concurrent.locks.LockSupport.park();
        }
    }

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
    /** Shared pools record which process owns each slot (crash recovery); private pools do not. */
    private final boolean tracked;
    /** This process's 1-based index in the shared pool's process table; 0 for a private pool. */
    private final int me;
    /** The mapped file of a shared pool; null for a private pool. */
    private final SharedRegion region;
    private final boolean futex;
    private final MemorySegment freeFutexWord;
    private final MemorySegment[] groupFutexWords;
    private volatile boolean closed;

    private FramePool(Builder b, BuiltMemory mem) { this(b, mem, null); }

    FramePool(Builder b, BuiltMemory mem, SharedRegion region) {
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

        this.region = region;
        this.tracked = region != null;
        this.me = region != null ? region.index() : 0;
        this.futex = waitStrategy instanceof WaitStrategy.Futex;
        ControlBlock.Geometry g;
        boolean fresh = region == null || region.creator();
        if (region == null) {
            g = ControlBlock.Geometry.of(slotCount, groupCount);
            // The control block is GC-managed (Arena.ofAuto): a thread still inside acquire while
            // another closes the pool reads valid memory, sees `closed` and returns null. The
            // buffers themselves are freed at close.
            this.cb = ControlBlock.format(Arena.ofAuto().allocate(g.totalBytes(), ControlBlock.ALIGN), g, bufferBytes,
                    groupNames, 0, 0, 0, layout);
        } else if (fresh) {
            // A new shared pool: formatted in a file nobody can see yet (SharedRegion publishes
            // it under its name only when complete).
            g = region.geometry();
            this.cb = ControlBlock.format(region.controlBlock(), g, bufferBytes, groupNames, 0,
                    region.dataOffset(), region.bufferStride(), layout);
        } else {
            g = region.geometry(); // validated by SharedRegion.attach before we get here
            this.cb = ControlBlock.view(region.controlBlock(), g);
        }
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
            if (!fresh) continue;
            cb.spLong(s, ControlBlock.S_SEQUENCE, -1L);
            if (!external[s]) {
                cb.spLong(s, ControlBlock.S_BUFFER_OFFSET, region != null
                        ? region.dataOffset() + (long) s * region.bufferStride() : (long) s * bufferBytes);
            }
            cb.spLong(s, ControlBlock.S_BUFFER_BYTES, buffers[s].byteSize());
            if (!freeRing.offer(SlotWord.entry(s, 0))) {
                throw new AssertionError("free ring of capacity " + freeRing.capacity() + " cannot hold " + slotCount);
            }
        }
        this.freeFutexWord = cb.segment().asSlice(ControlBlock.P_FREE_FUTEX, 4);
        this.groupFutexWords = new MemorySegment[groupCount];
        for (int i = 0; i < groupCount; i++) groupFutexWords[i] = cb.segment().asSlice(cb.group(i) + ControlBlock.G_FUTEX, 4);
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
        private boolean allocatorSet;
        private String sharedName;
        private int sharedMode = 0600;
        private int processCapacity = SharedRegion.DEFAULT_PROCESS_CAPACITY;
        private Duration reclaimAfter = SharedRegion.DEFAULT_RECLAIM_AFTER;
        private boolean keepFile;
        private int sharedNumaNode = -1;
        private boolean sharedLocked;

        private Builder() {}

        /**
         * Binds a shared pool's buffers to NUMA node {@code node} (mbind on the shared mapping;
         * the placement is read back and shown in {@link FramePool#backing()}); -1 for none. A
         * node the machine does not have is refused with the list of nodes it has.
         */
        public Builder sharedNumaNode(int node) {
            if (node < -1) throw new IllegalArgumentException("NUMA node " + node + " is negative; give -1 for none");
            this.sharedNumaNode = node;
            return this;
        }

        /** Locks a shared pool's whole file in memory (mlock) while this pool is open. */
        public Builder sharedLocked(boolean locked) {
            this.sharedLocked = locked;
            return this;
        }

        /**
         * Makes the pool shared under {@code name}: control block and buffers live in
         * /dev/shm/vbuf.NAME, which other processes attach to with {@link FramePool#attach}.
         * The file is removed when this pool closes (unless {@link #keepFile}).
         */
        public Builder shared(String name) {
            this.sharedName = dev.vbuf.shm.ShmNames.check(name);
            if (this.name == null) this.name = name;
            return this;
        }

        /** Permission bits of a shared pool's file, 0600 (default, owner only) to 0666. */
        public Builder sharedMode(int mode) {
            if ((mode & ~0777) != 0 || (mode & 0600) != 0600) {
                throw new IllegalArgumentException("shared pool mode 0" + Integer.toOctalString(mode)
                        + " is not valid: give permission bits 0600..0666 (the owner needs read and write)");
            }
            this.sharedMode = mode;
            return this;
        }

        /** Most processes attached to a shared pool at once, 1..4096 (default 64). */
        public Builder processCapacity(int n) {
            if (n < 1 || n > SharedRegion.MAX_PROCESS_CAPACITY) {
                throw new IllegalArgumentException("process capacity " + n + " is outside 1.." + SharedRegion.MAX_PROCESS_CAPACITY);
            }
            this.processCapacity = n;
            return this;
        }

        /**
         * How soon the slots of a dead peer of a shared pool are recovered (default 1 s; the
         * peers are checked every quarter of it), 10 ms..1 h.
         */
        public Builder reclaimAfter(Duration d) {
            if (d.compareTo(Duration.ofMillis(10)) < 0 || d.compareTo(Duration.ofHours(1)) > 0) {
                throw new IllegalArgumentException("reclaim delay " + d + " is outside 10 ms..1 h");
            }
            this.reclaimAfter = d;
            return this;
        }

        /** Leave a shared pool's file in /dev/shm when the pool closes (default: remove it). */
        public Builder keepFile(boolean keep) {
            this.keepFile = keep;
            return this;
        }

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
            this.allocatorSet = true;
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
            if (sharedName == null && SHARED_BACKING_FOR_TESTS && externals == null && handleList == null && !allocatorSet) {
                // The conformance run (vbuf-core pom, execution conformance-shared): same tests, shared backing.
                shared("conformance-" + ProcessHandle.current().pid() + "-" + SHARED_TEST_IDS.incrementAndGet());
            }
            if (sharedName != null) return buildShared(size);
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

        private FramePool buildShared(long size) {
            if (externals != null || handleList != null) {
                throw new IllegalArgumentException("a shared pool's buffers live in its shared file; external buffers"
                        + " and handles cannot be shared. Drop shared(...) or the external buffers");
            }
            if (allocatorSet) {
                throw new IllegalArgumentException("a shared pool's buffers live in its shared file (/dev/shm); an"
                        + " allocator cannot be combined with shared(...)");
            }
            if (count < 0) throw new IllegalArgumentException("buffer count not set; call count(n)");
            if (size < 1) throw new IllegalArgumentException("buffer size not set; call bufferSize(bytes) or layout(layout)");
            SharedRegion region = SharedRegion.create(sharedName, count, groups.size(), size, alignment, sharedMode,
                    processCapacity, reclaimAfter, keepFile, sharedNumaNode, sharedLocked);
            try {
                FramePool pool = new FramePool(this, BuiltMemory.shared(region, count, size), region);
                region.publish();
                region.startMonitor(pool);
                return pool;
            } catch (RuntimeException | Error e) {
                region.abandon();
                throw e;
            }
        }
    }

    /**
     * Attaches to the shared pool {@code name} (created by another process with
     * {@link Builder#shared}), with the futex wait strategy, BLOCK overflow and a 1 s reclaim
     * delay. Everything read from the file is validated first; a file that is not a valid pool,
     * or that other users could write, is refused with a message saying why and what to do.
     */
    public static FramePool attach(String name) { return attach(name, new AttachOptions()); }

    public static FramePool attach(String name, AttachOptions o) {
        SharedRegion.Attached a = SharedRegion.attach(name, o.observe, o.allowGroupWritable, o.reclaimAfter);
        try {
            Builder b = builder().name(name).groups(a.groups()).overflow(o.overflow).waitStrategy(o.waitStrategy)
                    .jmx(o.jmx).recordTimestamps(o.timestamps).count(a.slotCount());
            if (a.layout() != null) b.layout(a.layout());
            b.bufferSize(a.bufferBytes());
            FramePool pool = new FramePool(b, BuiltMemory.shared(a.region(), a.slotCount(), a.bufferBytes()), a.region());
            a.region().startMonitor(pool);
            return pool;
        } catch (RuntimeException | Error e) {
            if (!o.observe) {
                // give the entry back; nothing was taken with it yet
                a.region().releaseEntryQuietly();
            }
            throw e;
        }
    }

    /** How {@link #attach(String, AttachOptions)} attaches. */
    public static final class AttachOptions {
        private Overflow overflow = Overflow.BLOCK;
        private WaitStrategy waitStrategy = WaitStrategy.futex();
        private Duration reclaimAfter = SharedRegion.DEFAULT_RECLAIM_AFTER;
        private boolean observe;
        private boolean allowGroupWritable;
        private boolean jmx = true;
        private boolean timestamps;

        public AttachOptions overflow(Overflow o) { this.overflow = Objects.requireNonNull(o); return this; }
        public AttachOptions waitStrategy(WaitStrategy w) { this.waitStrategy = Objects.requireNonNull(w); return this; }
        public AttachOptions jmx(boolean on) { this.jmx = on; return this; }
        public AttachOptions recordTimestamps(boolean on) { this.timestamps = on; return this; }

        public AttachOptions reclaimAfter(Duration d) {
            if (d.compareTo(Duration.ofMillis(10)) < 0 || d.compareTo(Duration.ofHours(1)) > 0) {
                throw new IllegalArgumentException("reclaim delay " + d + " is outside 10 ms..1 h");
            }
            this.reclaimAfter = d;
            return this;
        }

        /** Look without taking part: no process entry, no monitor (for 'vbuf inspect'). */
        public AttachOptions observe(boolean on) { this.observe = on; return this; }

        /** Accept a file its group may write (a pool created with mode 0660 on purpose). */
        public AttachOptions allowGroupWritable(boolean on) { this.allowGroupWritable = on; return this; }
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

        static BuiltMemory shared(SharedRegion r, int count, long size) {
            var bufs = new MemorySegment[count];
            for (int i = 0; i < count; i++) bufs[i] = r.buffer(i, size);
            var fds = new int[count];
            Arrays.fill(fds, -1);
            return new BuiltMemory(bufs, new long[count], fds, new boolean[count], null, null,
                    "shared file " + r.path() + " (" + r.fileBytes() + " bytes)" + r.memoryNote(), size);
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
            if (futex && attempt >= WaitStrategy.Futex.SPINS) {
                sleepOn(freeFutexWord, ControlBlock.P_FREE_FUTEX, ControlBlock.P_FREE_WAITERS,
                        ControlBlock.P_FREE_SLEEP_DEADLINE, freeRing, start, timeoutNanos);
            } else {
                waitStrategy.idle(attempt);
            }
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

    /**
     * Takes the free ring's head slot. Peek, then CAS the slot word FREE to PRODUCER(owner),
     * then remove the ring entry: a producer that dies at any point leaves either the entry in
     * the ring (the slot still FREE) or the slot recorded as its own (recovered when it is
     * found dead); the entry of a slot already taken is stale and whoever sees it removes it.
     */
    private Frame pollFree() {
        for (;;) {
            long h = freeRing.head();
            long e = freeRing.peek(h);
            if (e < 0) {
                if (e == MpmcRing.EMPTY) return null;
                if (e == MpmcRing.TAKEN) freeRing.advance(h);
                else freeRing.repairHead(h); // RETRY: a malformed cell is skipped, never spun on
                continue;
            }
            int s = SlotWord.entrySlot(e);
            long gen = SlotWord.entryGen(e);
            if (s >= slotCount) { // never trust an index: drop the entry
                freeRing.remove(h, e);
                continue;
            }
            long w = cb.lvWord(s);
            if (SlotWord.phase(w) != SlotWord.FREE || SlotWord.gen(w) != gen) { // stale entry
                freeRing.remove(h, e);
                continue;
            }
            if (external[s] && !isAlive(s)) {
                if (cb.casWord(s, w, SlotWord.make(SlotWord.RETIRED, 0, 0, gen))) cb.increment(ControlBlock.P_RETIRED);
                freeRing.remove(h, e);
                continue;
            }
            if (cb.casWord(s, w, SlotWord.make(SlotWord.PRODUCER, me, 0, gen))) {
                if (CRASH_POINT != 0) crashPoint(4);
                freeRing.remove(h, e);
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
        publish(f, true);
    }

    /**
     * Batched publication (S4.2): publishes {@code frames[0..count)} in order, like as many
     * {@link #submitFilled(Frame)} calls, but wakes each group's sleepers (a system call in a
     * shared pool with futex waiters) once for the batch instead of once per frame.
     */
    public void submitFilled(Frame[] frames, int count) {
        Objects.checkFromIndexSize(0, count, frames.length);
        for (int i = 0; i < count; i++) publish(frames[i], false);
        for (int g = 0; g < groupCount; g++) wakeGroup(g);
    }

    private void publish(Frame f, boolean wake) {
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
        if (CRASH_POINT != 0) crashPoint(1);
        long e = SlotWord.entry(s, gen);
        for (int g = 0; g < groupCount; g++) {
            MpmcRing ring = groupRings[g];
            while (!ring.offer(e)) {
                // Full of frames the group does not read (and entries of frames taken back):
                // its oldest entry gives way, counted as a drop if still live.
                long old = ring.poll();
                if (old != MpmcRing.EMPTY) {
                    cb.increment(cb.group(g) + ControlBlock.G_FULL_POPS);
                    dropForGroup(g, old, "queue full");
                }
            }
            if (wake) wakeGroup(g);
        }
    }

    private void wakeGroup(int g) {
        long rec = cb.group(g);
        wake(rec + ControlBlock.G_FUTEX, rec + ControlBlock.G_WAITERS, rec + ControlBlock.G_SLEEP_DEADLINE, groupFutexWords[g]);
    }

    /**
     * Wakes the sleepers on a futex word, if any: one volatile read when nobody registered. A
     * registration also renews a deadline a little beyond the longest sleep, so a sleeper that
     * was SIGKILLed (and never took its count back) stops costing wake-up system calls once
     * its deadline passes; the count alone could not tell a dead sleeper from a live one.
     */
    private void wake(long wordOffset, long waitersOffset, long deadlineOffset, MemorySegment word) {
        if (cb.lvInt(waitersOffset) != 0 && System.nanoTime() - cb.lvCounter(deadlineOffset) < 0) {
            cb.getAndAddInt(wordOffset, 1);
            Posix.futexWake(word, Integer.MAX_VALUE);
        }
    }

    /**
     * Sleeps in the kernel on {@code word} until woken, at most until the deadline and at most
     * 100 ms (so closing, interrupts and dead peers are noticed), unless {@code ring} already has
     * an entry. Registers as a waiter first, so a peer that queues after our check sees the
     * waiter and wakes us (no lost wake-up).
     */
    private void sleepOn(MemorySegment word, long wordOffset, long waitersOffset, long deadlineOffset, MpmcRing ring,
                         long start, long timeoutNanos) {
        cb.getAndAddInt(waitersOffset, 1);
        cb.setMax(deadlineOffset, System.nanoTime() + MAX_SLEEP_NANOS + SLEEP_DEADLINE_SLACK_NANOS);
        try {
            int v = cb.lvInt(wordOffset);
            if (ring.size() > 0 || closed || endOfStream()) return;
            long left = timeoutNanos == Long.MAX_VALUE ? Long.MAX_VALUE : timeoutNanos - (System.nanoTime() - start);
            if (left <= 0) return;
            Posix.futexWait(word, v, Math.min(left, MAX_SLEEP_NANOS));
        } finally {
            cb.getAndAddInt(waitersOffset, -1);
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
     * Returns an IDLE slot to the free ring and wakes producers asleep on it. The ring has room
     * for two entries per slot, so it can only be full after crash recovery re-queued entries
     * (duplicates): then its oldest entries are popped, and any that is still a live free slot
     * is queued again, so no slot is ever lost.
     */
    private void offerFree(int s, long gen) {
        queueFree(SlotWord.entry(s, gen));
        wake(ControlBlock.P_FREE_FUTEX, ControlBlock.P_FREE_WAITERS, ControlBlock.P_FREE_SLEEP_DEADLINE, freeFutexWord);
    }

    private void queueFree(long e) {
        while (!freeRing.offer(e)) {
            long old = freeRing.poll();
            // a live entry popped to make room goes back first (the cell just freed is for it)
            if (old != MpmcRing.EMPTY && old != e && isLiveFree(old)) queueFree(old);
        }
    }

    private boolean isLiveFree(long e) {
        int s = SlotWord.entrySlot(e);
        if (s >= slotCount) return false;
        long w = cb.lvWord(s);
        return SlotWord.phase(w) == SlotWord.FREE && SlotWord.gen(w) == SlotWord.entryGen(e);
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
            if (cb.casWord(best, bestWord, SlotWord.make(SlotWord.PRODUCER, me, 0, ng))) {
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
        if (endOfStream() && groupRings[g].size() == 0) return null;
        long rec = cb.group(g);
        cb.increment(rec + ControlBlock.G_ACQUIRE_WAITS);
        final long start = System.nanoTime();
        for (int attempt = 0; ; attempt++) {
            if (futex && attempt >= WaitStrategy.Futex.SPINS) {
                sleepOn(groupFutexWords[g], rec + ControlBlock.G_FUTEX, rec + ControlBlock.G_WAITERS,
                        rec + ControlBlock.G_SLEEP_DEADLINE, groupRings[g], start, timeoutNanos);
            } else {
                waitStrategy.idle(attempt);
            }
            f = pollFilled(g);
            if (f != null) return f;
            if (closed || Thread.currentThread().isInterrupted()) return null;
            if (endOfStream() && groupRings[g].size() == 0) return null;
            if (timeoutNanos != Long.MAX_VALUE && System.nanoTime() - start >= timeoutNanos) {
                cb.increment(rec + ControlBlock.G_ACQUIRE_TIMEOUTS);
                timeoutEvent(groupNames[g], timeoutNanos);
                return null;
            }
        }
    }

    /**
     * Takes group g's next frame. Peek the ring's head entry, (shared pools: claim the slot's
     * holder field for this process), CAS the group's held bit on, then remove the entry. A
     * consumer that dies at any point leaves the entry queued, or the frame recorded as held by
     * its process (recovered when it is found dead); an entry whose frame was already taken by
     * the group, released, or taken back is stale and removed by whoever sees it.
     */
    private Frame pollFilled(int g) {
        MpmcRing ring = groupRings[g];
        int bit = 1 << g;
        long rec = cb.group(g);
        for (int busy = 0; ; ) {
            long h = ring.head();
            long e = ring.peek(h);
            if (e < 0) {
                if (e == MpmcRing.EMPTY) return null;
                if (e == MpmcRing.TAKEN) ring.advance(h);
                else if (ring.repairHead(h)) cb.increment(rec + ControlBlock.G_STALE_SKIPPED);
                continue;
            }
            int s = SlotWord.entrySlot(e);
            long gen = SlotWord.entryGen(e);
            if (s >= slotCount) { // never trust an index
                if (ring.remove(h, e)) cb.increment(rec + ControlBlock.G_STALE_SKIPPED);
                continue;
            }
            long w = cb.lvWord(s);
            if (SlotWord.phase(w) != SlotWord.PUBLISHED || SlotWord.gen(w) != gen
                    || (SlotWord.pending(w) & bit) == 0 || (SlotWord.held(w) & bit) != 0) {
                if (ring.remove(h, e)) cb.increment(rec + ControlBlock.G_STALE_SKIPPED);
                continue;
            }
            if (tracked && !cb.casHolder(s, g, 0, me)) {
                // Another consumer of the group is taking this very entry: let it finish.
                if (busy++ < 64) Thread.onSpinWait(); else Thread.yield();
                continue;
            }
            if (CRASH_POINT != 0) crashPoint(3);
            if (cb.casWord(s, w, SlotWord.make(SlotWord.PUBLISHED, SlotWord.pending(w), SlotWord.held(w) | bit, gen))) {
                ring.remove(h, e);
                cb.increment(rec + ControlBlock.G_TAKEN);
                Frame f = consumerFrames[g][s];
                f.gen = gen;
                f.open = true;
                return f;
            }
            if (tracked) cb.soHolder(s, g, 0);
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
                if (CRASH_POINT != 0 && pending == 0) crashPoint(2);
                if (tracked) cb.soHolder(slot, f.group, 0);
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
        // A frame lost to a dead consumer was taken and also counted dropped: count it once.
        long rec = cb.group(g);
        long lag = published() - taken(g) - cb.lvCounter(rec + ControlBlock.G_DROPPED)
                + cb.lvCounter(rec + ControlBlock.G_LOST_TO_CRASH);
        return Math.max(0, lag);
    }

    /**
     * Frames submitted: the sequence counter (a submit in progress counts from the moment it
     * takes its number). No counter of its own, so submit does one atomic add less.
     */
    private long published() {
        return cb.lvCounter(ControlBlock.P_NEXT_SEQUENCE);
    }

    /** Frames group g's consumers acquired. */
    private long taken(int g) {
        return cb.lvCounter(cb.group(g) + ControlBlock.G_TAKEN);
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
                SlotWord.state(w), Integer.bitCount(SlotWord.refs(w)), SlotWord.gen(w), fds[id],
                cb.lpLong(id, ControlBlock.S_SEQUENCE), cb.lpLong(id, ControlBlock.S_CAPTURE_NANOS),
                cb.lpLong(id, ControlBlock.S_PTS), cb.lpLong(id, ControlBlock.S_PAYLOAD_BYTES),
                cb.lpInt(id, ControlBlock.S_WIDTH), cb.lpInt(id, ControlBlock.S_HEIGHT),
                formatOf(cb.lpInt(id, ControlBlock.S_FORMAT)), cb.lpInt(id, ControlBlock.S_FLAGS),
                groupsOf(SlotWord.refs(w)), groupsOf(SlotWord.held(w)), isAlive(id)));
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
        int phase = SlotWord.phase(w);
        if (phase == SlotWord.PRODUCER) return held == 0 && (tracked || pending == 0); // pending = owner
        if ((pending & ~allGroups) != 0 || (held & ~pending) != 0) return false;
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
            if (region != null) {
                if (region.creator()) markEndOfStream();
                wakeAll(); // this process's own sleepers see `closed`
                region.close(this);
            }
            if (allocation != null) allocation.close();
        } finally {
            if (ownsHandles) for (BufferHandle h : handles) h.close();
        }
    }

    /**
     * Marks the end of the stream (a shared pool's creator does this when it closes): consumers
     * get the frames still queued, then null from acquireFilled, and {@link #endOfStream()} is true.
     */
    public void markEndOfStream() {
        cb.getAndBitwiseOrInt(ControlBlock.H_STATE, ControlBlock.STATE_CLOSED);
        wakeAll();
    }

    /** True once the producer side closed the pool (end of stream); consumers drain what is queued. */
    public boolean endOfStream() {
        return (cb.lvInt(ControlBlock.H_STATE) & ControlBlock.STATE_CLOSED) != 0;
    }

    private void wakeAll() {
        cb.getAndAddInt(ControlBlock.P_FREE_FUTEX, 1);
        Posix.futexWake(freeFutexWord, Integer.MAX_VALUE);
        for (int g = 0; g < groupCount; g++) {
            cb.getAndAddInt(cb.group(g) + ControlBlock.G_FUTEX, 1);
            Posix.futexWake(groupFutexWords[g], Integer.MAX_VALUE);
        }
    }

    // =====================================================================================
    // Shared pools: crash recovery (DESIGN.md "Crash consistency")
    // =====================================================================================

    /** True for a pool in a named shared-memory file (created here or attached to). */
    public boolean isShared() { return region != null; }

    /** The shared region's name, or null for a private pool. */
    public String sharedName() { return region == null ? null : region.name(); }

    /** The processes attached to a shared pool now (empty for a private pool). */
    public List<SharedRegion.Peer> peers() { return region == null ? List.of() : region.peers(); }

    /**
     * Gives back everything process-table entry {@code owner} (a dead process, or this one at
     * close) had: slots it was filling become IDLE, frames it held are released for their group
     * (counted as dropped and lost to a crash for that group: never delivered twice), its
     * holder claims are cleared, and any slot it left between two steps (freed but not queued,
     * published but not queued for every group) is queued again. Every change is one CAS of a
     * slot word, so live peers can keep running meanwhile. Returns the slots recovered.
     */
    int recoverOwner(int owner) {
        int recovered = 0;
        for (int s = 0; s < slotCount; s++) {
            for (;;) {
                long w = cb.lvWord(s);
                if (SlotWord.phase(w) != SlotWord.PRODUCER || SlotWord.owner(w) != owner) break;
                long ng = SlotWord.nextGen(SlotWord.gen(w));
                if (cb.casWord(s, w, SlotWord.make(SlotWord.FREE, 0, 0, ng))) {
                    offerFree(s, ng);
                    recovered++;
                    break;
                }
            }
            for (int g = 0; g < groupCount; g++) {
                if (cb.lvHolder(s, g) != owner) continue;
                int bit = 1 << g;
                for (;;) {
                    long w = cb.lvWord(s);
                    if (SlotWord.phase(w) != SlotWord.PUBLISHED || (SlotWord.held(w) & bit) == 0) break;
                    long gen = SlotWord.gen(w);
                    int pending = SlotWord.pending(w) & ~bit;
                    long ng = SlotWord.nextGen(gen);
                    long nw = pending == 0 ? SlotWord.make(SlotWord.FREE, 0, 0, ng)
                            : SlotWord.make(SlotWord.PUBLISHED, pending, SlotWord.held(w) & ~bit, gen);
                    if (cb.casWord(s, w, nw)) {
                        long rec = cb.group(g);
                        cb.increment(rec + ControlBlock.G_DROPPED);
                        cb.increment(rec + ControlBlock.G_LOST_TO_CRASH);
                        dropEvent(g, s, cb.lpLong(s, ControlBlock.S_SEQUENCE), "consumer process died holding it");
                        if (pending == 0) offerFree(s, ng);
                        recovered++;
                        break;
                    }
                }
                cb.casHolder(s, g, owner, 0);
            }
        }
        requeueOrphans();
        if (recovered > 0) cb.getAndAdd(ControlBlock.P_SLOTS_RECOVERED, recovered);
        return recovered;
    }

    /**
     * Queues again every slot that is IDLE but not in the free ring, and every published frame
     * that a group still has to read but that is not in that group's ring (a process died
     * between the CAS that changed the slot and the ring offer). A live peer's offer in flight
     * may look the same: its entry is then queued twice, and the second copy is skipped as
     * stale, because every hand-off is guarded by the slot word.
     */
    void requeueOrphans() {
        for (int s = 0; s < slotCount; s++) {
            long w = cb.lvWord(s);
            long gen = SlotWord.gen(w);
            long e = SlotWord.entry(s, gen);
            if (SlotWord.phase(w) == SlotWord.FREE) {
                if (!freeRing.contains(e)) offerFree(s, gen);
            } else if (SlotWord.phase(w) == SlotWord.PUBLISHED) {
                int unread = SlotWord.pending(w) & ~SlotWord.held(w);
                for (int g = 0; g < groupCount; g++) {
                    if ((unread & (1 << g)) != 0 && !groupRings[g].contains(e)) {
                        groupRings[g].offer(e); // full: the group is far behind; the frame waits for reclaim
                        wakeGroup(g);
                    }
                }
            }
        }
    }

    ControlBlock controlBlock() { return cb; }

    /** Dead peers whose slots this pool recovered (any survivor's monitor). */
    public long peerRecoveries() { return cb.lvCounter(ControlBlock.P_PEER_RECOVERIES); }

    /** Slots recovered from dead peers. */
    public long slotsRecovered() { return cb.lvCounter(ControlBlock.P_SLOTS_RECOVERED); }

    /** Frames group {@code group} lost because a consumer of it died holding them (included in its drops). */
    public long lostToCrash(String group) {
        for (int g = 0; g < groupCount; g++) {
            if (groupNames[g].equals(group)) return cb.lvCounter(cb.group(g) + ControlBlock.G_LOST_TO_CRASH);
        }
        throw new IllegalArgumentException("no consumer group '" + group + "' in " + Arrays.toString(groupNames));
    }

    /**
     * Who owns buffer {@code id} in a shared pool, as text: the process filling it, the processes
     * holding it per group (process-table index and pid); "-" when nobody, or in a private pool.
     */
    public String ownersOf(int id) {
        if (!tracked || id < 0 || id >= slotCount) return "-";
        List<SharedRegion.Peer> peers = region.peers();
        var sb = new StringBuilder();
        long w = cb.lvWord(id);
        if (SlotWord.phase(w) == SlotWord.PRODUCER) sb.append("filling: ").append(peer(peers, SlotWord.owner(w)));
        for (int g = 0; g < groupCount; g++) {
            int h = cb.lvHolder(id, g);
            if (h == 0) continue;
            if (sb.length() > 0) sb.append("; ");
            sb.append((SlotWord.held(w) & (1 << g)) != 0 ? "held by " : "claimed by ").append(groupNames[g]).append(' ')
                    .append(peer(peers, h));
        }
        return sb.length() == 0 ? "-" : sb.toString();
    }

    private static String peer(List<SharedRegion.Peer> peers, int index) {
        for (SharedRegion.Peer p : peers) if (p.index() == index) return "#" + index + " pid " + p.pid() + (p.alive() ? "" : " (dead)");
        return "#" + index + " (no such process entry)";
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
    void syncCpu(int s, int access, boolean begin) { if (allocation != null) allocation.syncCpu(s, access, begin); }

    /** Where buffer {@code id}'s pages are, as its memory kind read it back (e.g. pages per NUMA node), else "". */
    public String placement(int id) {
        if (id < 0 || id >= slotCount) throw new IndexOutOfBoundsException("buffer " + id + " is outside 0.." + (slotCount - 1));
        return allocation == null ? "" : allocation.placement(id);
    }
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
