package dev.vbuf.cli;

import dev.vbuf.bench.harness.Json;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.media.Media;
import dev.vbuf.media.MediaCounters;
import dev.vbuf.media.Pipeline;
import dev.vbuf.media.Sink;
import dev.vbuf.media.Source;
import dev.vbuf.media.SourceOptions;
import dev.vbuf.media.StreamInfo;
import dev.vbuf.media.sink.ChecksumSink;
import dev.vbuf.sizing.PoolPlan;
import dev.vbuf.sizing.PoolSizer;
import dev.vbuf.stats.PoolStats;
import org.HdrHistogram.Histogram;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code vbuf run --input X --output Y}: a real stream through a pool (vbuf-media's
 * {@link Pipeline}): testsrc, a Y4M / raw file (read with mmap, O_DIRECT or io_uring), a file
 * FFmpeg decodes, or a V4L2 device, into null, checksum, a Y4M / raw file, a file FFmpeg
 * encodes, or a framebuffer. Status line once a second, summary as text or JSON.
 */
final class MediaRun implements Callable<Integer> {
    private final RunCommand cmd;

    MediaRun(RunCommand cmd) {
        this.cmd = cmd;
    }

    /** Media mode: an --input other than testsrc, or an --output. */
    static boolean applies(RunCommand cmd) {
        return cmd.output != null || (cmd.input != null && !cmd.input.equals("testsrc"));
    }

    private boolean given(String flag) {
        return cmd.spec.commandLine().getParseResult() != null && cmd.spec.commandLine().getParseResult().hasMatchedOption(flag);
    }

