package dev.vbuf.pool;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.memory.AlignedAllocator;
import dev.vbuf.memory.Allocation;
import dev.vbuf.memory.Allocator;
import dev.vbuf.memory.BufferHandle;
import dev.vbuf.memory.ExternalBuffer;
import dev.vbuf.shm.PoolFile;
import dev.vbuf.shm.PoolFileValidator;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;

/**
 * Builds a {@link FramePool} ({@link FramePool#builder()}), and says how to attach to a shared one
 * ({@link AttachOptions}). Every setter validates its argument and says what it accepts; nothing
 * is allocated before {@link #build()}.
 */
public final class PoolBuilder {
    String name;
    private int count = -1;
    private long bufferBytes = -1;
    FrameLayout layout;
    private Allocator allocator = new AlignedAllocator();
    private long alignment = AlignedAllocator.PAGE;
    List<String> groups = List.of("default");
    Overflow overflow = Overflow.BLOCK;
    /** null: spin-then-park for a private pool, spin-then-futex for a shared one. */
    WaitStrategy waitStrategy;
    private boolean singleProducer;
    private boolean singleConsumers;
    boolean timestamps;
    boolean oldestFirst;
    boolean jmx = true;
    private boolean publishStats = Boolean.getBoolean(PUBLISH_STATS_PROPERTY);
    private List<ExternalBuffer> externals;
    private List<BufferHandle> handleList;
    private boolean allocatorSet;
    private String sharedName;
    private int sharedMode = 0600;
    private int processCapacity = PoolFile.DEFAULT_PROCESS_CAPACITY;
    private Duration reclaimAfter = PoolFile.DEFAULT_RECLAIM_AFTER;
    private boolean keepFile;
    private int sharedNumaNode = -1;
    private boolean sharedLocked;

    /**
     * System property that turns {@link #publishStats(boolean)} on by default for every private
     * pool built in this JVM ({@code -Dvbuf.publishStats=true}; the {@code vbuf} command sets it).
     */
    public static final String PUBLISH_STATS_PROPERTY = "vbuf.publishStats";

    PoolBuilder() {}

    /**
     * Binds a shared pool's buffers to NUMA node {@code node} (mbind on the shared mapping;
     * the placement is read back and shown in {@link FramePool#backing()}); -1 for none. A
     * node the machine does not have is refused with the list of nodes it has.
     */
    public PoolBuilder sharedNumaNode(int node) {
        if (node < -1) throw new IllegalArgumentException("NUMA node " + node + " is negative; give -1 for none");
        this.sharedNumaNode = node;
        return this;
    }

    /** What a shared pool's memory is and how other processes get it ({@link #sharedMemory}). */
    public enum SharedMemory {
        /**
         * A file in /dev/shm that other processes open by its path (tools can read and map it by
         * name; any process of the same user can also truncate it under its readers).
         */
        FILE(0),
        /**
         * A memfd sealed against shrinking and growing, passed by descriptor over a Unix socket at
         * the pool's name (the default where the kernel has sealable memfds: {@link #platformDefault()}).
         */
        MEMFD(dev.vbuf.shm.FdProtocol.KIND_MEMFD),
        /** A sealed memfd in explicit huge pages (MFD_HUGETLB): needs huge pages reserved (/proc/sys/vm/nr_hugepages). */
        HUGEPAGES(dev.vbuf.shm.FdProtocol.KIND_MEMFD_HUGETLB),
        /** One DMA-BUF per buffer from a DMA-BUF heap (/dev/dma_heap), passed by descriptor; the control block in a sealed memfd. */
        DMA_HEAP(dev.vbuf.shm.FdProtocol.KIND_DMA_HEAP),
        /** One DMA-BUF per buffer made from memfd pages by /dev/udmabuf, passed by descriptor. */
        UDMABUF(dev.vbuf.shm.FdProtocol.KIND_UDMABUF),
        /**
         * One DMA-BUF per buffer that a device exported (V4L2 VIDIOC_EXPBUF of its MMAP buffers),
         * given with {@link PoolBuilder#sharedBuffers}, passed by descriptor; the control block in a sealed memfd.
         */
        DEVICE_DMABUF(dev.vbuf.shm.FdProtocol.KIND_DEVICE_DMABUF);

        final int kind;
        SharedMemory(int kind) { this.kind = kind; }

