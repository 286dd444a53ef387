package dev.vbuf.bench.harness;

import dev.vbuf.pool.FramePool;
import org.HdrHistogram.Histogram;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The process on each side of a {@code vbuf bench} pair, started by {@link PairRunner} as
 * {@code java -cp <same class path> dev.vbuf.bench.harness.BenchChild ROLE key=value...}. ROLE is
 * {@code consumer}, {@code producer} or {@code both} (the single-process transports), or one side
 * of a {@link Floor} ({@code floor-pong}, {@code floor-ping}, {@code floor-sleeper},
 * {@code floor-waker}, with {@code floor=NAME}). The side
 * started first prints {@code VBUF-BENCH READY <endpoint>}; the other one is given
 * {@code endpoint=...}. Each prints one {@code VBUF-BENCH RESULT role=... key=value...} line at
 * the end and exits 0; any failure prints {@code VBUF-BENCH ERROR ...} and exits 1. A child also
 * exits when its standard input closes (the parent died), so none is left behind.
 */
public final class BenchChild {
    static final String PREFIX = "VBUF-BENCH ";
    /** Pacing of the latency phases never goes below this interval between frames. */
    static final long MIN_INTERVAL_NS = 50_000;
    /** A paced producer spins only this long before each tick; it sleeps before that. */
    static final long SPIN_BEFORE_TICK_NS = 60_000;

    private BenchChild() {}

    public static void main(String[] args) {
        PrintStream out = System.out;
        watchParent();
        try {
            String role = args[0];
            Map<String, String> kv = BenchSpec.parse(args, 1);
            if (role.startsWith("floor-")) {
                Floor.runChild(role, kv, out);
                out.flush();
                System.exit(0);
            }
            BenchSpec spec = BenchSpec.fromArgs(kv);
            String endpoint = kv.get("endpoint");
            boolean shm = spec.transport() == Transport.VBUF_SHM || spec.transport() == Transport.VBUF_SHM_FUTEX;
            boolean futex = spec.transport() == Transport.VBUF_SHM_FUTEX;
            switch (shm ? role + "-shm" : role) {
                case "producer-shm" -> {
                    try (FramePool pool = VbufPoolTransport.createShared(spec.frameBytes(), futex)) {
                        out.println(PREFIX + "READY " + pool.name());
                        out.flush();
                        // futex: give the consumer time to attach and fall asleep; its idle CPU is measured
                        if (futex) Thread.sleep(spec.idleMs());
                        Result r = produce(spec, VbufPoolTransport.sender(pool));
                        VbufPoolTransport.awaitDrained(pool);
                        out.println(PREFIX + "RESULT role=producer " + r.line());
                    }
                }
                case "consumer-shm" -> {
                    try (FramePool pool = VbufPoolTransport.attachShared(endpoint, futex)) {
                        out.println(PREFIX + "RESULT role=consumer "
                                + consume(spec, VbufPoolTransport.receiver(pool, endpoint)).line());
                    }
                }
                case "consumer" -> {
                    try (Transport.Receiver r = openReceiver(spec)) {
                        out.println(PREFIX + "READY " + r.endpoint());
                        out.flush();
                        out.println(PREFIX + "RESULT role=consumer " + consume(spec, r).line());
                    }
                }
                case "producer" -> {
                    try (Transport.Sender s = openSender(spec, endpoint)) {
                        out.println(PREFIX + "RESULT role=producer " + produce(spec, s).line());
                    }
                }
                case "both" -> runBoth(spec, out);
                default -> throw new IllegalArgumentException("role '" + role + "' is not consumer, producer or both");
            }
            out.flush();
            System.exit(0);
        } catch (Throwable t) {
            out.println(PREFIX + "ERROR " + String.valueOf(t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName()).replace('\n', ' '));
            t.printStackTrace();
            out.flush();
            System.exit(1);
        }
    }

    private static void watchParent() {
        Thread t = new Thread(() -> {
            try (var in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                while (in.readLine() != null) { /* nothing is sent; EOF means the parent is gone */ }
            } catch (Exception ignored) {
                // stdin unusable: exit as if the parent were gone
            }
            Runtime.getRuntime().halt(3);
        }, "parent-watch");
        t.setDaemon(true);
        t.start();
    }

    static Transport.Receiver openReceiver(BenchSpec spec) throws Exception {
        return switch (spec.transport()) {
            case TCP -> SocketTransport.receiver(false, spec.frameBytes());
            case UDS -> SocketTransport.receiver(true, spec.frameBytes());
            case AERON -> AeronTransport.receiver(spec.frameBytes());
            default -> throw new IllegalArgumentException(spec.transport().id + " has no separate consumer process");
        };
    }

    static Transport.Sender openSender(BenchSpec spec, String endpoint) throws Exception {
        return switch (spec.transport()) {
            case TCP -> SocketTransport.sender(false, endpoint, spec.frameBytes());
            case UDS -> SocketTransport.sender(true, endpoint, spec.frameBytes());
            case AERON -> AeronTransport.sender(endpoint, spec.frameBytes());
            default -> throw new IllegalArgumentException(spec.transport().id + " has no separate producer process");
        };
    }