    @Override
    public Integer call() throws Exception {
        String input = cmd.input == null ? "testsrc" : cmd.input;
        String output = cmd.output == null ? "null" : cmd.output;
        if (cmd.shared != null) {
            throw Flags.bad(cmd.spec, "--shared " + cmd.shared + " cannot be combined with --input/--output yet: a media run"
                    + " builds its pool for the source (decoder layout, device buffers); run without --shared");
        }
        Flags.range(cmd.spec, "--threads", cmd.threads, 1, 64);
        if (Media.isVideoDevice(input)) { // a V4L2 device: --reader names the buffer memory type
            if (!dev.vbuf.media.v4l2.V4l2Source.MEMORY_TYPES.contains(cmd.reader)) {
                throw Flags.bad(cmd.spec, "--reader " + cmd.reader + " is not a V4L2 memory type: mmap, userptr, dmabuf or expbuf");
            }
        } else try {
            dev.vbuf.media.file.FileSource.Reader.parse(cmd.reader);
        } catch (IllegalArgumentException e) {
            throw Flags.bad(cmd.spec, "--reader " + cmd.reader + " is not one of mmap, direct, io_uring");
        }
        Integer poolFrames = cmd.pool.frames();
        if (!NetMedia.isAeron(input)) MediaPaths.checkInput(cmd.spec, input);
        if (!NetMedia.isAeron(output)) MediaPaths.checkOutput(cmd.spec, output);
        // Y4M and raw outputs put pictures back in order (within the readers' window); an encoder does not
        boolean ordered = !output.equals("null") && !output.equals("checksum") && !NetMedia.isAeron(output);
        if (cmd.threads > 1 && ordered && !dev.vbuf.media.file.VideoFile.handles(output)) {
            throw Flags.bad(cmd.spec, "--threads " + cmd.threads + " delivers pictures out of order, and --output " + output
                    + " encodes them in arrival order; use --threads 1, or a .y4m / raw output, or --output null / checksum");
        }
        FrameOptions fo = cmd.frame;
        PixelFormat format = null;
        if (fo.given("--format")) {
            format = fo.format;
        } else if (input.equals("testsrc") && ordered) {
            format = PixelFormat.I420; // what Y4M and FFV1 hold; NV12 stays the default for null / checksum
        }
        if (format != null && (fo.given("--size") || input.equals("testsrc"))) {
            try {
                dev.vbuf.format.FrameLayout.of(format, fo.size.width(), fo.size.height());
            } catch (IllegalArgumentException e) {
                throw Flags.bad(cmd.spec, "--size " + fo.size + " does not fit --format " + format.name().toLowerCase(Locale.ROOT)
                        + ": " + e.getMessage());
            }
        }
        if (!java.util.List.of("quiet", "error", "warning", "info", "verbose", "debug").contains(cmd.ffmpegLog)) {
            throw Flags.bad(cmd.spec, "--ffmpeg-log " + cmd.ffmpegLog + " is not one of quiet, error, warning, info, verbose, debug");
        }
        // FFmpeg's log lines go through System.Logger (dev.vbuf.ffmpeg), one line each, at the level asked for
        System.setProperty("vbuf.ffmpeg.log", cmd.ffmpegLog);
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%4$s: %5$s%6$s%n");
        }
        boolean sizeGiven = fo.given("--size");
        double fps = fo.given("--fps") ? fo.fps("0 = the input's own rate") : 0;
        SourceOptions so = new SourceOptions(cmd.reader, cmd.threads, cmd.loop,
                sizeGiven || input.equals("testsrc") ? fo.size.width() : 0,
                sizeGiven || input.equals("testsrc") ? fo.size.height() : 0,
                format, fps, 4, cmd.allowTruncated);
        if (input.equals("testsrc") && cmd.frames == null && !given("--duration")) {
            throw Flags.bad(cmd.spec, "--input testsrc never ends by itself; give --frames N (e.g. --frames 120)");
        }
        long maxFrames = cmd.frames != null ? cmd.frames : -1;
        MediaCounters counters = new MediaCounters(maxFrames);
        PrintWriter out = cmd.spec.commandLine().getOut();
        PrintWriter err = cmd.spec.commandLine().getErr();
        StatusLine status = new StatusLine(cmd.json() ? err : out, StatusLine.isTerminal());
        MemorySpec memory = cmd.memorySpec();
        try (Source source = NetMedia.isAeron(input) ? NetMedia.source(cmd.spec, input) : MediaPaths.openSource(cmd.spec, input, so);
             Sink sink = NetMedia.isAeron(output) ? NetMedia.sink(cmd.spec, output, counters) : MediaPaths.openSink(cmd.spec, output, counters);
             GracefulStop stop = GracefulStop.install("run", counters::requestStop)) {
            StreamInfo info = source.info();
            int minimum = Pipeline.minimumFrames(source, List.of(sink));
            Integer frames = poolFrames;
            if (frames == null && info.fps() > 0) {
                PoolPlan plan = PoolSizer.plan(Math.min(info.fps(), PoolSizer.MAX_FPS), Duration.ofMillis(16),
                        Duration.ofMillis(2), Duration.ofMillis(3), info.bufferBytes(), minimum);
                frames = plan.frames();
            }
            int count = Math.max(frames == null ? 0 : frames, minimum);
            try (MemorySpec.Built mem = memory.build(count, info.bufferBytes())) {
                var opts = new Pipeline.Options("vbuf-run", count, cmd.pool.policy, mem.allocator());
                long[] last = {0, System.nanoTime()};
                Pipeline.Result r;
                try {
                    r = Pipeline.run(source, List.of(sink), opts, counters, (pool, c) -> {
                        long now = System.nanoTime(), n = c.frames.sum();
                        double rate = (n - last[0]) * 1e9 / Math.max(1, now - last[1]);
                        last[0] = n;
                        last[1] = now;
                        PoolStats ps = pool.stats();
                        long total = maxFrames > 0 ? maxFrames : info.frameCount() > 0 && !cmd.loop ? info.frameCount() : -1;
                        String bar = "";
                        if (total > 0) {
                            int filled = (int) Math.min(20, 20 * n / total);
                            long eta = rate > 0 ? Math.round((total - n) / rate) : -1;
                            bar = "[" + "#".repeat(filled) + " ".repeat(20 - filled) + "] " + (100 * n / total) + "% "
                                    + (eta >= 0 ? "eta " + eta + " s  " : "");
                        }
                        status.show(bar + String.format(Locale.ROOT, "frames %d  fps %.1f  copies %d  drops %d  HOT %d WARM %d COLD %d",
                                n, rate, c.copies.sum(), ps.drops() + c.sourceDrops.sum(), ps.hot(), ps.warm(), ps.cold()));
                    });
                } catch (Pipeline.OpenException e) {
                    throw MediaPaths.cannotOpen(cmd.spec, output, e.getCause());
                }
                status.finish();
                int code = report(input, output, info, sink, counters, r, out, err, stop.signalled());
                return stop.signalled() ? GracefulStop.EXIT_CODE : code;
            }
        }
    }

    private int report(String input, String output, StreamInfo info, Sink sink, MediaCounters c, Pipeline.Result r,
                       PrintWriter out, PrintWriter err, boolean signalled) {
        long frames = c.frames.sum();
        double secs = r.wallNanos() / 1e9;
        double fps = frames / Math.max(secs, 1e-9);
        double mbps = c.bytesIn.sum() / 1e6 / Math.max(secs, 1e-9);
        long drops = r.pool().drops() + c.sourceDrops.sum();
        ChecksumSink sum = sink instanceof ChecksumSink cs ? cs : null;
        var errors = new java.util.ArrayList<String>();
        if (r.sourceError() != null) errors.add("input: " + Main.describe(r.sourceError()));
        for (Throwable t : r.sinkErrors()) errors.add("output: " + Main.describe(t));
        if (r.slotsBack() != r.poolFrames()) errors.add((r.poolFrames() - r.slotsBack()) + " pool slot(s) not back");
        if (sum != null && sum.patternMismatches() > 0 && sum.patternMatches() > 0) {
            errors.add(sum.patternMismatches() + " picture(s) differ from the test pattern");
        }
        boolean ok = errors.isEmpty();
        Histogram h = r.handoff(), p = r.produce();
        if (cmd.json()) {
            Json j = new Json().begin().put("ok", ok).put("stopped", signalled).put("input", input).put("output", output)
                    .put("reader", input.equals("testsrc") || !dev.vbuf.media.file.VideoFile.handles(input) ? "-" : cmd.reader)
                    .put("threads", cmd.threads)
                    .put("size", info.width() + "x" + info.height()).put("format", info.layout().format().name())
                    .put("framesDecoded", frames).put("framesOut", c.sinkFrames.sum())
                    .put("copies", c.copies.sum()).put("drops", drops)
                    .put("fps", fps, 1).put("readMBps", mbps, 1).put("durationMs", r.wallNanos() / 1e6, 1)
                    .put("decodeP50Us", p.getValueAtPercentile(50) / 1e3, 1)
                    .put("decodeP99Us", p.getValueAtPercentile(99) / 1e3, 1)
                    .put("handoffP50Us", h.getValueAtPercentile(50) / 1e3, 1)
                    .put("handoffP99Us", h.getValueAtPercentile(99) / 1e3, 1)
                    .put("handoffMaxUs", h.getMaxValue() / 1e3, 1)
                    .put("warnings", c.warnings.sum())
                    .put("poolFrames", r.poolFrames()).put("bytesPerFrame", r.bufferBytes())
                    .put("totalBytes", r.bufferBytes() * r.poolFrames()).put("slotsBack", r.slotsBack());
            if (sum != null) {
                j.put("checksum", String.format("%08x", sum.streamChecksum())).put("patternMatches", sum.patternMatches())
                        .put("patternMismatches", sum.patternMismatches()).put("missing", sum.missing());
            }
            j.put("sink", sink.summary());
            if (!errors.isEmpty()) j.put("errors", String.join("; ", errors));
            out.println(j.end());
        } else {
            out.printf(Locale.ROOT, "vbuf run: %s -> %s%s%n", info.description(), output, signalled ? " (stopped by a signal)" : "");
            out.printf(Locale.ROOT, "  source    %d pictures in %.3f s = %.1f fps, %.1f MB/s read, %d copies, %d drops%n",
                    frames, secs, fps, mbps, c.copies.sum(), drops);
            out.printf(Locale.ROOT, "  latency   decode/read p50 %s us p99 %s us; hand-off p50 %s us p99 %s us max %s us%n",
                    Units.micros(p.getValueAtPercentile(50)), Units.micros(p.getValueAtPercentile(99)),
                    Units.micros(h.getValueAtPercentile(50)), Units.micros(h.getValueAtPercentile(99)),
                    Units.micros(h.getMaxValue()));
            out.printf(Locale.ROOT, "  pool      %d frames x %s bytes = %s; %d of %d slots back%n", r.poolFrames(),
                    Units.grouped(r.bufferBytes()), Units.bytes(r.bufferBytes() * r.poolFrames()), r.slotsBack(), r.poolFrames());
            out.printf(Locale.ROOT, "  output    %s%n", sink.summary());
            if (c.warnings.sum() > 0) {
                out.printf(Locale.ROOT, "  warnings  %d: %s%n", c.warnings.sum(), c.firstWarning());
            }
            out.println("  result    " + (ok ? (c.warnings.sum() > 0 ? "OK with " + c.warnings.sum()
                    + " warning(s) (--allow-truncated)" : "OK") : "FAILED: " + String.join("; ", errors)));
        }
        out.flush();
        for (String e : errors) err.println("vbuf run: " + e);
        err.flush();
        return ok ? 0 : 1;
    }
}
