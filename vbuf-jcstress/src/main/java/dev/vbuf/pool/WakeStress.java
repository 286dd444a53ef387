package dev.vbuf.pool;

import dev.vbuf.memory.ExternalBuffer;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

import java.lang.foreign.Arena;
import java.util.List;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * jcstress tests of the futex wait's Dekker pair ({@link WaitStrategy.Futex}): a sleeper about to
 * sleep against a party that queues something and then signals. The sleeper's side is
 * {@link WaitStrategy.Futex#register} (count itself, read the futex word, look at the queue:
 * everything the real sleep does before the system call); the waker's is the pool's own release
 * or publish. Forbidden: the sleeper saw nothing to take and the waker did not bump the word it
 * read, i.e. it would sleep with nobody to wake it.
 */
public final class WakeStress {
    private WakeStress() {}

    /**
     * A one-buffer private pool of one group, single-writer, waiting on the futex. Its sleep
     * deadlines are raised an hour ahead: a waker ignores a registration older than the longest
     * sleep plus slack (150 ms: a real sleeper renews it every 100 ms, so only a dead one's gets
     * that old), and on a loaded machine jcstress's two actors of one sample can run further
     * apart than that. The deadline's rule is proved by CrossProcessTest; here, only the pair.
     */
    static FramePool pool() {
        FramePool pool = FramePool.builder().external(List.of(ExternalBuffer.of(Arena.ofAuto().allocate(64, 64))))
                .groups("g").overflow(Overflow.BLOCK).waitStrategy(WaitStrategy.futex()).jmx(false)
                .singleProducer(true).singleConsumers(true).build();
        long hourAhead = System.nanoTime() + 3_600_000_000_000L;
        HandOff h = pool.handOff();
        h.cb.setMax(h.freePoint.deadlineOffset, hourAhead);
        h.cb.setMax(h.groupPoints[0].deadlineOffset, hourAhead);
        return pool;
    }

    /** r1: 1 when the sleeper saw work (it would not sleep); r2: 1 when the word moved past what it read. */
    static void check(WaitPoint p, long v, II_Result r) {
        r.r1 = v < 0 ? 1 : 0;
        r.r2 = v >= 0 && Integer.toUnsignedLong(p.cb.lvInt(p.futexOffset)) != v ? 1 : 0;
        WaitStrategy.Futex.unregister(p);
    }

    @JCStressTest
    @Description("The one consumer releases the only buffer (release stores of the slot word and the LIFO hint, "
            + "then the signal) while the producer, finding none free, registers to sleep on the free futex.")
    @Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "the producer saw the buffer free: it does not sleep")
    @Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "the producer will sleep; the consumer saw it and bumped the word: "
            + "the kernel refuses the sleep or wakes it")
    @Outcome(id = "0, 0", expect = FORBIDDEN, desc = "lost wake-up: the producer sleeps with nobody to wake it")
    @State
    public static class ReleaseAgainstSleepingProducer {
        final FramePool pool = pool();
        final Frame held;
        long v;

        public ReleaseAgainstSleepingProducer() {
            pool.tryAcquireFree().submit();
            held = pool.consumer("g").tryAcquireFilled();
        }

        @Actor public void consumer() { held.release(); }

        @Actor public void producer() { v = WaitStrategy.Futex.register(pool.handOff().freePoint); }

        @Arbiter public void check(II_Result r) { WakeStress.check(pool.handOff().freePoint, v, r); }
    }

    @JCStressTest
    @Description("The one producer publishes a frame (release stores of the slot word and the ring cell in a "
            + "private pool, then the signal) while the consumer, finding nothing queued, registers to sleep on "
            + "its group's futex.")
    @Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "the consumer saw the frame: it does not sleep")
    @Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "the consumer will sleep; the producer saw it and bumped the word")
    @Outcome(id = "0, 0", expect = FORBIDDEN, desc = "lost wake-up: the consumer sleeps with nobody to wake it")
    @State
    public static class PublishAgainstSleepingConsumer {
        final FramePool pool = pool();
        final Frame filling = pool.tryAcquireFree();
        long v;

        @Actor public void producer() { filling.submit(); }

        @Actor public void consumer() { v = WaitStrategy.Futex.register(pool.handOff().groupPoints[0]); }

        @Arbiter public void check(II_Result r) { WakeStress.check(pool.handOff().groupPoints[0], v, r); }
    }
}