        /**
         * The default of {@link #sharedMemory}: {@link #MEMFD} where this kernel creates memfds
         * that can be sealed (memfd_create with MFD_ALLOW_SEALING, Linux 3.17 and later; probed
         * once), else {@link #FILE}. The system property {@code vbuf.sharedMemory} ({@code file}
         * or {@code memfd}) overrides it for a whole JVM (for tools that need a path, and for
         * measuring one against the other).
         */
        public static SharedMemory platformDefault() {
            String p = System.getProperty("vbuf.sharedMemory");
            if (p != null) {
                return switch (p.strip().toLowerCase(java.util.Locale.ROOT)) {
                    case "file" -> FILE;
                    case "memfd" -> MEMFD;
                    default -> throw new IllegalArgumentException("-Dvbuf.sharedMemory=" + p + " is not a shared pool memory;"
                            + " give file (a /dev/shm file) or memfd (a sealed memfd passed by fd), or leave it unset");
                };
            }
            return dev.vbuf.shm.PoolFile.sealedMemfdAvailable() ? MEMFD : FILE;
        }
    }

    private SharedMemory sharedMemory; // null: SharedMemory.platformDefault() when the pool is built

    /**
     * What a shared pool's memory is (default {@link SharedMemory#platformDefault()}: a sealed
     * memfd where the kernel has them, else a /dev/shm file): a sealed memfd, huge
     * pages or DMA-BUFs are passed to attaching processes as descriptors over a Unix-domain
     * socket at the pool's name (docs/SHARED.md); {@link FramePool#attach} finds out which.
     */
    public PoolBuilder sharedMemory(SharedMemory memory) {
        this.sharedMemory = Objects.requireNonNull(memory);
        return this;
    }

    private dev.vbuf.memory.Allocation sharedBuffers;

    /**
     * The buffers of a {@link SharedMemory#DEVICE_DMABUF} pool: DMA-BUFs a device exported,
     * mapped ({@code buffers.buffer(i)}) with their descriptors ({@code buffers.fd(i)}), one per
     * buffer. The pool owns them: it closes them when it closes, or when the build fails.
     */
    public PoolBuilder sharedBuffers(dev.vbuf.memory.Allocation buffers) {
        this.sharedBuffers = Objects.requireNonNull(buffers);
        this.sharedMemory = SharedMemory.DEVICE_DMABUF;
        return this;
    }

    /** Locks a shared pool's whole file in memory (mlock) while this pool is open. */
    public PoolBuilder sharedLocked(boolean locked) {
        this.sharedLocked = locked;
        return this;
    }

    /**
     * Makes the pool shared under {@code name}: control block and buffers live in
     * /dev/shm/vbuf.NAME, which other processes attach to with {@link FramePool#attach}.
     * The file is removed when this pool closes (unless {@link #keepFile}).
     */
    public PoolBuilder shared(String name) {
        this.sharedName = dev.vbuf.shm.ShmNames.check(name);
        if (this.name == null) this.name = name;
        return this;
    }

    /** Permission bits of a shared pool's file, 0600 (default, owner only) to 0666. */
    public PoolBuilder sharedMode(int mode) {
        if ((mode & ~0777) != 0 || (mode & 0600) != 0600) {
            throw new IllegalArgumentException("shared pool mode 0" + Integer.toOctalString(mode)
                    + " is not valid: give permission bits 0600..0666 (the owner needs read and write)");
        }
        this.sharedMode = mode;
        return this;
    }

    /** Most processes attached to a shared pool at once, 1..4096 (default 64). */
    public PoolBuilder processCapacity(int n) {
        if (n < 1 || n > PoolFile.MAX_PROCESS_CAPACITY) {
            throw new IllegalArgumentException("process capacity " + n + " is outside 1.." + PoolFile.MAX_PROCESS_CAPACITY);
        }
        this.processCapacity = n;
        return this;
    }

    /**
     * How soon the slots of a dead peer of a shared pool are recovered (default 1 s; the
     * peers are checked every quarter of it), 10 ms..1 h.
     */
    public PoolBuilder reclaimAfter(Duration d) {
        if (d.compareTo(Duration.ofMillis(10)) < 0 || d.compareTo(Duration.ofHours(1)) > 0) {
            throw new IllegalArgumentException("reclaim delay " + d + " is outside 10 ms..1 h");
        }
        this.reclaimAfter = d;
        return this;
    }

    /** Leave a shared pool's file in /dev/shm when the pool closes (default: remove it). */
    public PoolBuilder keepFile(boolean keep) {
        this.keepFile = keep;
        return this;
    }

    /** The pool's name in statistics, JMX and JFR. */
    public PoolBuilder name(String name) {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("pool name is empty; give a name such as 'cam0'");
        this.name = name;
        return this;
    }

