package dev.vbuf.pool;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.stats.AcquireTimeoutEvent;
import dev.vbuf.stats.FrameDroppedEvent;
import dev.vbuf.stats.FrameReclaimedEvent;

/**
 * The hand-off: every transition of a slot between producers and consumer groups, over one
 * {@link ControlBlock}. {@link FramePool} is its facade; {@link CrashRecovery} uses its
 * transitions to give back what a dead process had.
 *
 * <h2>Overview</h2>
 * <pre>
 *   takeFree      free ring head (slot, gen)   FREE(gen)            -CAS-&gt; PRODUCER(gen, owner=me)
 *   publish       (metadata, pixels written)   PRODUCER(gen)        -CAS-&gt; PUBLISHED(gen, pending=all, held=0)
 *                                              then the entry is offered to every group's ring
 *   takeFilled    ring g head (slot, gen)      PUBLISHED(.., held)  -CAS-&gt; PUBLISHED(.., held | g)
 *   leave(g, s)   release / drop / crash       PUBLISHED(pending, held)
 *                                                -CAS-&gt; PUBLISHED(pending &amp; ~g, held &amp; ~g)
 *                                                    or FREE(gen + 1) when g was the last: to the free ring
 *   publish, keeping a reference (a decoder)   PRODUCER(gen)       -CAS-&gt; PUBLISHED(gen, pending=all|R, held=R)
 *   leave(R, s)   the producer drops its reference: as leave(g, s), R being one more holder
 *   reclaim       oldest PUBLISHED(held = 0)   -CAS-&gt; PRODUCER(gen + 1): its entries become stale
 *   abort         PRODUCER(gen)                -CAS-&gt; FREE(gen + 1)
 * </pre>
 * Every transition is one CAS of the slot word (or, where one party alone may change the word
 * now, a release store: the single producer's claim and publish, the sole consumer's release,
 * and in a private pool that never reclaims, the sole consumer's take, {@link #storeTake});
 * the rings only say where to look, and an entry
 * whose generation no longer matches its slot (or whose group already left it) is stale: whoever
 * finds it removes it. A taker peeks the ring's head entry, records the take on the slot word,
 * and only then removes the entry, so a value never leaves a ring before its taker has recorded
 * it (a process killed at any point leaves a state {@link CrashRecovery} repairs).
 *
 * <p>Group g leaving slot s is one transition, {@link #leave}, whatever the cause: a consumer
 * releases it ({@link #RELEASED}), the producer drops an entry of a group whose ring is full
 * ({@link #DROPPED}), or a consumer process died holding it ({@link #LOST_TO_CRASH}).
 *
 * <h2>Waiting</h2>
 * One loop ({@link #acquire}) for both sides: after each failed attempt the pool's
 * {@link WaitStrategy} waits once at the side's {@link WaitPoint}; whoever queues something
 * signals the wait point with the pool's signaller.
 */
final class HandOff {
    /** {@link #leave} causes (those from DROPPED on are counted as drops of the group). */
    static final int RELEASED = 0;
    /** The producer dropped its reference ({@link SlotWord#REFERENCE_GROUP}), or its process died. */
    static final int UNREFERENCED = 1;
    static final int DROPPED = 2;
    static final int LOST_TO_CRASH = 3;

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

