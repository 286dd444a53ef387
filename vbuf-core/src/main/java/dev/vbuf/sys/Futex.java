package dev.vbuf.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The futex that lets a waiting process sleep in the kernel on a 32-bit word of shared memory
 * until a peer in any process wakes it. On the hot path: no errno capture (the caller re-reads
 * its word whatever the result), and nothing allocated after a thread's first wait.
 */
public final class Futex {
    /** syscall(SYS_futex, uaddr, op, val, timeout, uaddr2, val3) */
    private static final MethodHandle FUTEX = Libc.plain("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT),
            Libc.variadicFrom(1));
    /** struct timespec { long tv_sec; long tv_nsec; }, one per thread. */
    private static final ThreadLocal<MemorySegment> TIMESPEC = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(16, 8));

    private Futex() {}

    /**
     * Sleeps while the 32-bit word at {@code word} equals {@code expected}, at most
     * {@code timeoutNanos} (FUTEX_WAIT on a shared mapping: works across processes). Returns at
     * once if the word differs; may return early (a wake, a signal).
     */
    public static void await(MemorySegment word, int expected, long timeoutNanos) {
        MemorySegment ts = TIMESPEC.get();
        ts.set(JAVA_LONG, 0, timeoutNanos / 1_000_000_000L);
        ts.set(JAVA_LONG, 8, timeoutNanos % 1_000_000_000L);
        try {
            long r = (long) FUTEX.invokeExact(Abi.SYS_futex, word, Abi.FUTEX_WAIT, expected, ts, MemorySegment.NULL, 0);
        } catch (Throwable t) {
            throw Libc.broken("futex", t);
        }
    }

    /** Wakes up to {@code count} threads (in any process) sleeping on {@code word}. */
    public static void wake(MemorySegment word, int count) {
        try {
            long r = (long) FUTEX.invokeExact(Abi.SYS_futex, word, Abi.FUTEX_WAKE, count, MemorySegment.NULL, MemorySegment.NULL, 0);
        } catch (Throwable t) {
            throw Libc.broken("futex", t);
        }
    }
}