    /** Number of buffers, 1..{@value FramePool#MAX_BUFFERS}. */
    public PoolBuilder count(int count) {
        if (count < 1 || count > FramePool.MAX_BUFFERS) {
            throw new IllegalArgumentException("buffer count " + count + " is outside 1.." + FramePool.MAX_BUFFERS
                    + "; size the pool with PoolSizer (frames = fps x latency + safety)");
        }
        this.count = count;
        return this;
    }

    /** Bytes per buffer (when no layout is given). */
    public PoolBuilder bufferSize(long bytes) {
        if (bytes < 1) throw new IllegalArgumentException("buffer size " + bytes + " is not positive; give the frame size in bytes");
        this.bufferBytes = bytes;
        return this;
    }

    /** The frame layout: sets the buffer size and gives frames their planes and default metadata. */
    public PoolBuilder layout(FrameLayout layout) {
        this.layout = Objects.requireNonNull(layout, "layout");
        return this;
    }

    public PoolBuilder allocator(Allocator allocator) {
        this.allocator = Objects.requireNonNull(allocator, "allocator");
        this.allocatorSet = true;
        return this;
    }

    /** Buffer start alignment, a power of two from 4096 to 1 GiB. */
    public PoolBuilder alignment(long alignment) {
        if (alignment < AlignedAllocator.PAGE || Long.bitCount(alignment) != 1 || alignment > (1L << 30)) {
            throw new IllegalArgumentException("alignment " + alignment + " is not a power of two in 4096..1073741824");
        }
        this.alignment = alignment;
        return this;
    }

    /** Consumer groups, 1..{@value FramePool#MAX_GROUPS} distinct names of 1..31 UTF-8 bytes. Default: one group "default". */
    public PoolBuilder groups(String... names) { return groups(List.of(names)); }

    public PoolBuilder groups(List<String> names) {
        if (names.isEmpty() || names.size() > FramePool.MAX_GROUPS) {
            throw new IllegalArgumentException(names.size() + " consumer groups is outside 1.." + FramePool.MAX_GROUPS);
        }
        var seen = new HashSet<String>();
        for (String n : names) {
            if (n == null || n.isEmpty() || n.getBytes(StandardCharsets.UTF_8).length > FramePool.MAX_GROUP_NAME_BYTES) {
                throw new IllegalArgumentException("consumer group name '" + n + "' must be 1.." + FramePool.MAX_GROUP_NAME_BYTES + " UTF-8 bytes");
            }
            if (!seen.add(n)) throw new IllegalArgumentException("consumer group name '" + n + "' is given twice");
        }
        this.groups = List.copyOf(names);
        return this;
    }

    /** The default overflow policy of acquireFree. */
    public PoolBuilder overflow(Overflow overflow) {
        this.overflow = Objects.requireNonNull(overflow, "overflow");
        return this;
    }

    public PoolBuilder waitStrategy(WaitStrategy waitStrategy) {
        this.waitStrategy = Objects.requireNonNull(waitStrategy, "waitStrategy");
        return this;
    }

    /**
     * Declares that one producer (one thread, in one process) fills this pool at a time: the
     * pool then publishes with release stores where only the producer writes (sequence
     * numbers, the groups' queue tails) instead of atomic read-modify-writes. A shared pool
     * records the declaration in its header, so every process that attaches follows it.
     * Default false (any number of producers).
     */
    public PoolBuilder singleProducer(boolean one) {
        this.singleProducer = one;
        return this;
    }

    /**
     * Declares that each consumer group is read by one consumer (one thread) at a time: it then
     * takes frames with release stores where only it writes (its queue head, its counters).
     * In a pool private to this JVM with one group and overflow BLOCK or FAIL, nobody else can
     * change a frame queued for that consumer, so it takes and releases it with no atomic
     * operation at all; such a pool then refuses a reclaiming policy asked per call
     * ({@link FramePool#acquireFree(Overflow, long)}): build it with that policy instead.
     * Default false (any number of consumers per group).
     */
    public PoolBuilder singleConsumers(boolean one) {
        this.singleConsumers = one;
        return this;
    }

    int roleFlags() {
        return (singleProducer ? ControlBlock.SINGLE_PRODUCER : 0) | (singleConsumers ? ControlBlock.SINGLE_CONSUMERS : 0);
    }

    /** Record System.nanoTime() at submit in each frame (for hand-off latency); off by default. */
    public PoolBuilder recordTimestamps(boolean on) {
        this.timestamps = on;
        return this;
    }

