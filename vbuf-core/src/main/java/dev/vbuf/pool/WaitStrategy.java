package dev.vbuf.pool;

import java.util.concurrent.locks.LockSupport;

/**
 * Both sides of waiting for a frame (free or filled) that is not there yet, as the Disruptor's
 * {@code waitFor} and {@code signalAllWhenBlocking}: the waiting side {@link #waitFor} once after
 * each failed attempt, and the side that queues something calls {@link #signalAllWhenBlocking}.
 * Neither allocates, and waiting never takes a lock.
 *
 * <p>The polling strategies (busy spin, spin-then-yield, spin-then-park) need no signal: the
 * waiter polls, backing off, so no wake-up can be lost. Only {@link #futex()} sleeps in the
 * kernel; it registers as a sleeper first, and its signal costs one read of the sleeper count
 * when nobody sleeps. In a shared pool other processes may sleep on the futex whatever this
 * process waits with, so a shared pool always signals with the futex strategy.
 *
 * <p>A lambda or a class that only implements {@link #idle(int)} is a polling strategy.
 */
@FunctionalInterface
public interface WaitStrategy {
    /**
     * Idles once (the polling part of a wait).
     *
     * @param attempt failed attempts so far in this wait, from 0
     */
    void idle(int attempt);

    /**
     * Waits once at {@code point} after {@code attempt} failed attempts, at most until
     * {@code deadlineNanos} ({@link System#nanoTime()}; {@code Long.MAX_VALUE} for no limit).
     * Polling strategies {@link #idle(int)}.
     */
    default void waitFor(WaitPoint point, int attempt, long deadlineNanos) {
        idle(attempt);
    }

    /** Called after something was queued at {@code point}: wakes whoever sleeps there. Polling strategies do nothing. */
    default void signalAllWhenBlocking(WaitPoint point) {}

    /** Spins with {@link Thread#onSpinWait()}: lowest latency, burns a core while waiting. */
    static WaitStrategy busySpin() {
        return attempt -> Thread.onSpinWait();
    }

    /** Spins 100 times, then yields the CPU each attempt. */
    static WaitStrategy spinYield() {
        return attempt -> {
            if (attempt < 100) Thread.onSpinWait();
            else Thread.yield();
        };
    }

    /** Spins 100 times, yields 100 times, then parks with exponential back-off up to 100 µs. */
    static WaitStrategy spinPark() {
        return spinPark(100_000);
    }

    /**
     * Spins 100 times, yields 100 times, then parks 1 µs doubling up to {@code maxParkNanos}.
     * An idle waiter then wakes about {@code 1e9 / maxParkNanos} times a second.
     */
    static WaitStrategy spinPark(long maxParkNanos) {
        if (maxParkNanos < 1_000 || maxParkNanos > 1_000_000_000L) {
            throw new IllegalArgumentException("maxParkNanos " + maxParkNanos
                    + " is outside 1000..1000000000 (1 µs to 1 s)");
        }
        return attempt -> {
            if (attempt < 100) Thread.onSpinWait();
            else if (attempt < 200) Thread.yield();
            else LockSupport.parkNanos(Math.min(maxParkNanos, 1_000L << Math.min(20, attempt - 200)));
        };
    }

    /**
     * Spins {@value Futex#SPINS} times, then sleeps in the kernel on a futex word of
     * the control block until a peer (in any process) queues something and wakes it: an idle
     * waiter costs no CPU, and the waker makes the system call only when someone is asleep. For
     * shared pools; works in one process too.
     */
    static WaitStrategy futex() {
        return Futex.INSTANCE;
    }

