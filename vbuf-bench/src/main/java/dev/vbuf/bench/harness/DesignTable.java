package dev.vbuf.bench.harness;


import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.pool.Consumer;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import dev.vbuf.pool.Overflow;
import dev.vbuf.pool.WaitStrategy;
import dev.vbuf.sizing.PoolPlan;
import dev.vbuf.sizing.PoolSizer;
import org.HdrHistogram.Histogram;

import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * {@code vbuf bench --design-table}: the table of vbuf's original design (a kernel-space design
 * whose figures were published for 4K and 8K at 60 and 120 fps) measured on this machine with
 * the in-process pool. Per row: a pool sized by {@link PoolSizer} with the design's
 * own inputs (16 ms maximum latency, 2 ms transfer, 3 ms decode) and the ADAPTIVE overflow rule;
 * a producer thread paced at the frame rate that stamps the capture time at each tick, writes
 * every byte (NV12) and submits; a consumer thread (spin-then-park waiting) that reads every
 * byte (checksum) and releases. End-to-end latency is capture tick → consumer done; CPU is the
 * process CPU time over the wall time of the row; drops are the pool's.
 */
public final class DesignTable {
    /** The design's published figures (dual Xeon Platinum 8380, A100, kernel-space design). */
    record Published(String res, int fps, double latencyMs, double memoryGb, double cpuPercent) {}

    static final List<Published> PUBLISHED = List.of(new Published("4K", 60, 8.3, 1.2, 3.8),
            new Published("4K", 120, 4.7, 2.3, 6.1), new Published("8K", 60, 16.2, 4.8, 11.4),
            new Published("8K", 120, 9.8, 9.1, 18.7));

    record Measured(Published design, int poolFrames, long poolBytes, long frames, long verified, long bad, long drops,
                    long missed, long p50, long p99, long p999, double cpuPercentMachine, double cpuPercentCore) {}

    private DesignTable() {}

    /** Runs the four rows for {@code seconds} each and prints the table (or JSON); 0 when every frame verified. */
    public static int run(int seconds, boolean json, PrintWriter out) throws InterruptedException {
        Machine machine = Machine.current();
        List<Measured> rows = new ArrayList<>();
        for (Published s : PUBLISHED) {
            if (!json) {
                out.printf(Locale.ROOT, "  %s %d fps, %d s ...%n", s.res(), s.fps(), seconds);
                out.flush();
            }
            rows.add(measure(s, seconds));
        }
        boolean ok = rows.stream().allMatch(r -> r.bad() == 0 && r.verified() == r.frames());
        if (json) {
            Json j = new Json().begin().put("command", "vbuf bench --design-table").put("secondsPerRow", seconds);
            j.begin("machine").put("cores", machine.cores()).put("cpu", machine.cpu()).put("jdk", machine.jdk())
                    .put("date", machine.date()).put("loadAverage", machine.load()).end();
            j.array("rows");
            for (Measured m : rows) {
                j.begin().put("resolution", m.design().res()).put("fps", m.design().fps()).put("poolFrames", m.poolFrames())
                        .put("poolBytes", m.poolBytes()).put("frames", m.frames()).put("verified", m.verified())
                        .put("drops", m.drops()).put("missedTicks", m.missed())
                        .begin("latencyNs").put("p50", m.p50()).put("p99", m.p99()).put("p999", m.p999()).end()
                        .put("cpuPercentOfMachine", m.cpuPercentMachine(), 2).put("cpuPercentOfCore", m.cpuPercentCore(), 2)
                        .begin("design").put("latencyMs", m.design().latencyMs(), 1).put("memoryGb", m.design().memoryGb(), 1)
                        .put("cpuPercent", m.design().cpuPercent(), 1).end()
                        .end();
            }
            j.endArray().put("ok", ok).end();
            out.println(j);
        } else {
            out.printf(Locale.ROOT, "%nthe original design's table, reproduced with the in-process pool (NV12, every byte written"
                    + " and read, %d s per row)%nmachine: %s%n%n", seconds, machine);
            out.printf(Locale.ROOT, "%-4s %4s | %-27s | %-19s | %-24s | %-12s | %s%n", "res", "fps",
                    "E2E latency p50/p99/p99.9", "pool memory", "CPU % machine (core)", "drops/missed", "design: E2E, memory, CPU");
            for (Measured m : rows) {
                out.printf(Locale.ROOT, "%-4s %4d | %7.2f / %7.2f / %7.2f ms | %3d fr = %6.2f GB | %6.2f%% (%6.2f%% core) | %5d / %-5d | %.1f ms, %.1f GB, %.1f%%%s%n",
                        m.design().res(), m.design().fps(), m.p50() / 1e6, m.p99() / 1e6, m.p999() / 1e6,
                        m.poolFrames(), m.poolBytes() / 1e9, m.cpuPercentMachine(), m.cpuPercentCore(), m.drops(), m.missed(),
                        m.design().latencyMs(), m.design().memoryGb(), m.design().cpuPercent(),
                        m.bad() != 0 || m.verified() != m.frames() ? "  FAILED: " + m.bad() + " bad frames" : "");
            }
            out.println("\nE2E: capture tick -> consumer has read every byte. drops: frames the ADAPTIVE rule took back;"
                    + " missed: ticks lost at capture (no free buffer within one period, or the producer a period late).");
        }
        out.flush();
        return ok ? 0 : 1;
    }