    /**
     * Which free buffer this process's producer takes. By default (false) the one released last,
     * whose lines are likeliest still in the cache of the core that reads and writes it: best
     * when producer and consumer share a core or a cache. With true, the one released longest
     * ago first, so a buffer rests while the others go round: best when a consumer on another
     * core reads every byte and the pool is larger than that core's cache (a producer writing
     * lines the consumer's cache still holds pays for each line to be taken from it). A choice
     * of this process alone: a shared pool's other producers keep theirs.
     */
    public PoolBuilder reuseOldestFirst(boolean on) {
        this.oldestFirst = on;
        return this;
    }

    /**
     * Publishes a private pool's statistics for other processes: its control block (counters
     * and slot words, no pixels) is placed in a small file /dev/shm/vbuf-private.PID.N, mode
     * 0644, that {@code vbuf top} and {@code vbuf serve} read without taking part in the pool
     * (see {@link StatsFile}); the file is removed when the pool closes. Off by default, unless
     * the system property {@value #PUBLISH_STATS_PROPERTY} is true (the {@code vbuf} commands).
     * A shared pool's control block is already in its file: the option changes nothing there.
     */
    public PoolBuilder publishStats(boolean on) {
        this.publishStats = on;
        return this;
    }

    /**
     * Register a JMX MBean while the pool is open, and the JFR periodic statistics events
     * ({@code dev.vbuf.PoolStatistics}, {@code dev.vbuf.GroupStatistics}); on by default.
     */
    public PoolBuilder jmx(boolean on) {
        this.jmx = on;
        return this;
    }

    /** The user's buffers (no deleter): the pool never frees them. */
    public PoolBuilder external(List<ExternalBuffer> buffers) {
        if (buffers.isEmpty()) throw new IllegalArgumentException("external buffer list is empty; give at least one buffer");
        this.externals = List.copyOf(buffers);
        return this;
    }