    private static void runBoth(BenchSpec spec, PrintStream out) throws Exception {
        try (FramePool pool = VbufPoolTransport.inProcessPool(spec.frameBytes())) {
            Transport.Receiver r = VbufPoolTransport.receiver(pool, "in-process");
            Transport.Sender s = VbufPoolTransport.sender(pool);
            Result[] produced = new Result[1];
            Throwable[] failed = new Throwable[1];
            Thread producer = new Thread(() -> {
                try {
                    produced[0] = produce(spec, s);
                } catch (Throwable t) {
                    failed[0] = t;
                }
            }, "bench-producer");
            producer.start();
            Result consumed = consume(spec, r);
            producer.join();
            if (failed[0] != null) throw new IllegalStateException("producer thread failed", failed[0]);
            out.println(PREFIX + "RESULT role=consumer " + consumed.line());
            out.println(PREFIX + "RESULT role=producer " + produced[0].line());
        }
    }

    /** Process CPU time (all threads, user + system), ns. */
    static long cpuNanos() {
        var os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) return sun.getProcessCpuTime();
        return -1;
    }

    /** Figures one side reports; printed as key=value. */
    static final class Result {
        final StringBuilder sb = new StringBuilder();

        Result put(String k, long v) {
            sb.append(k).append('=').append(v).append(' ');
            return this;
        }

        String line() { return sb.toString().trim(); }
    }

    /**
     * Waits for a paced frame's tick as a camera's producer would, without holding a core: it
     * sleeps until {@link #SPIN_BEFORE_TICK_NS} before the tick and spins the rest (the timer's
     * slack is tens of microseconds). On a machine with few cores a pacing loop that spun the
     * whole interval would take the core the woken consumer needs.
     */
    static void awaitTick(long tick) {
        long left = tick - System.nanoTime();
        if (left > 2 * SPIN_BEFORE_TICK_NS) LockSupport.parkNanos(left - SPIN_BEFORE_TICK_NS);
        while (System.nanoTime() < tick) Thread.onSpinWait();
    }

    static Result produce(BenchSpec spec, Transport.Sender sender) throws Exception {
        long payload = spec.payloadBytes();
        long seq = 0;
        long interval = MIN_INTERVAL_NS;
        long cpu = 0, threadCpu = 0, elapsed = 0;
        var threads = ManagementFactory.getThreadMXBean();
        for (BenchSpec.Phase phase : BenchSpec.Phase.values()) {
            int total = spec.warmup() + spec.measured(phase);
            long next = System.nanoTime();
            long cpu0 = 0, tcpu0 = 0, t0 = 0;
            for (int k = 0; k < total; k++) {
                boolean warm = k < spec.warmup();
                if (k == spec.warmup() && phase == BenchSpec.Phase.THROUGHPUT) {
                    cpu0 = cpuNanos();
                    tcpu0 = threads.getCurrentThreadCpuTime();
                    t0 = System.nanoTime();
                }
                if (phase.paced) {
                    awaitTick(next);
                    next += interval;
                }
                MemorySegment f = sender.claim();
                long start = System.nanoTime();
                long sum = phase.touchPayload ? FrameWork.write(f, payload, seq) : 0;
                FrameWork.header(f, seq, start, payload, sum, phase.ordinal() | (warm ? FrameWork.WARMUP : 0));
                FrameWork.stampSubmit(f, System.nanoTime());
                sender.send(f, spec.frameBytes());
                seq++;
            }
            if (phase == BenchSpec.Phase.THROUGHPUT) {
                elapsed = System.nanoTime() - t0;
                cpu = cpuNanos() - cpu0;
                threadCpu = threads.getCurrentThreadCpuTime() - tcpu0;
                interval = Math.max(MIN_INTERVAL_NS, 2 * elapsed / Math.max(1, spec.frames()));
            }
        }
        return new Result().put("sent", seq).put("cpuNs", cpu).put("threadCpuNs", threadCpu)
                .put("elapsedNs", elapsed).put("intervalNs", interval);
    }

    static Result consume(BenchSpec spec, Transport.Receiver receiver) throws Exception {
        long highest = TimeUnit.SECONDS.toNanos(60);
        Histogram handoff = new Histogram(highest, 3);     // LATENCY_HANDOFF: submit -> has the frame
        Histogram full = new Histogram(highest, 3);        // LATENCY_FULL: start writing -> read every byte
        Histogram handoffLoaded = new Histogram(highest, 3); // LATENCY_FULL: submit -> has the frame
        long expectedSeq = 0, verified = 0, bad = 0, seqErrors = 0, received = 0;
        long cpu0 = 0, cpu = 0, tputStart = 0, tputEnd = 0;
        var threads = ManagementFactory.getThreadMXBean();
        long tcpu0 = 0, threadCpu = 0;
        IdleSampler idle = spec.transport() == Transport.VBUF_SHM_FUTEX ? IdleSampler.start(Thread.currentThread()) : null;
        for (BenchSpec.Phase phase : BenchSpec.Phase.values()) {
            int total = spec.warmup() + spec.measured(phase);
            for (int k = 0; k < total; k++) {
                boolean measured = k >= spec.warmup();
                if (phase == BenchSpec.Phase.THROUGHPUT && k == spec.warmup()) {
                    cpu0 = cpuNanos();
                    tcpu0 = threads.getCurrentThreadCpuTime();
                }
                MemorySegment f = receiver.receive();
                long has = System.nanoTime();
                if (received == 0 && idle != null) idle.stop();
                received++;
                if (FrameWork.get(f, FrameWork.O_MAGIC) != FrameWork.MAGIC) {
                    throw new IllegalStateException("frame " + expectedSeq + " has no bench header (magic "
                            + Long.toHexString(FrameWork.get(f, FrameWork.O_MAGIC)) + ")");
                }
                long seq = FrameWork.get(f, FrameWork.O_SEQ);
                if (seq != expectedSeq) seqErrors++;
                expectedSeq = seq + 1;
                long ph = FrameWork.get(f, FrameWork.O_PHASE) & 0xFFFF_FFFFL;
                if (ph != phase.ordinal()) seqErrors++;
                long done = has;
                if (phase.touchPayload) {
                    long sum = FrameWork.checksum(f, FrameWork.get(f, FrameWork.O_PAYLOAD));
                    done = System.nanoTime();
                    if (sum == FrameWork.get(f, FrameWork.O_CHECKSUM)) verified++;
                    else bad++;
                }
                long start = FrameWork.get(f, FrameWork.O_START);
                long submit = FrameWork.get(f, FrameWork.O_SUBMIT);
                receiver.done();
                if (!measured) continue;
                switch (phase) {
                    case THROUGHPUT -> {
                        if (k == spec.warmup()) tputStart = start;
                        tputEnd = done;
                    }
                    case LATENCY_FULL -> {
                        full.recordValue(Math.max(0, done - start));
                        handoffLoaded.recordValue(Math.max(0, has - submit));
                    }
                    case LATENCY_HANDOFF -> handoff.recordValue(Math.max(0, has - submit));
                }
            }
            if (phase == BenchSpec.Phase.THROUGHPUT) {
                cpu = cpuNanos() - cpu0;
                threadCpu = threads.getCurrentThreadCpuTime() - tcpu0;
            }
        }
        Result r = new Result().put("received", received).put("verified", verified).put("bad", bad)
                .put("seqErrors", seqErrors).put("tputFrames", spec.frames()).put("tputNs", tputEnd - tputStart)
                .put("cpuNs", cpu).put("threadCpuNs", threadCpu).put("idleCpuNs", idle == null ? -1 : idle.cpuNs).put("idleWallNs", idle == null ? -1 : idle.wallNs);
        percentiles(r, "handoff", handoff);
        percentiles(r, "full", full);
        percentiles(r, "handoffLoaded", handoffLoaded);
        return r;
    }

    /**
     * Samples a waiting consumer thread's CPU time every 50 ms until its first frame comes, and
     * keeps the span from 300 ms after the start (class loading and the first spins are over) to
     * the last sample before the frame: the idle cost of its wait strategy.
     */
    static final class IdleSampler implements Runnable {
        private final long tid;
        private volatile boolean stopped;
        private final Thread thread;
        long cpuNs = -1, wallNs = -1;

        private IdleSampler(Thread consumer) {
            tid = consumer.threadId();
            thread = new Thread(this, "idle-sampler");
            thread.setDaemon(true);
        }

        static IdleSampler start(Thread consumer) {
            IdleSampler s = new IdleSampler(consumer);
            s.thread.start();
            return s;
        }

        @Override
        public void run() {
            var threads = ManagementFactory.getThreadMXBean();
            long start = System.nanoTime();
            long firstWall = -1, firstCpu = -1, lastWall = -1, lastCpu = -1;
            while (!stopped) {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    break; // stop(): the frame came
                }
                if (stopped) break;
                long now = System.nanoTime();
                long cpu = threads.getThreadCpuTime(tid);
                if (now - start < 300_000_000L) continue;
                if (firstWall < 0) {
                    firstWall = now;
                    firstCpu = cpu;
                } else {
                    lastWall = now;
                    lastCpu = cpu;
                }
            }
            if (lastWall > 0) {
                wallNs = lastWall - firstWall;
                cpuNs = lastCpu - firstCpu;
            }
        }

        void stop() throws InterruptedException {
            stopped = true;
            thread.interrupt();
            thread.join();
        }
    }

    private static void percentiles(Result r, String name, Histogram h) {
        r.put(name + "P50", h.getValueAtPercentile(50)).put(name + "P99", h.getValueAtPercentile(99))
                .put(name + "P999", h.getValueAtPercentile(99.9)).put(name + "Max", h.getMaxValue())
                .put(name + "Count", h.getTotalCount());
    }
}