    static Measured measure(Published s, int seconds) throws InterruptedException {
        int w = s.res().equals("4K") ? 3840 : 7680;
        int h = s.res().equals("4K") ? 2160 : 4320;
        long payload = FrameLayout.of(PixelFormat.NV12, w, h).frameBytes();
        long frameBytes = FrameWork.HEADER + payload;
        PoolPlan plan = PoolSizer.plan(s.fps(), Duration.ofMillis(16), Duration.ofMillis(2), Duration.ofMillis(3), frameBytes);
        long period = (long) (1e9 / s.fps());
        long warmupFrames = s.fps() / 2;
        long total = warmupFrames + (long) s.fps() * seconds;
        Histogram lat = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        try (FramePool pool = FramePool.builder().name("design-" + s.res() + "-" + s.fps()).count(plan.frames())
                .bufferSize(frameBytes).groups("consumer").overflow(Overflow.ADAPTIVE)
                .waitStrategy(WaitStrategy.spinPark()).jmx(false).build()) {
            Consumer c = pool.consumer("consumer");
            long[] counts = new long[3]; // verified, bad, received-measured
            long[] missed = new long[1];
            long[] cpuWindow = new long[2];
            long[] wallWindow = new long[2];
            Thread consumer = new Thread(() -> {
                while (true) {
                    Frame f = c.acquireFilled(Duration.ofSeconds(2));
                    if (f == null) return; // the producer stopped
                    MemorySegment seg = f.segment();
                    long seq = FrameWork.get(seg, FrameWork.O_SEQ);
                    long sum = FrameWork.checksum(seg, payload);
                    long done = System.nanoTime();
                    boolean good = sum == FrameWork.get(seg, FrameWork.O_CHECKSUM);
                    long capture = FrameWork.get(seg, FrameWork.O_START);
                    f.release();
                    if (seq >= warmupFrames) {
                        counts[good ? 0 : 1]++;
                        counts[2]++;
                        lat.recordValue(Math.max(0, done - capture));
                    }
                    if (seq == total - 1) return;
                }
            }, "design-table-consumer");
            consumer.start();
            long t0 = System.nanoTime();
            for (long k = 0; k < total; k++) {
                long tick = t0 + k * period;
                if (k == warmupFrames) {
                    cpuWindow[0] = BenchChild.cpuNanos();
                    wallWindow[0] = System.nanoTime();
                }
                while (System.nanoTime() < tick) {
                    long left = tick - System.nanoTime();
                    if (left > 200_000) TimeUnit.NANOSECONDS.sleep(left - 100_000);
                    else Thread.onSpinWait();
                }
                if (System.nanoTime() - tick > period) {
                    // a camera does not wait: a tick the producer is a whole period late for is lost
                    if (k >= warmupFrames) missed[0]++;
                    continue;
                }
                Frame f = pool.acquireFree(Overflow.ADAPTIVE, period);
                if (f == null) {
                    if (k >= warmupFrames) missed[0]++;
                    continue;
                }
                MemorySegment seg = f.segment();
                long sum = FrameWork.write(seg, payload, k);
                FrameWork.header(seg, k, tick, payload, sum, 0);
                f.submit();
            }
            consumer.join(TimeUnit.SECONDS.toMillis(10));
            cpuWindow[1] = BenchChild.cpuNanos();
            wallWindow[1] = System.nanoTime();
            double cpu = (cpuWindow[1] - cpuWindow[0]) / (double) (wallWindow[1] - wallWindow[0]);
            long drops = pool.stats().drops();
            return new Measured(s, plan.frames(), plan.totalBytes(), counts[2], counts[0], counts[1], drops, missed[0],
                    lat.getValueAtPercentile(50), lat.getValueAtPercentile(99), lat.getValueAtPercentile(99.9),
                    100 * cpu / Runtime.getRuntime().availableProcessors(), 100 * cpu);
        }
    }
}
