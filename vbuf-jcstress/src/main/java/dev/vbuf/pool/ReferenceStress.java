package dev.vbuf.pool;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.openjdk.jcstress.infra.results.II_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * jcstress tests of a producer's reference kept across publish (a decoder's reference picture,
 * {@link FramePool#submitKeepingReference}): one more holder of the slot, racing the other
 * holders' transitions. One-buffer pools as in {@link SlotStress}.
 */
public final class ReferenceStress {
    private ReferenceStress() {}

    /** The consumer releases while the decoder drops its reference: whoever is last frees the slot, exactly once. */
    static final class ReleaseAgainstUnreference {
        final FramePool pool;
        final Frame held;
        final Frame reference;

        ReleaseAgainstUnreference(boolean singleWriter) {
            pool = SlotStress.pool(singleWriter, Overflow.BLOCK, "a");
            reference = pool.submitKeepingReference(pool.tryAcquireFree());
            held = pool.consumer("a").tryAcquireFilled();
        }

        void consumer(III_Result r) {
            try {
                held.release();
                r.r1 = 1;
            } catch (RuntimeException e) {
                r.r1 = -1;
            }
        }

        void decoder(III_Result r) {
            try {
                pool.releaseReference(reference);
                r.r2 = 1;
            } catch (RuntimeException e) {
                r.r2 = -1;
            }
        }

        void check(III_Result r) {
            var st = pool.stats();
            boolean ok = st.idle() == 1 && st.references() == 0 && st.heldByDecoder() == 0 && pool.validateAllBuffers();
            Frame again = pool.tryAcquireFree();
            boolean once = again != null && pool.tryAcquireFree() == null;
            r.r3 = ok && once ? 1 : 0;
        }
    }

    @JCStressTest
    @Description("A consumer releases a frame while the decoder drops its reference to it: both succeed, and the slot "
            + "is free exactly once.")
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "both let go, in either order; the slot is free once")
    @Outcome(expect = FORBIDDEN, desc = "a release refused, the slot lost, or free twice")
    @State
    public static class ReleaseAgainstUnreferenceMpmc {
        final ReleaseAgainstUnreference race = new ReleaseAgainstUnreference(false);

        @Actor public void consumer(III_Result r) { race.consumer(r); }

        @Actor public void decoder(III_Result r) { race.decoder(r); }

        @Arbiter public void check(III_Result r) { race.check(r); }
    }

    @JCStressTest
    @Description("Single-writer path (the one consumer frees by release store when it is the last holder): a consumer "
            + "releases a frame while the decoder drops its reference: both succeed, and the slot is free exactly once.")
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "both let go, in either order; the slot is free once")
    @Outcome(expect = FORBIDDEN, desc = "a release store lost the reference, or the slot is lost or free twice")
    @State
    public static class ReleaseAgainstUnreferenceSingleWriter {
        final ReleaseAgainstUnreference race = new ReleaseAgainstUnreference(true);

        @Actor public void consumer(III_Result r) { race.consumer(r); }

        @Actor public void decoder(III_Result r) { race.decoder(r); }

        @Arbiter public void check(III_Result r) { race.check(r); }
    }

    @JCStressTest
    @Description("Single-writer path in a private pool with overflow BLOCK, where the one consumer takes a frame "
            + "published to it and not held by release stores: it takes a frame while the decoder drops its "
            + "reference to it. The word is not the exact one the store expects until the reference is gone, so "
            + "the take goes by CAS then; either way the consumer gets the frame once and the slot is free once.")
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "taken and released, reference dropped, in either order; free once")
    @Outcome(expect = FORBIDDEN, desc = "the take's store lost the reference (or the reference's CAS lost the take), "
            + "the frame not taken, or the slot lost or free twice")
    @State
    public static class TakeAgainstUnreferenceSingleWriter {
        final FramePool pool = SlotStress.pool(true, Overflow.BLOCK, "a");
        final Frame reference = pool.submitKeepingReference(pool.tryAcquireFree());
        final Consumer consumer = pool.consumer("a");

        @Actor
        public void consumer(III_Result r) {
            try {
                Frame f = consumer.tryAcquireFilled();
                if (f == null) {
                    r.r1 = 0;
                    return;
                }
                f.release();
                r.r1 = 1;
            } catch (RuntimeException e) {
                r.r1 = -1;
            }
        }

        @Actor
        public void decoder(III_Result r) {
            try {
                pool.releaseReference(reference);
                r.r2 = 1;
            } catch (RuntimeException e) {
                r.r2 = -1;
            }
        }

        @Arbiter
        public void check(III_Result r) {
            var st = pool.stats();
            boolean ok = st.idle() == 1 && st.references() == 0 && st.heldByDecoder() == 0 && pool.validateAllBuffers();
            Frame again = pool.tryAcquireFree();
            boolean once = again != null && pool.tryAcquireFree() == null;
            r.r3 = ok && once ? 1 : 0;
        }
    }

    @JCStressTest
    @Description("The producer, with no free buffer, tries to take back the oldest unread frame (DROP_OLDEST) while "
            + "the decoder drops its reference to it: a frame the decoder still references is never taken back.")
    @Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "the producer looked while the reference was kept: nothing taken")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "the reference was dropped first; the frame taken back, a's drop")
    @Outcome(expect = FORBIDDEN, desc = "a referenced frame taken back, or the reference release refused")
    @State
    public static class UnreferenceAgainstReclaim {
        final FramePool pool = SlotStress.pool(Overflow.DROP_OLDEST, "a");
        final Frame reference = pool.submitKeepingReference(pool.tryAcquireFree());

        @Actor public void decoder(II_Result r) {
            try {
                pool.releaseReference(reference);
                r.r1 = 1;
            } catch (RuntimeException e) {
                r.r1 = -1;
            }
        }

        @Actor public void producer(II_Result r) {
            r.r2 = pool.acquireFree(Overflow.DROP_OLDEST, 0) != null ? 1 : 0;
        }

        @Arbiter public void check(II_Result r) {
            long drops = pool.stats().groups().get(0).dropped();
            FrameState expected = r.r2 == 1 ? FrameState.LOCKED_BY_PRODUCER : FrameState.READY_FOR_CONSUME;
            if (drops != r.r2 || pool.getBufferById(0).orElseThrow().state() != expected || !pool.validateAllBuffers()) {
                r.r2 = -1;
            }
        }
    }
}
