package dev.vbuf.pool;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.memory.Allocation;
import dev.vbuf.memory.BufferHandle;
import dev.vbuf.memory.ExternalBuffer;
import dev.vbuf.memory.Ownership;
import dev.vbuf.shm.Peer;
import dev.vbuf.stats.AcquireTimeoutEvent;
import dev.vbuf.stats.FrameDroppedEvent;
import dev.vbuf.stats.FrameReclaimedEvent;
import dev.vbuf.stats.PoolStats;

import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A pool of preallocated off-heap frame buffers with lock-free hand-off from producers to
 * consumer groups. This class is the facade: the public API and the pool's life
 * cycle. The parts of the algorithm live in their own classes:
 * <ul>
 *   <li>{@link PoolBuilder}: building a pool, and the options of {@link #attach}.</li>
 *   <li>the hand-off (package-private {@code HandOff}): take free, publish, take filled,
 *       release, drop for a group, reclaim a victim, each one CAS of a slot word over the
 *       {@link ControlBlock}; the rings are {@code MpmcRing}s.</li>
 *   <li>{@link WaitStrategy}: how a waiter idles or sleeps, and how a waker signals.</li>
 *   <li>crash recovery ({@code CrashRecovery}) and inspection ({@code PoolInspector}).</li>
 *   <li>the backing: a private arena, or a shared file ({@link dev.vbuf.shm.PoolFile}) with its
 *       process table ({@link dev.vbuf.shm.ProcessTable}) and peer monitor
 *       ({@link dev.vbuf.shm.PeerMonitor}).</li>
 * </ul>
 *
 * <h2>Overview</h2>
 * The pool is a {@link ControlBlock} plus the buffers. The control block holds one slot word
 * per buffer (phase, pending groups, holding groups, generation), the frame metadata, a free
 * ring of IDLE slots and one filled ring per consumer group. Every state change of a buffer is
 * one CAS of its slot word; the rings only say where to look, and an entry whose generation no
 * longer matches its slot is skipped.
 * <pre>
 *   producer                         control block                          consumer group g
 *   acquireFree: poll free ring  --&gt; slot FREE(gen) -CAS-&gt; PRODUCER(gen)
 *   (fill pixels, metadata)
 *   submitFilled: seq++, CAS     --&gt; PUBLISHED(gen, pending=all, held=0) --&gt; offer to ring[g] for every g
 *                                                                            acquireFilled: poll ring[g],
 *                                    CAS held |= g                      &lt;--  (read pixels)
 *                                    CAS pending &amp;= ~g, held &amp;= ~g      &lt;--  releaseFilled
 *                                    last group: FREE(gen+1) -&gt; free ring
 * </pre>
 * A producer that must keep reading what it published (a decoder: a picture is handed out in
 * presentation order while the codec still uses it as a reference for later pictures) submits
 * with {@link #submitKeepingReference} and is then one more holder of the buffer, read-only like
 * every consumer: the buffer is IDLE again only when every group released it and the producer
 * called {@link #releaseReference}.
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
    private final String[] groupNames;
    private final int slotCount;
    private final int groupCount;
    private final MemorySegment[] buffers;
    private final MemorySegment[][] planes;
    private final long[] physical;
    private final int[] fds;
    private final boolean[] external;
    private final BufferHandle[] handles;
    private final Overflow overflow;
    private final FrameLayout layout;
    private final long bufferBytes;
    private final Allocation allocation;
    private final String backingText;
    private final boolean ownsHandles;
    private final Backing backing;
    private final HandOff handOff;
    private final CrashRecovery recovery;
    private final PoolInspector inspector;
    private final PoolMBean mbean;
    private boolean closed;

    FramePool(PoolBuilder b, PoolBuilder.Memory mem, Backing backing) {
        this.name = b.name != null ? b.name : "pool-" + POOL_IDS.incrementAndGet();
        this.slotCount = mem.buffers().length;
        this.groupNames = b.groups.toArray(String[]::new);
        this.groupCount = groupNames.length;
        this.buffers = mem.buffers();
        this.physical = mem.physical();
        this.fds = mem.fds();
        this.external = mem.external();
        this.handles = mem.handles();
        this.ownsHandles = mem.handles() != null;
        this.allocation = mem.allocation();
        this.backingText = mem.backing();
        this.bufferBytes = mem.bufferBytes();
        this.layout = b.layout;
        this.overflow = b.overflow;
        this.backing = backing;

        boolean fresh = backing.fresh();
        if (fresh) backing.format(bufferBytes, groupNames, layout, b.roleFlags());
        this.cb = backing.controlBlock();
        // Across processes the default wait spins briefly, then sleeps on the futex (pure spinning
        // on fewer cores than spinning threads is what gives millisecond tails).
        WaitStrategy wait = b.waitStrategy != null ? b.waitStrategy
                : backing.tracked() ? WaitStrategy.futex() : WaitStrategy.spinPark();
        this.handOff = new HandOff(this, cb, backing.geometry(), backing.me(), backing.tracked(), layout, b.timestamps,
                wait, b.oldestFirst);
        this.planes = layout == null ? null : new MemorySegment[slotCount][];
        for (int s = 0; s < slotCount; s++) {
            if (planes != null) {
                planes[s] = new MemorySegment[layout.planes().size()];
                for (int p = 0; p < planes[s].length; p++) {
                    var plane = layout.planes().get(p);
                    planes[s][p] = buffers[s].asSlice(plane.offset(), plane.bytes());
                }
            }
            if (!fresh) continue;
            cb.spLong(s, ControlBlock.S_SEQUENCE, -1L);
            if (!external[s]) cb.spLong(s, ControlBlock.S_BUFFER_OFFSET, backing.bufferOffset(s, bufferBytes));
            cb.spLong(s, ControlBlock.S_BUFFER_BYTES, buffers[s].byteSize());
        }
        if (fresh) handOff.fillFreeRing();
        this.recovery = new CrashRecovery(handOff);
        this.inspector = new PoolInspector(this, handOff);
        backing.started(recovery); // a new shared pool becomes visible here, complete
        this.mbean = b.jmx ? PoolMBean.register(this) : null;
    }

    // =====================================================================================
    // Construction (three ways: allocated, external, with lifetime handles)
    // =====================================================================================

    /** A builder of a pool; see {@link PoolBuilder}. */
    public static PoolBuilder builder() { return new PoolBuilder(); }

    /** {@code count} buffers of {@code bufferBytes}, from the default allocator. */
    public static FramePool allocate(int count, long bufferBytes) {
        return builder().count(count).bufferSize(bufferBytes).build();
    }

    /** The user's buffers, scheduled but never freed by the pool. */
    public static FramePool ofExternal(List<ExternalBuffer> buffers) {
        return builder().external(buffers).build();
    }

    /** The user's buffers with lifetime handles; the pool closes them when it closes. */
    public static FramePool ofHandles(List<BufferHandle> handles) {
        return builder().handles(handles).build();
    }

    /**
     * Attaches to the shared pool {@code name} (created by another process with
     * {@link PoolBuilder#shared}), with the futex wait strategy, BLOCK overflow and a 1 s reclaim
     * delay. Everything read from the file is validated first; a file that is not a valid pool,
     * or that other users could write, is refused with a message saying why and what to do.
     */
    public static FramePool attach(String name) { return attach(name, new PoolBuilder.AttachOptions()); }

    /** Attaches to the shared pool {@code name} as {@code options} say. */
    public static FramePool attach(String name, PoolBuilder.AttachOptions options) {
        return PoolBuilder.attach(name, options);
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
     * @throws IllegalArgumentException for DROP_OLDEST or ADAPTIVE on a private pool built with
     *         overflow BLOCK or FAIL whose one group is read by one consumer
     *         ({@link PoolBuilder#singleConsumers}): its consumer takes frames without atomic
     *         operations, which a reclaim cannot race; build it with the reclaiming policy instead
     */
    public Frame acquireFree(Overflow policy, long timeoutNanos) {
        if (handOff.storeTake && policy != overflow && HandOff.reclaims(policy)) throw handOff.refusesReclaim(policy);
        return handOff.acquireFree(policy, timeoutNanos);
    }

    /**
     * Publishes a filled frame to every consumer group: the pool gives it the next sequence
     * number and its state becomes READY_FOR_CONSUME.
     */
    public void submitFilled(Frame f) {
        checkProducerFrame("submitFilled", f);
        handOff.publish(f, true);
    }

    /**
     * Batched publication: publishes {@code frames[0..count)} in order, like as many
     * {@link #submitFilled(Frame)} calls, but wakes each group's sleepers (a system call in a
     * shared pool with futex waiters) once for the batch instead of once per frame.
     */
    public void submitFilled(Frame[] frames, int count) {
        Objects.checkFromIndexSize(0, count, frames.length);
        for (int i = 0; i < count; i++) {
            checkProducerFrame("submitFilled", frames[i]);
            handOff.publish(frames[i], false);
        }
        for (int g = 0; g < groupCount; g++) handOff.signalGroup(g);
    }

    /**
     * Publishes a filled frame like {@link #submitFilled(Frame)} and keeps the producer's
     * reference to it: one more holder of the buffer, as a consumer group is, so the buffer stays
     * unchanged (never taken back by the overflow policy, never reused) until both every group
     * released it and {@link #releaseReference} is called with the handle returned here. This is
     * how a decoder hands a picture out in presentation order while the codec still reads it as a
     * reference picture; no pixel is copied. The reference is read-only; its state shows as
     * HELD_BY_DECODER once the groups are done, and in a shared pool a process that dies keeping
     * it loses it (crash recovery drops the reference, as for any holder).
     *
     * @return the reference's handle (read-only; {@link Frame#isReference()}); releasing it twice
     *         throws {@link StaleFrameException}
     * @throws IllegalStateException when the pool has 16 consumer groups (the reference uses the
     *                               sixteenth group's bit)
     */
    public Frame submitKeepingReference(Frame f) {
        checkProducerFrame("submitKeepingReference", f);
        if (handOff.refBit == 0) {
            throw new IllegalStateException("pool '" + name + "' has " + groupCount + " consumer groups, so a producer cannot"
                    + " keep a reference to a frame (it needs the bit of a sixteenth group); build it with at most "
                    + (MAX_GROUPS - 1) + " groups");
        }
        return handOff.publishKeepingReference(f);
    }

    /**
     * Drops a reference kept by {@link #submitKeepingReference}; when every consumer group has
     * released the frame too, the buffer is IDLE again. Safe from any thread (a codec's buffer
     * free callback).
     */
    public void releaseReference(Frame reference) {
        checkOwn(reference);
        if (reference.group != Frame.REFERENCE) {
            throw new FrameStateException("releaseReference", reference.slot, reference.gen, reference.state(),
                    FrameState.HELD_BY_DECODER, "this is not a reference handle from submitKeepingReference; "
                    + (reference.group == Frame.PRODUCER ? "a producer submits (submitFilled) or aborts (close) its frame"
                    : "a consumer releases its frame with releaseFilled"));
        }
        handOff.releaseReference(reference);
    }

    /** Gives an unsubmitted frame back (LOCKED_BY_PRODUCER to IDLE); {@link Frame#close()} does this. */
    public void abort(Frame f) {
        checkOwn(f);
        if (f.group != Frame.PRODUCER) {
            throw new FrameStateException("abort", f.slot, f.gen, f.state(), FrameState.LOCKED_BY_PRODUCER,
                    "consumers release frames with releaseFilled");
        }
        handOff.abort(f);
    }

    private void checkProducerFrame(String op, Frame f) {
        checkOwn(f);
        if (f.group != Frame.PRODUCER) {
            throw new FrameStateException(op, f.slot, f.gen, f.state(), FrameState.LOCKED_BY_PRODUCER,
                    (f.group == Frame.REFERENCE ? "this is a producer's reference, given back with releaseReference"
                            : "this frame came from acquireFilled of group '" + groupNames[f.group]
                            + "'; consumers release frames") + "; only a frame from acquireFree can be submitted");
        }
    }

    /** HOT buffers (being filled or read) over all buffers. */
    public double hotRatio() { return handOff.hotRatio(); }

    // =====================================================================================
    // Consumer API
    // =====================================================================================

    /** A consumer of the named group; create one per reading thread. */
    public Consumer consumer(String group) {
        return new Consumer(this, groupIndex(group, "is not one of this pool's groups"));
    }

    private int groupIndex(String group, String what) {
        for (int g = 0; g < groupCount; g++) if (groupNames[g].equals(group)) return g;
        throw new IllegalArgumentException("consumer group '" + group + "' " + what + " " + Arrays.toString(groupNames));
    }

    /** The first group's next frame at once, or null. */
    public Frame tryAcquireFilled() { return acquireFilled(0, 0); }

    /** Waits for the first group's next frame; null when the pool closed or the thread was interrupted. */
    public Frame acquireFilled() { return acquireFilled(0, Long.MAX_VALUE); }

    /** Waits up to {@code timeout} for the first group's next frame; null on timeout. */
    public Frame acquireFilled(Duration timeout) { return acquireFilled(0, nanos(timeout)); }

    public Frame acquireFilled(long timeout, TimeUnit unit) { return acquireFilled(0, unit.toNanos(timeout)); }

    Frame acquireFilled(int g, long timeoutNanos) { return handOff.acquireFilled(g, timeoutNanos); }

    /**
     * Releases a frame a consumer acquired; when it is the last group to release it (and no
     * producer reference keeps it), the buffer is IDLE again. Given a producer's reference
     * handle, it drops the reference as {@link #releaseReference} does.
     */
    public void releaseFilled(Frame f) {
        checkOwn(f);
        if (f.group < 0) {
            if (f.group == Frame.REFERENCE) {
                handOff.releaseReference(f);
                return;
            }
            throw new FrameStateException("releaseFilled", f.slot, f.gen, f.state(), FrameState.LOCKED_BY_CONSUMER,
                    "this frame came from acquireFree; a producer submits (submitFilled) or aborts (close) it");
        }
        handOff.release(f);
    }

    // =====================================================================================
    // Queries
    // =====================================================================================

    public String name() { return name; }

    /** See {@link Backing#liveProcess}. */
    String liveProcess(int index) { return backing.liveProcess(index); }
    public int getTotalCount() { return slotCount; }
    /** Buffers IDLE (COLD) now. */
    public int getFreeCount() { return inspector.count(FrameState.IDLE); }
    /** Buffers only a producer's reference (a decoder's reference picture) holds now: HELD_BY_DECODER. */
    public int getHeldByDecoderCount() { return inspector.count(FrameState.HELD_BY_DECODER); }
    /** Buffers READY_FOR_CONSUME (WARM: filled, queued, no consumer holds them) now. */
    public int getFilledCount() { return inspector.count(FrameState.READY_FOR_CONSUME); }
    /** Bytes per buffer (the smallest, for external buffers of several sizes). */
    public long getBufferSize() { return bufferBytes; }
    public List<String> groups() { return List.of(groupNames); }
    public Overflow overflow() { return overflow; }
    public FrameLayout layout() { return layout; }
    public boolean isClosed() { return handOff.closed(); }
    /** True when the pool declares one producer at a time (the single-writer path; a shared pool's header says so to every process). */
    public boolean isSingleProducer() { return handOff.singleProducer; }
    /** True when the pool declares one consumer per group at a time. */
    public boolean isSingleConsumers() { return handOff.singleConsumers; }
    public String backing() { return backingText; }

    /** Frames published to group {@code g} and not yet taken or dropped. */
    long lag(int g) { return handOff.lag(g); }

    /** A snapshot of buffer {@code id}, or empty when there is no such buffer. */
    public Optional<BufferInfo> getBufferById(int id) { return inspector.bufferById(id); }

    /**
     * Checks buffer {@code id}: its memory is alive (not freed by an external owner), at least
     * the pool's buffer size and page aligned (for owned memory), and its slot word is
     * consistent (holding groups a subset of pending groups, only known groups, no group bits
     * outside PUBLISHED).
     */
    public boolean validateBuffer(int id) { return inspector.validate(id); }

    public boolean validateBuffer(Frame f) { return f.pool() == this && validateBuffer(f.id()); }

    public boolean validateAllBuffers() {
        for (int s = 0; s < slotCount; s++) if (!validateBuffer(s)) return false;
        return true;
    }

    /** Statistics now. */
    public PoolStats stats() { return inspector.stats(); }

    /** The statistics, to standard output. */
    public void printStats() { printStats(System.out); }

    public void printStats(PrintStream out) { out.println(stats()); }

    /** The buffer table, one line per buffer. */
    public void printAllBuffers() { printAllBuffers(System.out); }

    public void printAllBuffers(PrintStream out) { out.print(buffersReport()); }

    /** The text of {@link #printAllBuffers()}. */
    public String buffersReport() { return inspector.buffersReport(); }

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
        handOff.close();
        if (mbean != null) mbean.unregister();
        try {
            if (backing.creator()) handOff.markEndOfStream();
            handOff.signalAll(); // this process's own sleepers see the pool closed
            backing.close(recovery);
            if (allocation != null) allocation.close();
        } finally {
            if (ownsHandles) for (BufferHandle h : handles) h.close();
        }
    }

    /**
     * Marks the end of the stream (a shared pool's creator does this when it closes): consumers
     * get the frames still queued, then null from acquireFilled, and {@link #endOfStream()} is true.
     */
    public void markEndOfStream() { handOff.markEndOfStream(); }

    /** True once the producer side closed the pool (end of stream); consumers drain what is queued. */
    public boolean endOfStream() { return handOff.endOfStream(); }

    // =====================================================================================
    // Shared pools
    // =====================================================================================

    /** True for a pool in a named shared-memory file (created here or attached to). */
    public boolean isShared() { return backing.sharedName() != null; }

    /** The shared region's name, or null for a private pool. */
    public String sharedName() { return backing.sharedName(); }

    /** What a shared pool's memory is and how this process got it (kind, by descriptor, seals); null for a private pool. */
    public dev.vbuf.shm.SharedMemoryInfo sharedMemory() {
        return backing instanceof SharedBacking s ? s.file().memoryInfo() : null;
    }

    /** The processes attached to a shared pool now (empty for a private pool). */
    public List<Peer> peers() { return backing.peers(); }

    /** Dead peers whose slots this pool recovered (any survivor's monitor). */
    public long peerRecoveries() { return cb.lvCounter(ControlBlock.P_PEER_RECOVERIES); }

    /** Slots recovered from dead peers. */
    public long slotsRecovered() { return cb.lvCounter(ControlBlock.P_SLOTS_RECOVERED); }

    /** Frames group {@code group} lost because a consumer of it died holding them (included in its drops). */
    public long lostToCrash(String group) {
        int g = groupIndex(group, "is not in");
        return cb.lvCounter(cb.group(g) + ControlBlock.G_LOST_TO_CRASH);
    }

    /**
     * Who owns buffer {@code id} in a shared pool, as text: the process filling it, the processes
     * holding it per group (process-table index and pid); "-" when nobody, or in a private pool.
     */
    public String ownersOf(int id) {
        return inspector.ownersOf(id, backing.peers());
    }

    // =====================================================================================
    // Internals used by Frame, Consumer, PoolMBean, the hand-off and tests
    // =====================================================================================

    ControlBlock controlBlock() { return cb; }
    HandOff handOff() { return handOff; }
    CrashRecovery recovery() { return recovery; }
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
        FrameState expected = f.group == Frame.PRODUCER ? FrameState.LOCKED_BY_PRODUCER
                : f.group == Frame.REFERENCE ? FrameState.HELD_BY_DECODER : FrameState.LOCKED_BY_CONSUMER;
        String why;
        if (SlotWord.gen(w) != f.gen) {
            why = "the buffer has been reused since (now generation " + SlotWord.gen(w) + "): this handle is stale";
        } else if (f.group == Frame.REFERENCE) {
            why = "this reference was already released (double release?)";
        } else if (f.group < 0) {
            why = "this handle was already submitted or aborted";
        } else {
            why = "this handle was already released (double release?)";
        }
        return new StaleFrameException(op, f.slot, f.gen, SlotWord.state(w, handOff.refBit), expected, why);
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