    /** The user's buffers with lifetime handles; the pool takes them over and closes them at close. */
    public PoolBuilder handles(List<BufferHandle> handles) {
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
        if (sharedName != null) return buildShared(size);
        Memory mem;
        if (externals != null || handleList != null) {
            mem = Memory.external(externals, handleList, size, count);
        } else {
            if (count < 0) throw new IllegalArgumentException("buffer count not set; call count(n)");
            if (size < 1) throw new IllegalArgumentException("buffer size not set; call bufferSize(bytes) or layout(layout)");
            // all or nothing: a pool the system cannot give is refused before its first buffer
            // (huge pages come from their own pool, which their allocator checks)
            if (!(allocator instanceof dev.vbuf.memory.HugePageAllocator)) {
                dev.vbuf.memory.Negotiator.checkPoolFits(name, count, size, 0, false);
            }
            mem = Memory.allocate(allocator, count, size, alignment);
        }
        PrivateBacking backing = publishStats
                ? new PrivateBacking(mem.buffers().length, groups.size(), name != null ? name : "unnamed", mem.backing())
                : new PrivateBacking(mem.buffers().length, groups.size(), !(waitStrategy instanceof WaitStrategy.Futex));
        try {
            return new FramePool(this, mem, backing);
        } catch (RuntimeException | Error e) {
            backing.abandon(); // its statistics file, if it made one
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
        SharedMemory sharedMemory = this.sharedMemory != null ? this.sharedMemory : SharedMemory.platformDefault();
        if (sharedBuffers != null && sharedMemory != SharedMemory.DEVICE_DMABUF) {
            sharedBuffers.close();
            throw new IllegalArgumentException("device buffers (sharedBuffers) are shared as SharedMemory.DEVICE_DMABUF, not "
                    + sharedMemory + "; drop sharedMemory(" + sharedMemory + ") or the device buffers");
        }
        long pageSize = 4096, stride = (Math.max(size, 1) + pageSize - 1) / pageSize * pageSize;
        if (sharedMemory != SharedMemory.DEVICE_DMABUF) { // a device's buffers exist already
            dev.vbuf.memory.Negotiator.checkPoolFits(sharedName, count, stride, 0, true); // tmpfs pages are memory too
        }
        PoolFile file = sharedMemory == SharedMemory.FILE
                ? PoolFile.create(sharedName, count, groups.size(), size, alignment, sharedMode, processCapacity, sharedNumaNode, sharedLocked)
                : PoolFile.createFd(sharedName, sharedMemory.kind, count, groups.size(), size, alignment, sharedMode,
                        processCapacity, sharedNumaNode, sharedLocked, sharedMemory == SharedMemory.DEVICE_DMABUF ? sharedBuffers : null);
        SharedBacking backing = SharedBacking.create(file, keepFile, reclaimAfter);
        try {
            return new FramePool(this, Memory.shared(file, count, size), backing);
        } catch (RuntimeException | Error e) {
            backing.abandon();
            throw e;
        }
    }

    /** Attaches to shared pool {@code name} (see {@link FramePool#attach(String, AttachOptions)}). */
    static FramePool attach(String name, AttachOptions o) {
        PoolFile file = PoolFile.attach(name, o.allowGroupWritable);
        SharedBacking backing = SharedBacking.attach(file, o.observe, o.reclaimAfter);
        try {
            PoolFileValidator.Validated v = file.validated();
            PoolBuilder b = FramePool.builder().name(name).groups(v.groups()).overflow(o.overflow).waitStrategy(o.waitStrategy)
                    .jmx(o.jmx).recordTimestamps(o.timestamps).reuseOldestFirst(o.oldestFirst).count(v.geometry().slotCount())
                .singleProducer((v.flags() & ControlBlock.SINGLE_PRODUCER) != 0)
                .singleConsumers((v.flags() & ControlBlock.SINGLE_CONSUMERS) != 0);
            if (v.layout() != null) b.layout(v.layout());
            b.bufferSize(v.bufferBytes());
            return new FramePool(b, Memory.shared(file, v.geometry().slotCount(), v.bufferBytes()), backing);
        } catch (RuntimeException | Error e) {
            backing.abandon(); // gives the entry back; nothing was taken with it yet
            throw e;
        }
    }

    /** How {@link FramePool#attach(String, AttachOptions)} attaches. */
    public static final class AttachOptions {
        private Overflow overflow = Overflow.BLOCK;
        private WaitStrategy waitStrategy = WaitStrategy.futex();
        private Duration reclaimAfter = PoolFile.DEFAULT_RECLAIM_AFTER;
        private boolean observe;
        private boolean allowGroupWritable;
        private boolean jmx = true;
        private boolean timestamps;
        private boolean oldestFirst;

        public AttachOptions overflow(Overflow o) { this.overflow = Objects.requireNonNull(o); return this; }
        public AttachOptions waitStrategy(WaitStrategy w) { this.waitStrategy = Objects.requireNonNull(w); return this; }
        public AttachOptions jmx(boolean on) { this.jmx = on; return this; }
        public AttachOptions recordTimestamps(boolean on) { this.timestamps = on; return this; }
        /** See {@link PoolBuilder#reuseOldestFirst}. */
        public AttachOptions reuseOldestFirst(boolean on) { this.oldestFirst = on; return this; }

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
    record Memory(MemorySegment[] buffers, long[] physical, int[] fds, boolean[] external,
                               BufferHandle[] handles, Allocation allocation, String backing, long bufferBytes) {
        static Memory allocate(Allocator allocator, int count, long size, long alignment) {
            Allocation a = allocator.allocate(count, size, alignment);
            var bufs = new MemorySegment[count];
            var phys = new long[count];
            var fds = new int[count];
            for (int i = 0; i < count; i++) {
                bufs[i] = a.buffer(i);
                phys[i] = a.physicalAddress(i);
                fds[i] = a.fd(i);
            }
            return new Memory(bufs, phys, fds, new boolean[count], null, a, allocator.name() + ": " + a.backing(), size);
        }

        static Memory external(List<ExternalBuffer> ext, List<BufferHandle> hs, long layoutBytes, int count) {
            int n = ext != null ? ext.size() : hs.size();
            if (n > FramePool.MAX_BUFFERS) throw new IllegalArgumentException(n + " external buffers is over the maximum " + FramePool.MAX_BUFFERS);
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
            return new Memory(bufs, phys, fds, ext2, handleArr, null,
                    hs != null ? "external memory with lifetime handles" : "external memory", layoutBytes > 0 ? layoutBytes : min);
        }

        static Memory shared(PoolFile r, int count, long size) {
            var bufs = new MemorySegment[count];
            for (int i = 0; i < count; i++) bufs[i] = r.buffer(i, size);
            var fds = new int[count];
            Arrays.fill(fds, -1);
            Allocation dmaBufs = r.bufferAllocation(); // DMA-BUF buffers: their fds, DMA_BUF_IOCTL_SYNC
            if (dmaBufs != null) for (int i = 0; i < count; i++) fds[i] = dmaBufs.fd(i);
            return new Memory(bufs, new long[count], fds, new boolean[count], null, dmaBufs, r.backing(), size);
        }

        void free(boolean runDeleters) {
            if (allocation != null) allocation.close();
            if (handles != null && runDeleters) for (BufferHandle h : handles) h.close();
        }
    }
}
