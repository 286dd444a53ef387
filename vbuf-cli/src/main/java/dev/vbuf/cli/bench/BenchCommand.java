package dev.vbuf.cli.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code vbuf bench}: the same frames through every transport, end to end across processes —
 * a producer process writes every byte of each frame, a consumer process reads every byte —
 * and a table (or one JSON object, or a chart) of frames/s, GB/s, hand-off latency, CPU per
 * frame and the ratio of each transport to vbuf. {@code --seed-table} instead reproduces the
 * table of seed 000 (4K and 8K at 60 and 120 fps, paced) with the in-process pool.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure vbuf against the transports a Java engineer would otherwise use (TCP loopback,"
                + " a Unix-domain socket, Aeron IPC), end to end across processes, same frames and work for all.",
                "Or, with --seed-table, reproduce seed 000's table (4K/8K at 60/120 fps) with the in-process pool."})
public final class BenchCommand implements Callable<Integer> {
    static final int MAX_FRAMES = 1_000_000;

    @Spec
    CommandSpec spec;

    @Option(names = "--quick", description = "Short run (under a minute): sizes 1080p,4k; 60 frames; 40 latency frames; 10 warm-up.")
    boolean quick;

    @Option(names = "--sizes", split = ",", paramLabel = "SIZE",
            description = "Frame sizes: 1080p, 4k, 8k (NV12), 8k-rgba, or WxH[:format]. Default: 1080p,4k,8k,8k-rgba (quick: 1080p,4k).")
    List<String> sizes;

    @Option(names = "--transports", split = ",", paramLabel = "T",
            description = "Transports, in order: vbuf-shm, vbuf-shm-futex, vbuf-threads, tcp, uds, aeron. Default: all.")
    List<String> transports;

    @Option(names = "--frames", paramLabel = "N",
            description = "Frames in the throughput phase, 1..1000000 (default 200, quick 60; capped so a phase moves at most 8 GB, at least 30 frames).")
    Integer frames;

    @Option(names = "--latency-frames", paramLabel = "N",
            description = "Frames in each paced latency phase, 1..1000000 (default 100, quick 40).")
    Integer latencyFrames;

    @Option(names = "--warmup", paramLabel = "N", description = "Warm-up frames before each phase, 0..100000 (default 20, quick 10).")
    Integer warmup;

    @Option(names = "--json", description = "Print one JSON object instead of the table.")
    boolean json;

    @Option(names = "--chart", paramLabel = "PNG", description = "Also write a chart of frames/s and latency per transport and size.")
    Path chart;

    @Option(names = "--seed-table", description = "Reproduce seed 000's benchmark table (in-process pool) instead.")
    boolean seedTable;

    @Option(names = "--seconds", paramLabel = "S",
            description = "--seed-table: seconds per row, 1..600 (default 5, quick 2).")
    Integer seconds;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (seedTable) {
            int s = seconds != null ? check("--seconds", seconds, 1, 600) : quick ? 2 : 5;
            return SeedTable.run(s, json, out);
        }
        int n = frames != null ? check("--frames", frames, 1, MAX_FRAMES) : quick ? 60 : 200;
        int lat = latencyFrames != null ? check("--latency-frames", latencyFrames, 1, MAX_FRAMES) : quick ? 40 : 100;
        int w = warmup != null ? check("--warmup", warmup, 0, 100_000) : quick ? 10 : 20;
        List<BenchSize> sz = new ArrayList<>();
        for (String s : sizes != null ? sizes : quick ? List.of("1080p", "4k") : List.of("1080p", "4k", "8k", "8k-rgba")) {
            try {
                sz.add(BenchSize.parse(s));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--sizes: " + e.getMessage());
            }
        }
        List<Transport> ts = new ArrayList<>();
        for (String t : transports != null ? transports : List.of(ids())) {
            try {
                ts.add(Transport.parse(t));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--transports: " + e.getMessage());
            }
        }
        Machine machine = Machine.current();
        List<Row> rows = new ArrayList<>();
        for (BenchSize size : sz) {
            // the same counts for every transport at this size; at most ~8 GB per phase unless --frames says so
            int f = frames != null ? n : (int) Math.max(30, Math.min(n, 8_000_000_000L / size.payloadBytes()));
            int l = latencyFrames != null ? lat : Math.min(lat, f);
            for (Transport t : ts) {
                BenchSpec bs = new BenchSpec(t, size.label().replace(' ', '_'), size.width(), size.height(),
                        size.format().name(), size.payloadBytes(), w, f, l, quick ? 2000 : 3000);
                long bytes = bs.totalFrames() * bs.frameBytes();
                long timeout = TimeUnit.SECONDS.toNanos(90) + bytes * 10; // 90 s + the bytes at 100 MB/s
                if (!json) {
                    out.printf(Locale.ROOT, "  %-10s %-13s ...%n", size.label(), t.id);
                    out.flush();
                }
                rows.add(Row.of(bs, size, PairRunner.run(bs, timeout)));
            }
        }
        Report report = new Report(machine, rows, n, lat, w, quick);
        if (json) out.println(report.json());
        else out.print(report.table());
        out.flush();
        if (chart != null) {
            ChartWriter.write(chart, rows, machine);
            if (!json) out.println("chart: " + chart);
        }
        return report.allOk() ? 0 : 1;
    }

    private static String[] ids() {
        Transport[] all = Transport.values();
        String[] ids = new String[all.length];
        for (int i = 0; i < all.length; i++) ids[i] = all[i].id;
        return ids;
    }

    private int check(String flag, int value, int min, int max) {
        if (value < min || value > max) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    flag + " " + value + " is outside " + min + ".." + max);
        }
        return value;
    }
}