    /**
     * The futex strategy: polls {@value #SPINS} times, then registers as a sleeper (a count and
     * a deadline in the control block) and sleeps on the wait point's futex word. A waker bumps
     * the word and wakes all sleepers when the count says someone sleeps (and the deadline says
     * the sleeper is not a dead process's leftover registration).
     * <pre>
     *   sleeper                                  waker
     *   waiters += 1; deadline = max(..)         queue the entry
     *   v = word                                 full fence (the entry may be a release store)
     *                                            if waiters != 0 and deadline not passed:
     *   if queue non-empty: return                   word += 1; futex_wake(word, all)
     *   futex_wait(word, v, min(left, 100 ms))
     *   waiters -= 1
     * </pre>
     * No wake-up is lost: a waker that queued before the sleeper's check is seen by the check;
     * one that queued after it sees the sleeper's count and bumps the word, so the kernel refuses
     * the sleep (the word is no longer v) or wakes it.
     */
    final class Futex implements WaitStrategy {
        /**
         * Failed polls before a waiter sleeps in the kernel: {@value #BUSY_SPINS} spins (a few
         * microseconds), no yields. A yield gives the CPU to another runnable thread of a loaded
         * machine for a whole time slice, during which the waiter neither polls nor sleeps where a
         * waker can reach it (at load 27 on 2 vCPUs, 100 yields kept a waiter from its sleep for
         * over 300 ms); a sleeper woken by the futex is run ahead of threads that used their slice.
         */
        public static final int SPINS = 100;
        /** Polls with {@link Thread#onSpinWait()} (all of them: {@link #SPINS}). */
        public static final int BUSY_SPINS = 100;
        /** Longest single futex sleep: closing, interrupts, deadlines and end of stream are noticed this often. */
        static final long MAX_SLEEP_NANOS = 100_000_000L;
        /** A sleep registration is honoured this long past the longest sleep (then it is assumed dead). */
        static final long SLEEP_DEADLINE_SLACK_NANOS = 50_000_000L;
        static final Futex INSTANCE = new Futex();

        private Futex() {}

        @Override
        public void idle(int attempt) {
            if (attempt < BUSY_SPINS) Thread.onSpinWait();
            else Thread.yield();
        }

        @Override
        public void waitFor(WaitPoint p, int attempt, long deadlineNanos) {
            if (attempt < SPINS) {
                idle(attempt);
                return;
            }
            long v = register(p);
            try {
                if (v < 0) return;
                long left = deadlineNanos == Long.MAX_VALUE ? Long.MAX_VALUE : deadlineNanos - System.nanoTime();
                if (left <= 0) return;
                dev.vbuf.sys.Futex.await(p.word, (int) v, Math.min(left, MAX_SLEEP_NANOS));
            } finally {
                unregister(p);
            }
        }

        /**
         * The sleeper's half of the Dekker pair: counts itself as a sleeper (an atomic add: a full
         * fence), renews the deadline, reads the futex word, then looks at the queue. Returns the
         * word's value to sleep on (unsigned), or -1 when there is something to take (or the pool
         * is stopping). Either way the caller {@link #unregister}s afterwards.
         */
        static long register(WaitPoint p) {
            ControlBlock cb = p.cb;
            cb.getAndAddInt(p.waitersOffset, 1);
            cb.setMax(p.deadlineOffset, System.nanoTime() + MAX_SLEEP_NANOS + SLEEP_DEADLINE_SLACK_NANOS);
            int v = cb.lvInt(p.futexOffset);
            return p.ready() ? -1 : Integer.toUnsignedLong(v);
        }

        /** Takes back the count {@link #register} added. */
        static void unregister(WaitPoint p) {
            p.cb.getAndAddInt(p.waitersOffset, -1);
        }

        /**
         * SYNC POINT: the full fence orders the waker's queueing store before its read of the
         * sleeper count (StoreLoad), the other half of the sleeper's atomic increment before its
         * look at the queue. Without it a queue written by a release store (the sole consumer's
         * release and its LIFO hint, the sole producer's ring cell in a private pool) could still
         * sit in the store buffer while the count is read as 0: the sleeper, having counted
         * itself, sees the queue empty, and sleeps its whole 100 ms with nobody to wake it
         * (the 4K futex figures of vbuf bench before this fence).
         */
        @Override
        public void signalAllWhenBlocking(WaitPoint p) {
            java.lang.invoke.VarHandle.fullFence(); // see the SYNC POINT above
            ControlBlock cb = p.cb;
            if (cb.lvInt(p.waitersOffset) != 0 && System.nanoTime() - cb.lvCounter(p.deadlineOffset) < 0) {
                cb.getAndAddInt(p.futexOffset, 1);
                dev.vbuf.sys.Futex.wake(p.word, Integer.MAX_VALUE);
            }
        }

        @Override
        public String toString() { return "futex"; }
    }

    /** Parses "spin", "yield", "park" or "futex" (the CLI's names). */
    static WaitStrategy parse(String name) {
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "spin", "busy-spin" -> busySpin();
            case "yield", "spin-yield" -> spinYield();
            case "park", "spin-park" -> spinPark();
            case "futex", "spin-futex" -> futex();
            default -> throw new IllegalArgumentException("wait strategy '" + name
                    + "' is not one of spin, yield, park, futex");
        };
    }
}
