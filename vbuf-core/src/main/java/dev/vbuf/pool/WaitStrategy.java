package dev.vbuf.pool;

import java.util.concurrent.locks.LockSupport;

/**
 * How a thread waits for a frame (free or filled) that is not there yet. A strategy is called
 * after each failed attempt with the number of failed attempts so far and must not allocate.
 * Waiting never takes a lock: the waiter polls, backing off from spinning to yielding to
 * sleeping, so no signal from the other side is needed (and none can be lost); the futex
 * strategy sleeps in the kernel and is woken by the peer that queues.
 */
@FunctionalInterface
public interface WaitStrategy {
    /**
     * Idles once.
     *
     * @param attempt failed attempts so far in this wait, from 0
     */
    void idle(int attempt);

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
     * Spins {@value Futex#SPINS} times, then sleeps in the kernel on a futex word of the control
     * block until a peer (in any process) queues something and wakes it: an idle waiter costs no
     * CPU, and the waker makes the system call only when someone is asleep. For shared pools;
     * works in one process too.
     */
    static WaitStrategy futex() {
        return Futex.INSTANCE;
    }

    /** The futex strategy's marker type: the pool does the sleeping (it knows the words). */
    final class Futex implements WaitStrategy {
        public static final int SPINS = 200;
        static final Futex INSTANCE = new Futex();

        private Futex() {}

        @Override
        public void idle(int attempt) {
            if (attempt < 100) Thread.onSpinWait();
            else Thread.yield();
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
