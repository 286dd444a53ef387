package dev.vbuf.bench.harness;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The cross-process benchmark that {@code vbuf bench} runs: the same frames through every
 * transport, end to end — a producer process writes every byte of each frame, a consumer
 * process reads every byte — plus the floors of this machine measured in the same run (two
 * processes ping-ponging one cache line; a bare futex wake between two processes). Prints a
 * table (or one JSON object) and optionally writes a chart.
 */
public final class CrossProcessBench {
    /** Upper bound of the frame counts a caller may ask for. */
    public static final int MAX_FRAMES = 1_000_000;
    /** Upper bound of the warm-up frames a caller may ask for. */
    public static final int MAX_WARMUP = 100_000;
    /** A default throughput phase moves at least this many bytes (more frames for small sizes)... */
    static final long MIN_PHASE_BYTES = 1_000_000_000L;
    /** ...and at most this many (fewer frames for the largest). */
    static final long MAX_PHASE_BYTES = 8_000_000_000L;
    /** A default warm-up moves about this many bytes, */
    static final long WARMUP_BYTES = 500_000_000L;
    /** in at most this many frames. */
    static final int MAX_DEFAULT_WARMUP = 2_000;
    /** The sizes run when none are given. */
    public static final List<String> DEFAULT_SIZES = List.of("640x480", "1080p", "4k", "8k", "8k-rgba");
    /** The sizes of a quick run. */
    public static final List<String> QUICK_SIZES = List.of("640x480", "4k");

    /**
     * What to run. {@code frames}, {@code latencyFrames} and {@code warmup} may be null (the
     * default: 200, 100, 20; a quick run 60, 40, 10); given ones are used at every size. A
     * default {@code frames} is raised for small frames so that the throughput phase moves at
     * least ~1 GB (2,171 frames at 640x480: 200 would be over in ~25 ms, before the JIT has
     * compiled either side) and capped so that it moves at most ~8 GB; a default {@code warmup}
     * is raised so that each warm-up moves ~0.5 GB, up to 2,000 frames; a default
     * {@code latencyFrames} is raised for small frames, up to 1000 (~2 GB of payload), and
     * lowered to the throughput frames where those were capped below it. A quick run is not
     * raised. {@code floors}: measure the floors at the start and the end (what
     * {@code vbuf bench} always does).
     */
    public record Settings(List<BenchSize> sizes, List<Transport> transports, Integer frames, Integer latencyFrames,
                           Integer warmup, boolean quick, boolean json, Path chart, boolean floors) {
        public Settings {
            sizes = List.copyOf(sizes);
            transports = List.copyOf(transports);
            if (sizes.isEmpty()) throw new IllegalArgumentException("no frame size to run");
            if (transports.isEmpty()) throw new IllegalArgumentException("no transport to run");
        }

        int framesOrDefault() { return frames != null ? frames : quick ? 60 : 200; }

        int latencyFramesOrDefault() { return latencyFrames != null ? latencyFrames : quick ? 40 : 100; }

        int warmupOrDefault() { return warmup != null ? warmup : quick ? 10 : 20; }
    }

    private CrossProcessBench() {}

    /** Every transport, in the order they are run by default. */
    public static List<Transport> allTransports() { return Arrays.asList(Transport.values()); }

    /** Runs the benchmark, prints its report to {@code out}; 0 when every run verified every frame, else 1. */
    public static int run(Settings s, PrintWriter out) throws IOException, InterruptedException {
        int n = s.framesOrDefault();
        int lat = s.latencyFramesOrDefault();
        int w = s.warmupOrDefault();
        Machine machine = Machine.current();
        List<Row> rows = new ArrayList<>();
        List<FloorRow> floors = new ArrayList<>();
        if (s.floors()) measureFloors(s, out, "start", floors);
        for (BenchSize size : s.sizes()) {
            Counts c = counts(s, size.payloadBytes());
            for (Transport t : s.transports()) {
                BenchSpec bs = new BenchSpec(t, size.label().replace(' ', '_'), size.width(), size.height(),
                        size.format().name(), size.payloadBytes(), c.warmup(), c.frames(), c.latencyFrames(), s.quick() ? 2000 : 3000);
                long bytes = bs.totalFrames() * bs.frameBytes();
                long timeout = TimeUnit.SECONDS.toNanos(90) + bytes * 10; // 90 s + the bytes at 100 MB/s
                progress(s, out, size.label(), t.id);
                rows.add(Row.of(bs, size, PairRunner.run(bs, timeout)));
            }
        }
        if (s.floors()) measureFloors(s, out, "end", floors);
        Report report = new Report(machine, rows, floors, n, lat, w, s.quick());
        if (s.json()) out.println(report.json());
        else out.print(report.table());
        out.flush();
        if (s.chart() != null) {
            ChartWriter.write(s.chart(), rows, floors, machine);
            if (!s.json()) out.println("chart: " + s.chart());
        }
        out.flush();
        return report.allOk() ? 0 : 1;
    }

    /** The frames of each phase at one size, the same for every transport. */
    record Counts(int warmup, int frames, int latencyFrames) {}

    /**
     * The counts at a size of {@code payload} bytes: those given, else the defaults raised or
     * capped by bytes (see {@link Settings}).
     */
    static Counts counts(Settings s, long payload) {
        int n = s.framesOrDefault(), lat = s.latencyFramesOrDefault(), w = s.warmupOrDefault();
        // at least ~1 GB (small frames: 200 would be over before the JIT compiled either side), at most ~8 GB
        int f = s.frames() != null ? n : (int) Math.max(30, Math.min(
                s.quick() ? n : Math.max(n, (MIN_PHASE_BYTES + payload - 1) / payload), MAX_PHASE_BYTES / payload));
        // warm-up by bytes too: the JIT compiles both sides after so many frames, whatever their size
        int wf = s.warmup() != null || s.quick() ? w : (int) Math.max(w, Math.min(MAX_DEFAULT_WARMUP, WARMUP_BYTES / payload));
        // latency phases: small frames get more (up to 1000, ~2 GB of payload) so that the p99 means something
        int l = s.latencyFrames() != null ? lat : f < lat ? f
                : s.quick() ? lat : Math.max(lat, (int) Math.min(1000, 2_000_000_000L / payload));
        return new Counts(wf, f, l);
    }

    /** Both floors, once; at the start and at the end of a run, as the floor moves on a VM. */
    private static void measureFloors(Settings s, PrintWriter out, String when, List<FloorRow> floors)
            throws IOException, InterruptedException {
        for (Floor f : Floor.values()) {
            progress(s, out, "floor", f.label + " (" + when + ")");
            floors.add(FloorRow.of(f, when, PairRunner.run(f, TimeUnit.SECONDS.toNanos(90))));
        }
    }

    private static void progress(Settings s, PrintWriter out, String what, String how) {
        if (s.json()) return;
        out.printf(Locale.ROOT, "  %-10s %-13s ...%n", what, how);
        out.flush();
    }
}