    private final FramePool pool;
    final ControlBlock cb;
    final MpmcRing freeRing;
    final MpmcRing[] groupRings;
    final int slotCount;
    final int groupCount;
    final int allGroups;
    /**
     * {@link SlotWord#REFERENCE_BIT} when the pool can have producer references (at most 15
     * groups), else 0.
     */
    final int refBit;
    /** This process's index in a shared pool's process table; 0 in a private pool. */
    final int me;
    /** Shared pools record which process holds each slot for each group (crash recovery). */
    final boolean tracked;
    /** Declared roles (header flags): one producer; one consumer per group. */
    final boolean singleProducer;
    final boolean singleConsumers;
    /**
     * One group read by one consumer: that consumer is the only party that releases frames, so
     * it alone sets the LIFO hint and its release is a release store (no other party may change
     * a held frame's word: reclaims and drops need it unheld, recovery needs its holder dead).
     */
    final boolean soleReleaser;
    /**
     * {@link #soleReleaser} in a private pool whose producer never takes a published frame back
     * (overflow BLOCK or FAIL, {@link #refusesReclaim}): nobody but the one consumer can change a
     * frame published to it and not held, so it takes it by release stores, the slot word's and
     * the ring cell's, with no CAS. The word must be exactly "published to the group, not held,
     * no reference kept"; any other (a decoder's reference still kept: the decoder may drop it
     * meanwhile) takes the CAS path. With no reclaim a group ring never fills (it has room for
     * two entries per slot, and each slot has at most one), so the producer never pops it.
     */
    final boolean storeTake;
    /**
     * Private pools: the LIFO hint ({@link ControlBlock#P_HOT_FREE} of a shared pool) as a field
     * of this object, which no other process reads; accessed through {@link #HOT} with the same
     * orderings. Shared pools use the control block's word.
     */
    @SuppressWarnings("unused")
    private volatile long hotFree;
    private static final java.lang.invoke.VarHandle HOT;
    static {
        try {
            HOT = java.lang.invoke.MethodHandles.lookup().findVarHandle(HandOff.class, "hotFree", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
    /** Private pool, single producer: the next sequence number, kept here (the control block's copy is only stored). */
    private long nextSequence;
    /** Private pool, one consumer per group: frames each group took, kept here (the control block's copy is only stored). */
    private final long[] takenCounts;
    private final FrameLayout layout;
    private final int layoutFormat;
    private final boolean timestamps;
    /**
     * {@link PoolBuilder#reuseOldestFirst}: this process takes from the free ring (FIFO) before
     * the LIFO hint, and its releases go to the ring, not the hint. Another process's releases
     * may still set the hint: that one buffer then waits until the ring is empty.
     */
    private final boolean oldestFirst;
    private final WaitStrategy waitStrategy;
    /** Wakes sleepers after a queue: the futex strategy in a shared pool (peers may sleep on it), else the pool's. */
    private final WaitStrategy signaller;
    final WaitPoint freePoint;
    final WaitPoint[] groupPoints;
    private final Frame[] producerFrames;
    private final Frame[][] consumerFrames;
    private final Frame[] referenceFrames;
    private volatile boolean closed;
    /**
     * A shared pool with declared roles: this process claims the producer's role at its first
     * take of a free buffer, and a group's consumer's role at its first take from the group
     * ({@link ControlBlock#P_PRODUCER_CLAIM}), so that a second live process in a declared
     * single role is refused instead of breaking the single-writer paths. Plain flags: a claim
     * is per process and idempotent, so a thread that misses another's store only claims again.
     */
    private final boolean claimsProducer;
    private final boolean claimsConsumers;
    private boolean producerClaimed;
    private final boolean[] consumerClaimed;
    /** The process table (shared pools), to tell a claim no live party made (hostile writers). */
    private final long processOffset;
    private final int processCapacity;

    // Bounds on the loops over shared state (a hostile process of the same user can write
    // anything into a shared pool): honest contention needs a handful of retries.
    /** Attempts of one CAS loop on one word before the word is declared corrupt. */
    static final int CAS_RETRIES = 1 << 20;
    /** Busy looks at the same claim before its process entry is checked. */
    static final int STUCK_HOLDER_CHECKS = 64;
    /** Busy looks in one take before it returns to the caller's wait loop (timeout, interruption). */
    static final int MAX_BUSY = 4096;

    HandOff(FramePool pool, ControlBlock cb, ControlBlock.Geometry g, int me, boolean tracked, FrameLayout layout,
            boolean timestamps, WaitStrategy waitStrategy, boolean oldestFirst) {
        this.pool = pool;
        this.cb = cb;
        this.slotCount = g.slotCount();
        this.groupCount = g.groupCount();
        this.allGroups = (1 << groupCount) - 1;
        this.refBit = groupCount < SlotWord.MAX_GROUPS ? SlotWord.REFERENCE_BIT : 0;
        this.me = me;
        this.tracked = tracked;
        this.singleProducer = (cb.flags() & ControlBlock.SINGLE_PRODUCER) != 0;
        this.singleConsumers = (cb.flags() & ControlBlock.SINGLE_CONSUMERS) != 0;
        this.soleReleaser = singleConsumers && g.groupCount() == 1;
        this.storeTake = !tracked && soleReleaser && pool.overflow() != null && !reclaims(pool.overflow());
        this.nextSequence = cb.lvCounter(ControlBlock.P_NEXT_SEQUENCE);
        this.takenCounts = new long[groupCount];
        for (int i = 0; i < groupCount; i++) takenCounts[i] = cb.lvCounter(cb.group(i) + ControlBlock.G_TAKEN);
        this.layout = layout;
        this.layoutFormat = layout == null ? 0 : FramePool.formatId(layout.format());
        this.timestamps = timestamps;
        this.oldestFirst = oldestFirst;
        this.waitStrategy = waitStrategy;
        this.signaller = tracked ? WaitStrategy.futex() : waitStrategy;
        this.freeRing = new MpmcRing(cb.words(), g.freeRingOffset(), g.freeRingCapacity());
        this.groupRings = new MpmcRing[groupCount];
        this.groupPoints = new WaitPoint[groupCount];
        for (int i = 0; i < groupCount; i++) {
            groupRings[i] = new MpmcRing(cb.words(), g.groupRingOffset(i), g.groupRingCapacity());
            long rec = cb.group(i);
            groupPoints[i] = new WaitPoint(cb, groupRings[i], this, rec + ControlBlock.G_FUTEX, rec + ControlBlock.G_WAITERS,
                    rec + ControlBlock.G_SLEEP_DEADLINE, rec + ControlBlock.G_ACQUIRE_WAITS, rec + ControlBlock.G_ACQUIRE_TIMEOUTS);
        }
        this.freePoint = new WaitPoint(cb, freeRing, this, ControlBlock.P_FREE_FUTEX, ControlBlock.P_FREE_WAITERS,
                ControlBlock.P_FREE_SLEEP_DEADLINE, ControlBlock.P_ACQUIRE_WAITS, ControlBlock.P_ACQUIRE_TIMEOUTS);
        this.processOffset = g.processOffset();
        this.processCapacity = g.processCapacity();
        this.claimsProducer = tracked && singleProducer;
        this.claimsConsumers = tracked && singleConsumers;
        this.consumerClaimed = new boolean[groupCount];
        this.producerFrames = new Frame[slotCount];
        this.consumerFrames = new Frame[groupCount][slotCount];
        this.referenceFrames = new Frame[slotCount];
        for (int s = 0; s < slotCount; s++) {
            producerFrames[s] = new Frame(pool, cb, s, Frame.PRODUCER);
            referenceFrames[s] = new Frame(pool, cb, s, Frame.REFERENCE);
            for (int k = 0; k < groupCount; k++) consumerFrames[k][s] = new Frame(pool, cb, s, k);
        }
    }

    /** Queues every slot in the free ring (a freshly formatted pool). */
    void fillFreeRing() {
        for (int s = 0; s < slotCount; s++) {
            if (!freeRing.offer(SlotWord.entry(s, 0))) {
                throw new AssertionError("free ring of capacity " + freeRing.capacity() + " cannot hold " + slotCount);
            }
        }
    }

    private static void crashPoint(int n) {
        if (CRASH_POINT == n) {
            System.out.println("CRASH-POINT " + n);
            System.out.flush();
            for (;;) java.util.concurrent.locks.LockSupport.park();
        }
    }

    // =====================================================================================
    // Life cycle
    // =====================================================================================

    boolean closed() { return closed; }

    void close() { closed = true; }

    /** True when waiters should stop waiting: the pool closed here, or its producer ended the stream. */
    boolean stopping() { return closed || endOfStream(); }

    boolean endOfStream() {
        return (cb.lvInt(ControlBlock.H_STATE) & ControlBlock.STATE_CLOSED) != 0;
    }

    void markEndOfStream() {
        cb.getAndBitwiseOrInt(ControlBlock.H_STATE, ControlBlock.STATE_CLOSED);
        signalAll();
    }

    /** Wakes every sleeper of every wait point (close, end of stream). */
    void signalAll() {
        signaller.signalAllWhenBlocking(freePoint);
        for (WaitPoint p : groupPoints) signaller.signalAllWhenBlocking(p);
    }

    // =====================================================================================
    // Waiting: one loop for both sides
    // =====================================================================================

    /**
     * Takes a free buffer, applying {@code policy}, waiting up to {@code timeoutNanos} with the
     * pool's wait strategy. Null on timeout, FAIL, close or interrupt.
     */
    Frame acquireFree(Overflow policy, long timeoutNanos) {
        // One entry per side, each kept small: the first take is the hot path and is inlined
        // into the caller, everything after it (overflow policy, waiting) is in acquireSlow. One
        // entry for both sides was compiled with both takes in it, too big for the JIT to inline
        // ("already compiled into a big method"), which cost a call on every take.
        if (claimsProducer && !producerClaimed) claimRole(ControlBlock.P_PRODUCER_CLAIM, -1);
        Frame f = takeFree();
        return f != null ? f : acquireSlow(-1, policy, timeoutNanos);
    }

    /**
     * Takes group g's next frame, waiting up to {@code timeoutNanos} with the pool's wait
     * strategy. Null on timeout, close, interrupt, or end of stream with nothing queued.
     */
    Frame acquireFilled(int g, long timeoutNanos) {
        if (claimsConsumers && !consumerClaimed[g]) claimRole(cb.group(g) + ControlBlock.G_CONSUMER_CLAIM, g);
        Frame f = takeFilled(g);
        return f != null ? f : acquireSlow(g, null, timeoutNanos);
    }

    /**
     * Claims the producer's role (g &lt; 0) or group g's consumer's role at the word at
     * {@code off}: kept if it names this process, taken if it names none, a dead process (its
     * recovery clears it too) or no entry of the table (written by someone else); refused if it
     * names a live process.
     */
    private void claimRole(long off, int g) {
        if (me <= 0) {
            throw new IllegalStateException("shared pool '" + pool.sharedName() + "' is attached here as an observer,"
                    + " which neither produces nor consumes; attach it without the observer option to take frames");
        }
        for (int tries = 0; ; tries++) {
            if (tries > CAS_RETRIES) {
                throw corrupt((g < 0 ? "the producer's claim" : "group '" + pool.groupName(g) + "''s consumer claim")
                        + " keeps changing");
            }
            int c = cb.lvInt(off);
            if (c == me) break;
            if (c != 0 && c > 0 && c <= processCapacity) {
                String holder = pool.liveProcess(c);
                if (holder != null) throw refusesRole(g, holder);
            }
            if (cb.casInt(off, c, me)) break;
        }
        if (g < 0) producerClaimed = true;
        else consumerClaimed[g] = true;
    }

    private IllegalStateException refusesRole(int g, String holder) {
        String pool = "shared pool '" + this.pool.sharedName() + "'";
        if (g < 0) {
            return new IllegalStateException(pool + " was created for one producer at a time, and " + holder
                    + " is producing into it; stop that producer (or let it close the pool) and try again, or create"
                    + " the pool for several producers (without the one-producer declaration, singleProducer)");
        }
        return new IllegalStateException(pool + " was created for one consumer per group, and " + holder
                + " is reading group '" + this.pool.groupName(g) + "'; stop that consumer first, read another group,"
                + " or create the pool for several consumers per group (without singleConsumers)");
    }

    private Frame acquireSlow(int g, Overflow policy, long timeoutNanos) {
        Frame f;
        if (g < 0) {
            if (closed) return null;
            if (policy != Overflow.FAIL) {
                f = reclaim(policy);
                if (f != null) return f;
            }
            if (policy == Overflow.FAIL || timeoutNanos <= 0) {
                cb.increment(ControlBlock.P_ACQUIRE_FAILS);
                return null;
            }
        } else {
            if (timeoutNanos <= 0 || closed) return null;
            if (endOfStream() && groupRings[g].isEmpty()) return null;
        }
        WaitPoint p = g < 0 ? freePoint : groupPoints[g];
        cb.increment(p.waitsOffset);
        final long start = System.nanoTime();
        final long deadline = timeoutNanos == Long.MAX_VALUE || start + timeoutNanos < start ? Long.MAX_VALUE : start + timeoutNanos;
        for (int attempt = 0; ; attempt++) {
            waitStrategy.waitFor(p, attempt, deadline);
            if (g < 0) {
                f = takeFree();
                if (f == null) f = reclaim(policy);
            } else {
                f = takeFilled(g);
            }
            if (f != null) return f;
            if (closed || Thread.currentThread().isInterrupted()) return null;
            if (g >= 0 && endOfStream() && groupRings[g].isEmpty()) return null;
            if (deadline != Long.MAX_VALUE && System.nanoTime() - deadline >= 0) {
                cb.increment(p.timeoutsOffset);
                timeoutEvent(g < 0 ? "producer" : pool.groupName(g), timeoutNanos);
                return null;
            }
        }
    }

    // =====================================================================================
    // Producer side
    // =====================================================================================

    /**
     * Takes the free ring's head slot. Peek, then CAS the slot word FREE to PRODUCER(owner),
     * then remove the ring entry: a producer that dies at any point leaves either the entry in
     * the ring (the slot still FREE) or the slot recorded as its own (recovered when it is
     * found dead); the entry of a slot already taken is stale and whoever sees it removes it.
     */
    Frame takeFree() {
        if (oldestFirst) {
            // the slot released last waits in the hint until the ring is empty
            Frame f = takeFreeFromRing();
            return f != null ? f : takeHotFree();
        }
        Frame f = takeHotFree();
        return f != null ? f : takeFreeFromRing();
    }

    private Frame takeFreeFromRing() {
        for (int looks = 0; ; looks++) {
            if (looks > 4 * freeRing.capacity() + 256) {
                throw corrupt("the free ring (offset " + freeRing.offset() + ") keeps giving entries that are neither"
                        + " free slots nor empty, or keeps changing");
            }
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
            if (pool.isExternal(s) && !pool.isAlive(s)) {
                if (cb.casWord(s, w, SlotWord.make(SlotWord.RETIRED, 0, 0, gen))) cb.increment(ControlBlock.P_RETIRED);
                freeRing.remove(h, e);
                continue;
            }
            if (claimFree(s, w, gen)) {
                if (CRASH_POINT != 0) crashPoint(4);
                freeRing.remove(h, e);
                return openProducer(s, gen);
            }
        }
    }

    /**
     * Takes the slot released last (the LIFO hint, {@link ControlBlock#P_HOT_FREE}) if it is
     * still FREE with the generation it was left under. A single producer is the only party that
     * clears the hint (releasers only set it when it is clear), so it reads and clears it with
     * plain accesses; several producers swap it out atomically. A producer that dies between
     * its word CAS and clearing the hint leaves a stale hint, which the next one clears.
     */
    private Frame takeHotFree() {
        long hot;
        if (singleProducer) {
            hot = lvHot();
            if (hot == 0) return null;
            soHot(0);
        } else {
            if (lvHot() == 0) return null;
            hot = tracked ? cb.getAndSetCounter(ControlBlock.P_HOT_FREE, 0) : (long) HOT.getAndSet(this, 0L);
            if (hot == 0) return null;
        }
        long e = hot - 1;
        int s = SlotWord.entrySlot(e);
        long gen = SlotWord.entryGen(e);
        if (s >= slotCount) return null; // never trust an index
        long w = cb.lvWord(s);
        if (SlotWord.phase(w) != SlotWord.FREE || SlotWord.gen(w) != gen) return null; // stale hint
        if (pool.isExternal(s) && !pool.isAlive(s)) {
            if (cb.casWord(s, w, SlotWord.make(SlotWord.RETIRED, 0, 0, gen))) cb.increment(ControlBlock.P_RETIRED);
            return null;
        }
        if (!claimFree(s, w, gen)) return null;
        if (CRASH_POINT != 0) crashPoint(4);
        return openProducer(s, gen);
    }

    /**
     * FREE(gen) to PRODUCER(gen, owner = me). Only producers take FREE slots (crash recovery
     * changes only slots a dead process owned or held), so a single producer does it with a
     * release store; several producers race for it with a CAS.
     */
    private boolean claimFree(int s, long w, long gen) {
        long nw = SlotWord.make(SlotWord.PRODUCER, me, 0, gen);
        if (!singleProducer) return cb.casWord(s, w, nw);
        cb.soWord(s, nw);
        return true;
    }

    /**
     * Issues slot s's producer handle. The metadata the producer may set goes back to its
     * defaults, unless this handle's last user left it so: in a private pool every producer
     * writes a slot through this one handle object (its {@link Frame#metaDirty} flag sees every
     * write, ordered by the slot word like the handle's other fields); in a shared pool a
     * producer in another process may have written it, so it is always reset. Sequence and
     * submit time are not reset: an open producer handle answers -1 and 0 for them without
     * reading, and publish writes both (submit time only when recorded, else it stays 0).
     */
    private Frame openProducer(int s, long gen) {
        Frame f = producerFrames[s];
        f.gen = gen;
        f.open = true;
        if (!tracked && !f.metaDirty) return f;
        f.metaDirty = false;
        cb.spLong(s, ControlBlock.S_CAPTURE_NANOS, 0L);
        cb.spLong(s, ControlBlock.S_PTS, 0L);
        cb.spInt(s, ControlBlock.S_FLAGS, 0);
        if (layout != null) {
            cb.spLong(s, ControlBlock.S_PAYLOAD_BYTES, layout.frameBytes());
            cb.spInt(s, ControlBlock.S_WIDTH, layout.width());
            cb.spInt(s, ControlBlock.S_HEIGHT, layout.height());
            cb.spInt(s, ControlBlock.S_FORMAT, layoutFormat);
        } else {
            cb.spLong(s, ControlBlock.S_PAYLOAD_BYTES, pool.bufferSize(s));
        }
        return f;
    }

    /**
     * Publishes a producer frame to every group (the caller checked it is a producer frame of
     * this pool): the next sequence number, PRODUCER to PUBLISHED(pending = all groups), then an
     * entry in every group's ring, a full ring giving up its oldest entry. {@code signal}: wake
     * each group's sleepers now (false for a batch, which signals once at its end).
     */
    void publish(Frame f, boolean signal) { publish(f, signal, 0); }

    /**
     * Publishes a producer frame like {@link #publish} and keeps the producer's reference: one
     * more holder ({@link SlotWord#REFERENCE_BIT}, pending and held), so the slot is never taken
     * back by an overflow policy and returns to FREE only when every group released it and
     * {@link #releaseReference} dropped the reference. In a shared pool the reference's holder
     * field names this process before the publish, so crash recovery drops it if the process dies.
     * Returns the reference's handle.
     */
    Frame publishKeepingReference(Frame f) {
        if (!f.open) throw pool.staleHandle("submitKeepingReference", f);
        int s = f.slot;
        long gen = f.gen;
        if (tracked) cb.soHolder(s, SlotWord.REFERENCE_GROUP, me);
        try {
            publish(f, true, SlotWord.REFERENCE_BIT);
        } catch (RuntimeException e) {
            if (tracked) cb.soHolder(s, SlotWord.REFERENCE_GROUP, 0);
            throw e;
        }
        Frame r = referenceFrames[s];
        r.gen = gen;
        r.open = true;
        return r;
    }

    /** The producer drops the reference {@link #publishKeepingReference} kept (the caller checked the handle's kind). */
    void releaseReference(Frame r) {
        if (!r.open) throw pool.staleHandle("releaseReference", r);
        r.open = false;
        if (!leave(SlotWord.REFERENCE_GROUP, r.slot, r.gen, UNREFERENCED, null)) {
            r.open = true;
            throw pool.staleHandle("releaseReference", r);
        }
    }

    /** {@code keep}: 0, or {@link SlotWord#REFERENCE_BIT} (one more holder, already held). */
    private void publish(Frame f, boolean signal, int keep) {
        if (!f.open) throw pool.staleHandle("submitFilled", f);
        // Two paths, each small enough for the JIT to inline (one method of both was not).
        if (singleProducer && !tracked) publishOwnSlot(f, signal, keep);
        else publishChecked(f, signal, keep);
    }

    /**
     * A private pool's single producer: nobody else changes a slot it fills (reclaims take
     * published frames, recovery is for shared pools), so the open handle is the check, and
     * every write is a plain or release store.
     */
    private void publishOwnSlot(Frame f, boolean signal, int keep) {
        int s = f.slot;
        long gen = f.gen;
        long seq = nextSequence++;
        cb.soCounter(ControlBlock.P_NEXT_SEQUENCE, seq + 1);
        cb.spLong(s, ControlBlock.S_SEQUENCE, seq);
        if (timestamps) cb.spLong(s, ControlBlock.S_SUBMIT_NANOS, System.nanoTime());
        f.open = false;
        // SYNC POINT: the release store publishes the pixels and the metadata written above.
        cb.soWord(s, SlotWord.make(SlotWord.PUBLISHED, allGroups | keep, keep, gen));
        if (CRASH_POINT != 0) crashPoint(1);
        queueForGroups(SlotWord.entry(s, gen), signal);
    }

    /** Every other pool: the slot word is checked, and moved by CAS unless there is one producer. */
    private void publishChecked(Frame f, boolean signal, int keep) {
        int s = f.slot;
        long gen = f.gen;
        long w = cb.lvWord(s);
        if (SlotWord.phase(w) != SlotWord.PRODUCER || SlotWord.gen(w) != gen) throw pool.staleHandle("submitFilled", f);
        long seq;
        if (singleProducer) {
            seq = cb.lpCounter(ControlBlock.P_NEXT_SEQUENCE);
            cb.soCounter(ControlBlock.P_NEXT_SEQUENCE, seq + 1);
        } else {
            seq = cb.getAndAdd(ControlBlock.P_NEXT_SEQUENCE, 1);
        }
        cb.spLong(s, ControlBlock.S_SEQUENCE, seq);
        if (timestamps) cb.spLong(s, ControlBlock.S_SUBMIT_NANOS, System.nanoTime());
        f.open = false;
        // SYNC POINT: the CAS (or, for the single producer, whose slot nobody else may change
        // now, the release store) publishes the pixels and the metadata written above.
        long published = SlotWord.make(SlotWord.PUBLISHED, allGroups | keep, keep, gen);
        if (singleProducer) {
            cb.soWord(s, published);
        } else if (!cb.casWord(s, w, published)) {
            throw pool.staleHandle("submitFilled", f);
        }
        if (CRASH_POINT != 0) crashPoint(1);
        queueForGroups(SlotWord.entry(s, gen), signal);
    }

    /** Entry {@code e} into every group's ring, a full ring giving up its oldest entry; wakes each group's sleepers if {@code signal}. */
    private void queueForGroups(long e, boolean signal) {
        for (int g = 0; g < groupCount; g++) {
            MpmcRing ring = groupRings[g];
            if (!(singleProducer ? ring.offerSingleWriter(e, !tracked) : ring.offer(e))) queueFull(g, e);
            if (signal) signaller.signalAllWhenBlocking(groupPoints[g]);
        }
    }

    /**
     * Group g's ring is full of frames the group does not read (and entries of frames taken
     * back): its oldest entries give way, each counted as a drop if still live, until entry
     * {@code e} is queued.
     */
    private void queueFull(int g, long e) {
        MpmcRing ring = groupRings[g];
        for (int pops = 0; !(singleProducer ? ring.offerSingleWriter(e, !tracked) : ring.offer(e)); pops++) {
            if (pops > 4 * ring.capacity() + 64) {
                throw corrupt("group '" + pool.groupName(g) + "''s ring (offset " + ring.offset()
                        + ") stays full however many entries are taken out");
            }
            long old = ring.poll();
            if (old != MpmcRing.EMPTY) {
                cb.increment(cb.group(g) + ControlBlock.G_FULL_POPS);
                int os = SlotWord.entrySlot(old);
                if (os < slotCount) leave(g, os, SlotWord.entryGen(old), DROPPED, "queue full");
            }
        }
    }

    /** Wakes group g's sleepers (after a batch). */
    void signalGroup(int g) { signaller.signalAllWhenBlocking(groupPoints[g]); }

    /** Gives an unsubmitted producer frame back: PRODUCER(gen) to FREE(gen + 1). */
    void abort(Frame f) {
        if (!f.open) throw pool.staleHandle("abort", f);
        long w = cb.lvWord(f.slot);
        if (SlotWord.phase(w) != SlotWord.PRODUCER || SlotWord.gen(w) != f.gen) throw pool.staleHandle("abort", f);
        f.open = false;
        long ng = SlotWord.nextGen(f.gen);
        if (!cb.casWord(f.slot, w, SlotWord.make(SlotWord.FREE, 0, 0, ng))) throw pool.staleHandle("abort", f);
        offerFree(f.slot, ng, false);
    }

    /**
     * Returns an IDLE slot to the free ring and wakes producers asleep on it. The ring has room
     * for two entries per slot, so it can only be full after crash recovery re-queued entries
     * (duplicates): then its oldest entries are popped, and any that is still a live free slot
     * is queued again, so no slot is ever lost.
     */
    void offerFree(int s, long gen, boolean released) {
        long e = SlotWord.entry(s, gen);
        if (oldestFirst) { // this process's producer takes the ring first: no hint from here
            queueFree(e);
            signaller.signalAllWhenBlocking(freePoint);
            return;
        }
        // LIFO: the slot freed last goes where the producer looks first, if that place is clear.
        if (soleReleaser) {
            // Only the one consumer sets the hint (the producer only clears it, recovery and
            // aborts use the ring), so a clear hint stays clear until this store.
            if (released && lvHot() == 0) soHot(e + 1);
            else queueFree(e);
        } else if (lvHot() != 0 || !(tracked ? cb.casCounter(ControlBlock.P_HOT_FREE, 0, e + 1) : HOT.compareAndSet(this, 0L, e + 1))) {
            queueFree(e);
        }
        signaller.signalAllWhenBlocking(freePoint);
    }

    /** True when free entry {@code e} is queued: in the free ring or as the hint (for crash recovery). */
    boolean freeQueued(long e) {
        return lvHot() == e + 1 || freeRing.contains(e);
    }

    /** Something to take at {@code p} (a futex sleeper's last look before it sleeps). */
    boolean hasWork(WaitPoint p) {
        if (!p.ring.isEmpty()) return true;
        return p == freePoint && lvHot() != 0;
    }

    /** The LIFO hint (volatile load): the control block's word in a shared pool, {@link #hotFree} in a private one. */
    private long lvHot() { return tracked ? cb.lvCounter(ControlBlock.P_HOT_FREE) : (long) HOT.getVolatile(this); }

    /** Release store of the LIFO hint. */
    private void soHot(long v) {
        if (tracked) cb.soCounter(ControlBlock.P_HOT_FREE, v);
        else HOT.setRelease(this, v);
    }

    /** True for the policies that take published frames back (DROP_OLDEST, ADAPTIVE). */
    static boolean reclaims(Overflow policy) { return policy == Overflow.DROP_OLDEST || policy == Overflow.ADAPTIVE; }

    /**
     * A reclaiming policy asked of a pool whose one consumer takes by release stores
     * ({@link #storeTake}), which a reclaim could not race safely: an error naming what to do.
     */
    IllegalArgumentException refusesReclaim(Overflow policy) {
        return new IllegalArgumentException("overflow " + policy + " asked of pool '" + pool.name() + "', built with overflow "
                + pool.overflow() + " and one consumer in its one group, which takes frames without atomic operations"
                + " and so cannot race a producer taking a frame back; build the pool with overflow(Overflow." + policy
                + ") to use it");
    }

    private void queueFree(long e) {
        if (freeRing.offer(e)) return;
        queueFreeFull(e);
    }

    /**
     * The free ring is full: only duplicates left by recovery (or written by a hostile process)
     * can fill it, since it has room for two entries per slot. Its oldest entries are popped; a
     * live free slot popped for the first time is queued again, one popped a second time is a
     * duplicate and dropped (a free slot needs one entry). At most slotCount distinct live
     * entries exist, so this ends; it is bounded all the same. Allocates (off the hot path).
     */
    private void queueFreeFull(long e) {
        var todo = new java.util.ArrayDeque<Long>();
        var seen = new java.util.HashSet<Long>();
        todo.push(e);
        for (int rounds = 0; !todo.isEmpty(); ) {
            long top = todo.peek();
            if (freeRing.offer(top)) {
                todo.pop();
                continue;
            }
            if (++rounds > 4 * freeRing.capacity() + 64) {
                throw corrupt("the free ring (offset " + freeRing.offset() + ") stays full of entries that are not free"
                        + " slots, or keeps changing, while slot " + SlotWord.entrySlot(e) + " is returned");
            }
            long old = freeRing.poll();
            if (old == MpmcRing.EMPTY || old == top || !isLiveFree(old)) continue;
            if (seen.add(old) && !todo.contains(old)) todo.push(old); // else a duplicate: dropped
        }
    }

    /** The error for shared state no party writes: names the pool and the field. */
    PoolCorruptedException corrupt(String what) {
        String where = tracked ? "shared pool " + dev.vbuf.shm.ShmNames.path(pool.sharedName()) : "pool '" + pool.name() + "'";
        return new PoolCorruptedException(where, what);
    }

    /**
     * A take found group g's claim of slot s held by {@code holder} again and again. Parties
     * clear their claims before their process entry is freed, so a claim beyond the table, or
     * naming a free entry while it stays, was written by someone else.
     */
    private void checkHolder(int s, int g, int holder) {
        if (holder < 0 || holder > processCapacity) {
            throw corrupt("slot " + s + "'s holder for group '" + pool.groupName(g) + "' is " + Integer.toUnsignedString(holder)
                    + ", beyond the " + processCapacity + " entries of the process table");
        }
        if (holder == 0) return;
        long word = cb.words().getVolatileLong(processOffset + (long) (holder - 1) * ControlBlock.PROCESS_BYTES + ControlBlock.PR_WORD);
        if (word == 0 && cb.lvHolder(s, g) == holder) {
            throw corrupt("slot " + s + "'s holder for group '" + pool.groupName(g) + "' is process entry " + holder
                    + ", which is free (no process holds the frame, and nobody will clear the claim)");
        }
    }

    private boolean isLiveFree(long e) {
        int s = SlotWord.entrySlot(e);
        if (s >= slotCount) return false;
        long w = cb.lvWord(s);
        return SlotWord.phase(w) == SlotWord.FREE && SlotWord.gen(w) == SlotWord.entryGen(e);
    }

    // =====================================================================================
    // Overflow: taking a victim back
    // =====================================================================================

    private Frame reclaim(Overflow policy) {
        return switch (policy) {
            case DROP_OLDEST -> reclaimOldestWarm(policy);
            case ADAPTIVE -> hotRatio() > Overflow.ADAPTIVE_HOT_RATIO ? reclaimOldestWarm(policy) : null;
            default -> null;
        };
    }

    /** HOT buffers (being filled or read) over all buffers. */
    double hotRatio() {
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
     * PUBLISHED(gen, held=0) to PRODUCER(gen+1). Its ring entries become stale and are skipped;
     * a drop is counted for every group that had it pending.
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
                    ev.pool = pool.name();
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

    // =====================================================================================
    // Consumer side
    // =====================================================================================

    /**
     * Takes group g's next frame. Peek the ring's head entry, (shared pools: claim the slot's
     * holder field for this process), CAS the group's held bit on, then remove the entry. A
     * consumer that dies at any point leaves the entry queued, or the frame recorded as held by
     * its process (recovered when it is found dead); an entry whose frame was already taken by
     * the group, released, or taken back is stale and removed by whoever sees it.
     */
    Frame takeFilled(int g) {
        if (!tracked && groupCount == 1) {
            // The common case of a private pool of one group, kept small enough to be inlined:
            // the head entry is a frame as its producer published it (pending, not held), taken
            // in one CAS with no read of the word first. Anything else goes the long way.
            MpmcRing ring = groupRings[0];
            long h = ring.head();
            long e = ring.peek(h);
            if (e == MpmcRing.EMPTY) return null;
            int s = SlotWord.entrySlot(e);
            if (e >= 0 && s < slotCount) {
                long gen = SlotWord.entryGen(e);
                long fresh = SlotWord.make(SlotWord.PUBLISHED, 1, 0, gen);
                if (storeTake) {
                    // SYNC POINT: the acquire load pairs with the producer's release store of the
                    // word, which published the pixels and metadata. Exactly "published, not held,
                    // no reference": nobody else may change it now (see storeTake); else the CAS path.
                    if (cb.laWord(s) == fresh) {
                        cb.soWord(s, SlotWord.make(SlotWord.PUBLISHED, 1, 1, gen));
                        ring.removeSole(h, e);
                        return opened(0, s, gen, cb.group(0));
                    }
                } else if (cb.casWord(s, fresh, SlotWord.make(SlotWord.PUBLISHED, 1, 1, gen))) {
                    return taken(ring, h, e, 0, s, gen, cb.group(0));
                }
            }
        }
        return takeFilledSlow(g);
    }

    private Frame takeFilledSlow(int g) {
        MpmcRing ring = groupRings[g];
        int bit = 1 << g;
        long rec = cb.group(g);
        for (int busy = 0, looks = 0; ; looks++) {
            if (looks > 4 * ring.capacity() + MAX_BUSY + 256) return null; // the wait loop checks timeout and interrupt
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
                // Another consumer of the group is taking this very entry: let it finish. A claim
                // seen again and again is checked (a claim no live party made is an error), and
                // the take gives up after a while so that the wait loop sees timeout and interrupt.
                if (++busy % STUCK_HOLDER_CHECKS == 0) {
                    checkHolder(s, g, cb.lvHolder(s, g));
                    if (busy >= MAX_BUSY) return null;
                }
                if (busy < 64) Thread.onSpinWait(); else Thread.yield();
                continue;
            }
            if (CRASH_POINT != 0) crashPoint(3);
            if (cb.casWord(s, w, SlotWord.make(SlotWord.PUBLISHED, SlotWord.pending(w), SlotWord.held(w) | bit, gen))) {
                return taken(ring, h, e, g, s, gen, rec);
            }
            if (tracked) cb.soHolder(s, g, 0);
        }
    }

    /** After the CAS that recorded group g's take of slot s: the ring entry goes, the handle opens. */
    private Frame taken(MpmcRing ring, long h, long e, int g, int s, long gen, long rec) {
        ring.remove(h, e);
        if (singleConsumers) return opened(g, s, gen, rec);
        cb.increment(rec + ControlBlock.G_TAKEN);
        return issue(g, s, gen);
    }

    /** The one consumer of group g took slot s: its counter (its own: a release store), then the handle. */
    private Frame opened(int g, int s, long gen, long rec) {
        if (tracked) cb.incrementSingleWriter(rec + ControlBlock.G_TAKEN);
        else cb.soCounter(rec + ControlBlock.G_TAKEN, ++takenCounts[g]);
        return issue(g, s, gen);
    }

    private Frame issue(int g, int s, long gen) {
        Frame f = consumerFrames[g][s];
        f.gen = gen;
        f.open = true;
        return f;
    }

    /** A consumer releases its frame (the caller checked it is a consumer frame of this pool). */
    void release(Frame f) {
        if (!f.open) throw pool.staleHandle("releaseFilled", f);
        // Close the handle before the CAS: once the CAS lands, another consumer of this
        // group may be issued the same handle object for the buffer's next use.
        f.open = false;
        if (!(soleReleaser ? releaseSole(f.group, f.slot, f.gen) : leave(f.group, f.slot, f.gen, RELEASED, null))) {
            f.open = true;
            throw pool.staleHandle("releaseFilled", f);
        }
    }

    /**
     * {@link #leave} for the one consumer of the one group ({@link #soleReleaser}):
     * PUBLISHED(gen, pending = held = {g}) to FREE(gen + 1) by release store, since nobody else
     * may change a frame the one consumer holds and no producer reference keeps. Any other word
     * (a decoder's reference still kept, or a stale handle) takes {@link #leave}'s CAS loop.
     */
    private boolean releaseSole(int g, int s, long gen) {
        int bit = 1 << g;
        if (cb.lvWord(s) != SlotWord.make(SlotWord.PUBLISHED, bit, bit, gen)) return leave(g, s, gen, RELEASED, null);
        long ng = SlotWord.nextGen(gen);
        cb.soWord(s, SlotWord.make(SlotWord.FREE, 0, 0, ng));
        if (CRASH_POINT != 0) crashPoint(2);
        if (tracked) cb.soHolder(s, g, 0);
        offerFree(s, ng, true);
        return true;
    }

    /**
     * Group g leaves slot s: the one transition by which a group lets go of a published frame.
     * <pre>
     *   PUBLISHED(gen, pending, held) -CAS-&gt; PUBLISHED(gen, pending &amp; ~g, held &amp; ~g)
     *                                 or    FREE(gen + 1) when g was the last pending group,
     *                                       then queued in the free ring
     * </pre>
     * What the word must show first depends on the cause: {@link #RELEASED} and
     * {@link #LOST_TO_CRASH} need g's held bit (the frame is held), {@link #DROPPED} needs g
     * pending and not held (an unread entry). {@code gen} must match unless it is -1 (crash
     * recovery: whatever generation the dead holder had). When g held the frame its holder field
     * is cleared after the CAS and before the slot is queued free (so it never clears a later
     * holder's claim). Drops and crash losses are counted for the group and reported as
     * FrameDropped events ({@code reason}).
     *
     * @return false when the word no longer allows it (stale: someone else already moved it)
     */
    boolean leave(int g, int s, long gen, int cause, String reason) {
        int bit = 1 << g;
        boolean mustHold = cause != DROPPED;
        for (int tries = 0; ; tries++) {
            if (tries >= CAS_RETRIES) {
                throw corrupt("slot " + s + "'s word kept changing for " + CAS_RETRIES + " attempts to let group '"
                        + pool.groupName(g) + "' leave it");
            }
            long w = cb.lvWord(s);
            long wgen = SlotWord.gen(w);
            if (SlotWord.phase(w) != SlotWord.PUBLISHED || (gen >= 0 && wgen != gen)
                    || (SlotWord.pending(w) & bit) == 0 || ((SlotWord.held(w) & bit) != 0) != mustHold) {
                return false;
            }
            int pending = SlotWord.pending(w) & ~bit;
            long ng = SlotWord.nextGen(wgen);
            long nw = pending == 0 ? SlotWord.make(SlotWord.FREE, 0, 0, ng)
                    : SlotWord.make(SlotWord.PUBLISHED, pending, SlotWord.held(w) & ~bit, wgen);
            if (!cb.casWord(s, w, nw)) continue;
            if (CRASH_POINT != 0 && pending == 0 && cause == RELEASED) crashPoint(2);
            if (mustHold && tracked) cb.soHolder(s, g, 0);
            if (cause >= DROPPED) {
                long rec = cb.group(g);
                cb.increment(rec + ControlBlock.G_DROPPED);
                if (cause == LOST_TO_CRASH) cb.increment(rec + ControlBlock.G_LOST_TO_CRASH);
                dropEvent(g, s, cb.lpLong(s, ControlBlock.S_SEQUENCE), reason);
            }
            if (pending == 0) offerFree(s, ng, cause == RELEASED);
            return true;
        }
    }

    // =====================================================================================
    // Counters and events
    // =====================================================================================

    /** Frames submitted: the sequence counter (no counter of its own, so submit does one atomic add less). */
    long published() { return cb.lvCounter(ControlBlock.P_NEXT_SEQUENCE); }

    /** Frames group g's consumers acquired. */
    long taken(int g) { return cb.lvCounter(cb.group(g) + ControlBlock.G_TAKEN); }

    /** Frames published to group g and not yet taken or dropped. */
    long lag(int g) {
        // A frame lost to a dead consumer was taken and also counted dropped: count it once.
        long rec = cb.group(g);
        long lag = published() - taken(g) - cb.lvCounter(rec + ControlBlock.G_DROPPED)
                + cb.lvCounter(rec + ControlBlock.G_LOST_TO_CRASH);
        return Math.max(0, lag);
    }

    void dropEvent(int g, int slot, long seq, String reason) {
        FrameDroppedEvent ev = new FrameDroppedEvent();
        if (ev.shouldCommit()) {
            ev.pool = pool.name();
            ev.group = pool.groupName(g);
            ev.frameId = slot;
            ev.sequence = seq;
            ev.reason = reason;
            ev.commit();
        }
    }

    private void timeoutEvent(String side, long timeoutNanos) {
        AcquireTimeoutEvent ev = new AcquireTimeoutEvent();
        if (ev.shouldCommit()) {
            ev.pool = pool.name();
            ev.side = side;
            ev.timeout = timeoutNanos;
            ev.commit();
        }
    }
}
