package dev.vbuf.cli.bench;

import dev.vbuf.bench.harness.BenchSize;
import dev.vbuf.bench.harness.CrossProcessBench;
import dev.vbuf.bench.harness.DesignTable;
import dev.vbuf.bench.harness.Transport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code vbuf bench}: the options, checked, handed to the cross-process benchmark of the
 * benchmark module ({@link CrossProcessBench}, or {@link DesignTable} with {@code --design-table}).
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure vbuf against the transports a Java engineer would otherwise use (TCP loopback,"
                + " a Unix-domain socket, Aeron IPC), end to end across processes, same frames and work for all,"
                + " beside the floors of this machine measured in the same run (two processes ping-ponging one"
                + " cache line; a bare futex wake between two processes).",
                "Or, with --design-table, reproduce the table of vbuf's original (kernel-space) design, 4K/8K at"
                        + " 60/120 fps, with the in-process pool."})
public final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--quick", description = "Short run: sizes 640x480,4k; 60 frames; 40 latency frames; 10 warm-up.")
    boolean quick;

    @Option(names = "--sizes", split = ",", paramLabel = "SIZE",
            description = "Frame sizes: 1080p, 4k, 8k (NV12), 8k-rgba, or WxH[:format] (e.g. 640x480)."
                    + " Default: 640x480,1080p,4k,8k,8k-rgba (quick: 640x480,4k).")
    List<String> sizes;

    @Option(names = "--transports", split = ",", paramLabel = "T",
            description = "Transports, in order: vbuf-shm, vbuf-shm-futex, vbuf-threads, tcp, uds, aeron. Default: all.")
    List<String> transports;

    @Option(names = "--frames", paramLabel = "N",
            description = "Frames in the throughput phase, 1..1000000 (default 200, raised so that small frames move at least 1 GB, capped so a phase moves at most 8 GB, at least 30 frames; quick 60).")
    Integer frames;

    @Option(names = "--latency-frames", paramLabel = "N",
            description = "Frames in each paced latency phase, 1..1000000 (default 100, raised for small frames up to 1000"
                    + " so that the p99 means something, fewer where the throughput frames were capped; quick 40).")
    Integer latencyFrames;

    @Option(names = "--warmup", paramLabel = "N", description = "Warm-up frames before each phase, 0..100000 (default: about 0.5 GB of frames, 20 to 2000; quick 10).")
    Integer warmup;

    @Option(names = "--json", description = "Print one JSON object instead of the table.")
    boolean json;

    @Option(names = "--chart", paramLabel = "PNG", description = "Also write a chart (PNG) of frames/s and hand-off latency per size and transport.")
    Path chart;

    @Option(names = "--design-table", description = "Reproduce the original design's table (4K/8K at 60/120 fps, in-process pool) instead.")
    boolean designTable;

    /** The option's former name, still accepted. */
    @Option(names = "--seed-table", hidden = true)
    boolean designTableFormerName;

    @Option(names = "--seconds", paramLabel = "S",
            description = "--design-table: seconds per row, 1..600 (default 5, quick 2).")
    Integer seconds;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (designTable || designTableFormerName) {
            int s = seconds != null ? check("--seconds", seconds, 1, 600) : quick ? 2 : 5;
            return DesignTable.run(s, json, out);
        }
        if (frames != null) check("--frames", frames, 1, CrossProcessBench.MAX_FRAMES);
        if (latencyFrames != null) check("--latency-frames", latencyFrames, 1, CrossProcessBench.MAX_FRAMES);
        if (warmup != null) check("--warmup", warmup, 0, CrossProcessBench.MAX_WARMUP);
        List<BenchSize> sz = new ArrayList<>();
        for (String s : sizes != null ? sizes : quick ? CrossProcessBench.QUICK_SIZES : CrossProcessBench.DEFAULT_SIZES) {
            try {
                sz.add(BenchSize.parse(s));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--sizes: " + e.getMessage());
            }
        }
        List<Transport> ts = new ArrayList<>();
        if (transports == null) ts.addAll(CrossProcessBench.allTransports());
        else {
            for (String t : transports) {
                try {
                    ts.add(Transport.parse(t));
                } catch (IllegalArgumentException e) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "--transports: " + e.getMessage());
                }
            }
        }
        return CrossProcessBench.run(new CrossProcessBench.Settings(sz, ts, frames, latencyFrames, warmup, quick, json, chart, true), out);
    }

    private int check(String flag, int value, int min, int max) {
        if (value < min || value > max) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    flag + " " + value + " is outside " + min + ".." + max);
        }
        return value;
    }
}
