package dev.vbuf.pool;

import dev.vbuf.memory.ExternalBuffer;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.openjdk.jcstress.infra.results.JJ_Result;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * jcstress tests of the slot word: two transitions of one slot racing, each one CAS of the word
 * in {@link HandOff}. Each state is a one-buffer pool on GC-managed memory (external buffers
 * from Arena.ofAuto, no JMX), so states need no closing.
 */
public final class SlotStress {
    private SlotStress() {}

    static FramePool pool(Overflow overflow, String... groups) { return pool(false, overflow, groups); }

    /** {@code singleWriter}: the single-writer path (one producer, one consumer per group declared). */
    static FramePool pool(boolean singleWriter, Overflow overflow, String... groups) {
        List<ExternalBuffer> bufs = new ArrayList<>();
        bufs.add(ExternalBuffer.of(Arena.ofAuto().allocate(64, 64)));
        return FramePool.builder().external(bufs).groups(groups).overflow(overflow).jmx(false)
                .singleProducer(singleWriter).singleConsumers(singleWriter).build();
    }

    @JCStressTest
    @Description("Group a releases a frame while the producer, with no free buffer, tries to take back the "
            + "oldest frame no group holds (DROP_OLDEST): the victim is taken only once a has let go, and "
            + "then counted as dropped for group b alone.")
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "released first; the producer took the frame back (b's drop)")
    @Outcome(id = "1, 0, 0", expect = ACCEPTABLE, desc = "the producer looked while a still held it: nothing taken")
    @Outcome(expect = FORBIDDEN, desc = "a held frame taken back, a release refused, or a drop miscounted")
    @State
    public static class ReleaseAgainstReclaim {
        final FramePool pool = pool(Overflow.DROP_OLDEST, "a", "b");
        final Frame held;
        {
            pool.tryAcquireFree().submit();
            held = pool.consumer("a").tryAcquireFilled();
        }

        @Actor public void consumer(III_Result r) {
            try {
                held.release();
                r.r1 = 1;
            } catch (RuntimeException e) {
                r.r1 = -1;
            }
        }

        @Actor public void producer(III_Result r) {
            r.r2 = pool.acquireFree(Overflow.DROP_OLDEST, 0) != null ? 1 : 0;
        }

        @Arbiter public void check(III_Result r) {
            var st = pool.stats();
            long dropsA = st.groups().get(0).dropped(), dropsB = st.groups().get(1).dropped();
            r.r3 = (int) (dropsB + 10 * dropsA);
            FrameState expected = r.r2 == 1 ? FrameState.LOCKED_BY_PRODUCER : FrameState.READY_FOR_CONSUME;
            if (pool.getBufferById(0).orElseThrow().state() != expected || !pool.validateAllBuffers()) r.r3 = -1;
        }
    }

    @JCStressTest
    @Description("Single-writer path: Group a releases a frame while the producer, with no free buffer, tries to take back the "
            + "oldest frame no group holds (DROP_OLDEST): the victim is taken only once a has let go, and "
            + "then counted as dropped for group b alone.")
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "released first; the producer took the frame back (b's drop)")
    @Outcome(id = "1, 0, 0", expect = ACCEPTABLE, desc = "the producer looked while a still held it: nothing taken")
    @Outcome(expect = FORBIDDEN, desc = "a held frame taken back, a release refused, or a drop miscounted")
    @State
    public static class ReleaseAgainstReclaimSingleWriter {
        final FramePool pool = pool(true, Overflow.DROP_OLDEST, "a", "b");
        final Frame held;
        {
            pool.tryAcquireFree().submit();
            held = pool.consumer("a").tryAcquireFilled();
        }

        @Actor public void consumer(III_Result r) {
            try {
                held.release();
                r.r1 = 1;
            } catch (RuntimeException e) {
                r.r1 = -1;
            }
        }

        @Actor public void producer(III_Result r) {
            r.r2 = pool.acquireFree(Overflow.DROP_OLDEST, 0) != null ? 1 : 0;
        }

        @Arbiter public void check(III_Result r) {
            var st = pool.stats();
            long dropsA = st.groups().get(0).dropped(), dropsB = st.groups().get(1).dropped();
            r.r3 = (int) (dropsB + 10 * dropsA);
            FrameState expected = r.r2 == 1 ? FrameState.LOCKED_BY_PRODUCER : FrameState.READY_FOR_CONSUME;
            if (pool.getBufferById(0).orElseThrow().state() != expected || !pool.validateAllBuffers()) r.r3 = -1;
        }
    }

    @JCStressTest
    @Description("A consumer takes a queued frame while the producer drops the same entry for that group "
            + "(its ring was full): exactly one of them wins the slot word.")
    @Outcome(id = "1, 0, 0", expect = ACCEPTABLE, desc = "the consumer took it first; the drop found it held (stale)")
    @Outcome(id = "0, 1, 1", expect = ACCEPTABLE, desc = "dropped first (counted); the consumer found nothing")
    @Outcome(expect = FORBIDDEN, desc = "taken and dropped, or neither, or a wrong final state")
    @State
    public static class TakeFilledAgainstDrop {
        final FramePool pool = pool(Overflow.BLOCK, "g");
        final HandOff h = pool.handOff();
        final Consumer c = pool.consumer("g");
        final long gen;
        {
            Frame f = pool.tryAcquireFree();
            gen = f.generation();
            f.submit();
        }

        @Actor public void consumer(III_Result r) {
            r.r1 = c.tryAcquireFilled() != null ? 1 : 0;
        }

        @Actor public void producer(III_Result r) {
            // what publish does with the oldest entry of a full ring: poll it, and the group leaves the slot
            long e = h.groupRings[0].poll();
            r.r2 = e != MpmcRing.EMPTY && h.leave(0, SlotWord.entrySlot(e), SlotWord.entryGen(e), HandOff.DROPPED, "queue full")
                    ? 1 : 0;
        }

        @Arbiter public void check(III_Result r) {
            r.r3 = (int) pool.stats().groups().get(0).dropped();
            FrameState expected = r.r1 == 1 ? FrameState.LOCKED_BY_CONSUMER : FrameState.IDLE;
            if (pool.getBufferById(0).orElseThrow().state() != expected || !pool.validateAllBuffers()) r.r3 = -1;
        }
    }

    @JCStressTest
    @Description("Single-writer path: A consumer takes a queued frame while the producer drops the same entry for that group "
            + "(its ring was full): exactly one of them wins the slot word. The pool drops the oldest frame when full: a ring "
            + "fills only where published frames are taken back, and a pool that never takes them back (BLOCK, FAIL) has its "
            + "sole consumer take by stores instead (HandOff.storeTake), whose ring the producer never pops.")
    @Outcome(id = "1, 0, 0", expect = ACCEPTABLE, desc = "the consumer took it first; the drop found it held (stale)")
    @Outcome(id = "0, 1, 1", expect = ACCEPTABLE, desc = "dropped first (counted); the consumer found nothing")
    @Outcome(expect = FORBIDDEN, desc = "taken and dropped, or neither, or a wrong final state")
    @State
    public static class TakeFilledAgainstDropSingleWriter {
        final FramePool pool = pool(true, Overflow.DROP_OLDEST, "g");
        final HandOff h = pool.handOff();
        final Consumer c = pool.consumer("g");
        final long gen;
        {
            if (h.storeTake) throw new IllegalStateException("the pool must take by CAS here: its ring can fill");
            Frame f = pool.tryAcquireFree();
            gen = f.generation();
            f.submit();
        }

        @Actor public void consumer(III_Result r) {
            r.r1 = c.tryAcquireFilled() != null ? 1 : 0;
        }

        @Actor public void producer(III_Result r) {
            // what publish does with the oldest entry of a full ring: poll it, and the group leaves the slot
            long e = h.groupRings[0].poll();
            r.r2 = e != MpmcRing.EMPTY && h.leave(0, SlotWord.entrySlot(e), SlotWord.entryGen(e), HandOff.DROPPED, "queue full")
                    ? 1 : 0;
        }

        @Arbiter public void check(III_Result r) {
            r.r3 = (int) pool.stats().groups().get(0).dropped();
            FrameState expected = r.r1 == 1 ? FrameState.LOCKED_BY_CONSUMER : FrameState.IDLE;
            if (pool.getBufferById(0).orElseThrow().state() != expected || !pool.validateAllBuffers()) r.r3 = -1;
        }
    }

    @JCStressTest
    @Description("Two groups release the same frame at once: both succeed, and exactly one of them (the last "
            + "out) frees the slot, which is then queued free once.")
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "both released; the slot is free and queued once")
    @Outcome(expect = FORBIDDEN, desc = "a release refused, the slot not freed, or queued twice")
    @State
    public static class ReleaseAgainstRelease {
        final FramePool pool = pool(Overflow.BLOCK, "a", "b");
        final Frame fa, fb;
        {
            pool.tryAcquireFree().submit();
            fa = pool.consumer("a").tryAcquireFilled();
            fb = pool.consumer("b").tryAcquireFilled();
        }

        @Actor public void a(III_Result r) { fa.release(); r.r1 = 1; }
        @Actor public void b(III_Result r) { fb.release(); r.r2 = 1; }

        @Arbiter public void check(III_Result r) {
            Frame once = pool.tryAcquireFree();
            Frame twice = pool.tryAcquireFree();
            r.r3 = once != null && twice == null && pool.handOff().freeRing.size() == 0 ? 1 : 0;
        }
    }

    @JCStressTest
    @Description("Single-writer path, one group: the one consumer releases by release store (it alone may change "
            + "a held frame) and sets the LIFO hint, while the producer, with no free buffer, acquires with "
            + "DROP_OLDEST: it gets the buffer only once released (through the hint), never while it is held.")
    @Outcome(id = "1, 1, 0", expect = ACCEPTABLE, desc = "released first; the producer took the freed buffer from the hint")
    @Outcome(id = "1, 0, 0", expect = ACCEPTABLE, desc = "the producer looked while the consumer still held it")
    @Outcome(expect = FORBIDDEN, desc = "a held frame taken back, a release refused, a drop counted, or a wrong final state")
    @State
    public static class SoleReleaserAgainstAcquire {
        final FramePool pool = pool(true, Overflow.DROP_OLDEST, "g");
        final Frame held;
        {
            pool.tryAcquireFree().submit();
            held = pool.consumer("g").tryAcquireFilled();
        }

        @Actor public void consumer(III_Result r) {
            try {
                held.release();
                r.r1 = 1;
            } catch (RuntimeException e) {
                r.r1 = -1;
            }
        }

        @Actor public void producer(III_Result r) {
            r.r2 = pool.acquireFree(Overflow.DROP_OLDEST, 0) != null ? 1 : 0;
        }

        @Arbiter public void check(III_Result r) {
            r.r3 = (int) pool.stats().groups().get(0).dropped();
            FrameState expected = r.r2 == 1 ? FrameState.LOCKED_BY_PRODUCER : FrameState.IDLE;
            if (pool.getBufferById(0).orElseThrow().state() != expected || !pool.validateAllBuffers()) r.r3 = -1;
        }
    }

    /** A one-buffer private pool that takes by stores (HandOff.storeTake), its buffer free. */
    static FramePool storeTakePool() {
        FramePool pool = pool(true, Overflow.BLOCK, "g");
        if (!pool.handOff().storeTake) throw new IllegalStateException("the pool must take by stores here");
        return pool;
    }

    /** The producer's side of the storeTake races: the payload, then the publish. */
    static void publish42(Frame f) {
        f.segment().set(ValueLayout.JAVA_LONG, 0, 42L);
        f.submit();
    }

    /** The consumer's side: the payload of the frame taken, or -1 for none. */
    static long take(Consumer c) {
        Frame t = c.tryAcquireFilled();
        return t == null ? -1 : t.segment().get(ValueLayout.JAVA_LONG, 0);
    }

    /** Buffer 0 after the race: 1 held by the consumer, 0 queued, -1 anything else, -2 the pool fails its check. */
    static long heldOrQueued(FramePool pool) {
        if (!pool.validateAllBuffers()) return -2;
        FrameState st = pool.getBufferById(0).orElseThrow().state();
        return st == FrameState.LOCKED_BY_CONSUMER ? 1 : st == FrameState.READY_FOR_CONSUME ? 0 : -1;
    }

    @JCStressTest
    @Description("A private pool of one group that never reclaims (its sole consumer takes by stores, "
            + "HandOff.storeTake): the producer writes the payload and publishes by release stores while the "
            + "consumer polls. A take sees the payload written before the publish, and leaves the frame held.")
    @Outcome(id = "42, 1", expect = ACCEPTABLE, desc = "took the frame, with its payload")
    @Outcome(id = "-1, 0", expect = ACCEPTABLE, desc = "looked before the publish: nothing to take, the frame stays queued")
    @Outcome(expect = FORBIDDEN, desc = "a frame taken without its payload, or a wrong final state")
    @State
    public static class PublishAgainstStoreTake {
        final FramePool pool = storeTakePool();
        final Consumer c = pool.consumer("g");
        final Frame f = pool.tryAcquireFree();

        @Actor public void producer() { publish42(f); }

        @Actor public void consumer(JJ_Result r) { r.r1 = take(c); }

        @Arbiter public void check(JJ_Result r) { r.r2 = heldOrQueued(pool); }
    }

    @JCStressTest
    @Description("The same race once a producer reference was kept and dropped in the pool (a decoder's "
            + "reference picture): the take by stores still sees the payload.")
    @Outcome(id = "42, 1", expect = ACCEPTABLE, desc = "took the frame, with its payload")
    @Outcome(id = "-1, 0", expect = ACCEPTABLE, desc = "looked before the publish: nothing to take, the frame stays queued")
    @Outcome(expect = FORBIDDEN, desc = "a frame taken without its payload, or a wrong final state")
    @State
    public static class PublishAgainstStoreTakeAfterReference {
        final FramePool pool = storeTakePool();
        final Consumer c = pool.consumer("g");
        final Frame f;
        {
            Frame first = pool.tryAcquireFree();
            Frame ref = pool.submitKeepingReference(first);
            c.tryAcquireFilled().release();
            pool.releaseReference(ref);
            f = pool.tryAcquireFree();
        }

        @Actor public void producer() { publish42(f); }

        @Actor public void consumer(JJ_Result r) { r.r1 = take(c); }

        @Arbiter public void check(JJ_Result r) { r.r2 = heldOrQueued(pool); }
    }
}
