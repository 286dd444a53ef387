package dev.vbuf.bench.harness;

import dev.vbuf.sys.Futex;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The floors of this machine that {@code vbuf bench} measures in the same run as the
 * transports, two processes each, and that vbuf's hand-off is reported against. Both sides map
 * one 4 KiB file in /dev/shm (created by the side started first, named after its pid, removed
 * when it ends):
 *
 * <pre>
 * offset  0  word   u64 (the futex uses its low 32 bits)
 *         8  stamp  u64  System.nanoTime() of the waker just before it stores the word
 *        64  ack    u64  the sleeper's last handled wake (its own cache line)
 * </pre>
 *
 * <ul>
 * <li>{@link #CACHE_LINE}: two processes, one cache line, both spinning. The pinger stores
 *     2k+1 (release) and spins until it reads 2k+2; the ponger spins until it reads 2k+1 and
 *     stores 2k+2. The round trip is timed per exchange; the one-way floor is half of it — no
 *     hand-off between processes can be faster than a line moving from one core to another.</li>
 * <li>{@link #FUTEX_WAKE}: a sleeper in FUTEX_WAIT on the word (a shared mapping, so not the
 *     private futex) and a waker that, {@link #WAKE_INTERVAL_NS} after the sleeper handled the
 *     previous wake (time to fall asleep again), stamps the time, stores the word and calls
 *     FUTEX_WAKE. Measured: stamp to "the sleeper runs again" — what a consumer sleeping on the
 *     futex cannot beat.</li>
 * </ul>
 * Both use vbuf's own futex calls ({@link Posix#futexWait}, {@link Posix#futexWake}).
 */
enum Floor {
    CACHE_LINE("cache-line ping-pong", "two processes, one cache line, both spinning; one way = half the round trip"),
    FUTEX_WAKE("futex wake", "two processes: store + FUTEX_WAKE -> the sleeper runs again (FUTEX_WAIT on a shared mapping)");

    /**
     * Warm-up and measured exchanges of the ping-pong; the warm-up also ends after
     * {@link #PING_PONG_WARMUP_NS}, the measurement after {@link #PING_PONG_NS}. Fewer than
     * {@link #MIN_SAMPLES} measured exchanges make the floor a failed one (a machine that busy).
     */
    static final int PING_PONG_WARMUP = 20_000, PING_PONG_ROUNDS = 200_000, MIN_SAMPLES = 1_000;
    static final long PING_PONG_WARMUP_NS = TimeUnit.SECONDS.toNanos(2), PING_PONG_NS = TimeUnit.SECONDS.toNanos(3);
    /**
     * Warm-up and measured wakes; the waker waits {@link #WAKE_INTERVAL_NS} after each handled
     * wake: 200 µs, or {@code -Dvbuf.bench.wakeIntervalNs=N} (100 µs..100 ms; e.g. the interval
     * of a size's paced hand-off phase, to see what a wake costs after that long asleep: on a VM
     * a vCPU idle past the host's halt polling is woken by the host scheduler).
     */
    static final int WAKE_WARMUP = 200, WAKES = 2_000;
    static final long WAKE_INTERVAL_NS = Math.max(100_000, Math.min(100_000_000, Long.getLong("vbuf.bench.wakeIntervalNs", 200_000)));
    /** A side that sees no progress from the other for this long gives up. */
    static final long STALL_NS = TimeUnit.SECONDS.toNanos(20);

    static final long O_WORD = 0, O_STAMP = 8, O_ACK = 64;
    static final long STOP = -1;
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

    final String label;
    final String description;

    Floor(String label, String description) {
        this.label = label;
        this.description = description;
    }

    /** The roles of its two processes, the one started first (it creates the file) first. */
    List<String> roles() {
        return this == CACHE_LINE ? List.of("floor-pong", "floor-ping") : List.of("floor-sleeper", "floor-waker");
    }

    /** The arguments of both children. */
    List<String> args() { return List.of("floor=" + name(), "wakeIntervalNs=" + WAKE_INTERVAL_NS); }

    /** The path of the file the first child of process {@code pid} creates. */
    static Path file(long pid) { return Path.of("/dev/shm/vbuf-bench-floor-" + pid); }

    /** Runs one side ({@code role}) in this child process and prints its RESULT line. */
    static void runChild(String role, Map<String, String> kv, PrintStream out) throws Exception {
        boolean first = role.equals("floor-pong") || role.equals("floor-sleeper");
        Path path = first ? file(ProcessHandle.current().pid()) : Path.of(kv.get("endpoint"));
        if (!first && !path.getFileName().toString().startsWith("vbuf-bench-floor-")) {
            throw new IllegalArgumentException("endpoint '" + path + "' is not a floor file of vbuf bench");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = map(path, first, arena);
            if (first) {
                out.println(BenchChild.PREFIX + "READY " + path);
                out.flush();
            }
            String line = switch (role) {
                case "floor-pong" -> pong(m);
                case "floor-ping" -> ping(m);
                case "floor-sleeper" -> sleep(m);
                case "floor-waker" -> wake(m, Long.parseLong(kv.getOrDefault("wakeIntervalNs", "" + WAKE_INTERVAL_NS)));
                default -> throw new IllegalArgumentException("role '" + role + "' is not a floor role");
            };
            out.println(BenchChild.PREFIX + "RESULT role=" + (first ? "consumer" : "producer") + " " + line);
        } finally {
            if (first) Files.deleteIfExists(path);
        }
    }

    private static MemorySegment map(Path path, boolean create, Arena arena) throws IOException {
        var opts = create
                ? new StandardOpenOption[] {StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE}
                : new StandardOpenOption[] {StandardOpenOption.READ, StandardOpenOption.WRITE};
        try (FileChannel ch = FileChannel.open(path, opts)) {
            if (create) ch.write(java.nio.ByteBuffer.allocate(4096));
            else if (ch.size() != 4096) {
                throw new IOException("floor file " + path + " is " + ch.size() + " bytes, not 4096");
            }
            return ch.map(FileChannel.MapMode.READ_WRITE, 0, 4096, arena);
        }
    }

    private static long get(MemorySegment m, long off) { return (long) LONG.getAcquire(m, off); }

    private static void put(MemorySegment m, long off, long v) { LONG.setRelease(m, off, v); }

    /** Answers every odd value with the next even one until the pinger stores STOP. */
    private static String pong(MemorySegment m) {
        long expect = 1, rounds = 0, roundsAtCheck = 0;
        long checked = System.nanoTime();
        int spins = 0;
        while (true) {
            long v = get(m, O_WORD);
            if (v == expect) {
                put(m, O_WORD, expect + 1);
                expect += 2;
                rounds++;
                continue;
            }
            if (v == STOP) break;
            Thread.onSpinWait();
            if (++spins == 1 << 16) { // now and then: has the pinger made progress lately?
                spins = 0;
                long now = System.nanoTime();
                if (rounds != roundsAtCheck) {
                    roundsAtCheck = rounds;
                    checked = now;
                } else if (now - checked > STALL_NS) {
                    throw new IllegalStateException("the pinger stopped after " + rounds + " exchanges");
                }
            }
        }
        return "rounds=" + rounds;
    }

    /** Times each exchange; the warm-up ones are not recorded. */
    private static String ping(MemorySegment m) {
        Histogram rtt = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        long v = 1;
        long start = System.nanoTime();
        long measuring = -1; // when the warm-up ended
        for (int k = 0; rtt.getTotalCount() < PING_PONG_ROUNDS; k++) {
            long t0 = System.nanoTime();
            put(m, O_WORD, v);
            int spins = 0;
            while (get(m, O_WORD) != v + 1) {
                Thread.onSpinWait();
                if (++spins == 1 << 20) {
                    spins = 0;
                    if (System.nanoTime() - t0 > STALL_NS) {
                        put(m, O_WORD, STOP);
                        throw new IllegalStateException("the ponger did not answer exchange " + k + " within "
                                + TimeUnit.NANOSECONDS.toSeconds(STALL_NS) + " s");
                    }
                }
            }
            long t1 = System.nanoTime();
            v += 2;
            if (measuring < 0 && (k >= PING_PONG_WARMUP || t1 - start > PING_PONG_WARMUP_NS)) measuring = t1;
            else if (measuring >= 0) {
                rtt.recordValue(t1 - t0);
                if (t1 - measuring > PING_PONG_NS) break;
            }
        }
        put(m, O_WORD, STOP);
        return percentiles(rtt);
    }

    /**
     * Sleeps on the word until the waker stores each next value; records stamp -> running for
     * the wakes it was asleep for (a value already there before it could sleep is counted apart).
     */
    private static String sleep(MemorySegment m) {
        Histogram lat = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        MemorySegment word = m.asSlice(O_WORD, 4);
        long awake = 0;
        for (int i = 1; i <= WAKE_WARMUP + WAKES; i++) {
            long waitStart = System.nanoTime();
            boolean slept = false;
            int v;
            while ((v = (int) get(m, O_WORD)) != i) {
                if (v == (int) STOP) throw new IllegalStateException("the waker stopped after " + (i - 1) + " wakes");
                if (System.nanoTime() - waitStart > STALL_NS) {
                    throw new IllegalStateException("no wake " + i + " within " + TimeUnit.NANOSECONDS.toSeconds(STALL_NS) + " s");
                }
                Futex.await(word, i - 1, TimeUnit.SECONDS.toNanos(1));
                slept = true;
            }
            long running = System.nanoTime();
            long stamp = get(m, O_STAMP);
            if (i > WAKE_WARMUP) {
                if (slept) lat.recordValue(Math.max(0, running - stamp));
                else awake++;
            }
            put(m, O_ACK, i);
        }
        return percentiles(lat) + " notAsleep=" + awake;
    }

    /** Wakes the sleeper once per handled wake, {@code interval} ns after it. */
    private static String wake(MemorySegment m, long interval) {
        MemorySegment word = m.asSlice(O_WORD, 4);
        for (int i = 1; i <= WAKE_WARMUP + WAKES; i++) {
            long t0 = System.nanoTime();
            while (get(m, O_ACK) != i - 1) {
                LockSupport.parkNanos(20_000);
                if (System.nanoTime() - t0 > STALL_NS) {
                    put(m, O_WORD, STOP);
                    Futex.wake(word, 1);
                    throw new IllegalStateException("the sleeper did not handle wake " + (i - 1));
                }
            }
            long due = System.nanoTime() + interval;
            LockSupport.parkNanos(interval - 60_000); // the timer's slack is tens of µs: spin the rest
            while (System.nanoTime() < due) Thread.onSpinWait();
            put(m, O_STAMP, System.nanoTime());
            put(m, O_WORD, i);
            Futex.wake(word, 1);
        }
        return "wakes=" + (WAKE_WARMUP + WAKES);
    }

    private static String percentiles(Histogram h) {
        return "p50=" + h.getValueAtPercentile(50) + " p99=" + h.getValueAtPercentile(99) + " p999="
                + h.getValueAtPercentile(99.9) + " min=" + h.getMinValue() + " max=" + h.getMaxValue()
                + " count=" + h.getTotalCount();
    }
}
