package dev.vbuf.cli;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.sizing.Durations;
import dev.vbuf.sizing.PoolPlan;
import dev.vbuf.sizing.PoolSizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;

/** {@code vbuf plan}: how many frames a stream needs and how much memory they take (PoolSizer). */
@Command(name = "plan", mixinStandardHelpOptions = true,
        description = "Size a pool: frames = max(minimum, ceil(fps x latency) + ceil(fps x 2 x (transfer + decode)) + 1),"
                + " memory = frames x bytes per frame. Prints the working (docs/SIZING.md).")
public final class PlanCommand implements Callable<Integer> {
    static final Duration MAX_LATENCY = PoolSizer.MAX_LATENCY;

    @Spec
    CommandSpec spec;

    @Option(names = "--size", paramLabel = "WxH", converter = SizeConverter.class, defaultValue = "3840x2160",
            description = "Frame size in pixels, 1..16384 each (or 720p, 1080p, 4k, 8k). Default: ${DEFAULT-VALUE}.")
    FrameSize size;

    @Option(names = "--format", defaultValue = "nv12",
            description = "Pixel format (nv12, i420, p010, yuyv, rgba, rgb24, gray8, ... or a V4L2 fourcc). Default: ${DEFAULT-VALUE}.")
    String format;

    @Option(names = "--fps", defaultValue = "60", description = "Frame rate, greater than 0 and at most 1000. Default: ${DEFAULT-VALUE}.")
    double fps;

    @Option(names = "--latency", defaultValue = "16ms",
            description = "Longest time a submitted frame is held downstream, greater than 0 and at most 60s. Default: ${DEFAULT-VALUE}.")
    String latency;

    @Option(names = "--transfer", defaultValue = "2ms",
            description = "Bus transfer time per frame, 0..60s. Default: ${DEFAULT-VALUE}.")
    String transfer;

    @Option(names = "--decode", defaultValue = "3ms", description = "Decoder latency per frame, 0..60s. Default: ${DEFAULT-VALUE}.")
    String decode;

    @Option(names = "--min-frames", defaultValue = "0",
            description = "Never fewer frames than this, 0..1048576 (0: no minimum). Default: ${DEFAULT-VALUE}.")
    int minFrames;

    @Option(names = "--json", description = "Print the plan as one JSON object.")
    boolean json;

    @Override
    public Integer call() {
        PixelFormat pf = Flags.format(spec, format);
        FrameLayout layout = Flags.layout(spec, size, pf);
        Flags.fps(spec, fps, false, PoolSizer.MAX_FPS, "");
        Duration lat = Flags.duration(spec, "--latency", latency, Duration.ZERO, true, MAX_LATENCY);
        Duration tr = Flags.duration(spec, "--transfer", transfer, Duration.ZERO, false, MAX_LATENCY);
        Duration dec = Flags.duration(spec, "--decode", decode, Duration.ZERO, false, MAX_LATENCY);
        Flags.range(spec, "--min-frames", minFrames, 0, PoolSizer.MAX_MIN_FRAMES);
        PoolPlan plan = PoolSizer.plan(fps, lat, tr, dec, layout.frameBytes(), minFrames);

        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(new Json().begin()
                    .put("size", size.toString())
                    .put("format", pf.name())
                    .put("fps", fps)
                    .put("latencyMs", Durations.seconds(lat).doubleValue() * 1e3)
                    .put("transferMs", Durations.seconds(tr).doubleValue() * 1e3)
                    .put("decodeMs", Durations.seconds(dec).doubleValue() * 1e3)
                    .put("base", plan.base())
                    .put("safety", plan.safety())
                    .put("producer", plan.producer())
                    .put("minFrames", plan.minFrames())
                    .put("frames", plan.frames())
                    .put("bytesPerFrame", plan.bytesPerFrame())
                    .put("totalBytes", plan.totalBytes())
                    .end());
        } else {
            out.printf("%s %s at %s fps%n", size, pf.name(), Units.plain(fps));
            out.printf("  frames          %d%n", plan.frames());
            out.printf("  bytes per frame %s (%s)%n", Units.grouped(plan.bytesPerFrame()), Units.bytes(plan.bytesPerFrame()));
            out.printf("  total bytes     %s (%s)%n", Units.grouped(plan.totalBytes()), Units.bytes(plan.totalBytes()));
            out.println();
            out.println(plan.working());
        }
        out.flush();
        return 0;
    }
}
