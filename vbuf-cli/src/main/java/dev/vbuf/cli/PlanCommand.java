package dev.vbuf.cli;

import dev.vbuf.bench.harness.Json;
import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.sizing.Durations;
import dev.vbuf.sizing.PoolPlan;
import dev.vbuf.sizing.PoolSizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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

    @Mixin
    FrameOptions frame;

    @Mixin
    SizerOptions sizer;

    @Option(names = "--min-frames", defaultValue = "0",
            description = "Never fewer frames than this, 0..1048576 (0: no minimum). Default: ${DEFAULT-VALUE}.")
    int minFrames;

    @Mixin
    JsonOption json;

    @Override
    public Integer call() {
        FrameLayout layout = frame.layout();
        PixelFormat pf = layout.format();
        FrameSize size = frame.size;
        double fps = frame.fps(null);
        Duration lat = sizer.latency(), tr = sizer.transfer(), dec = sizer.decode();
        Flags.range(spec, "--min-frames", minFrames, 0, PoolSizer.MAX_MIN_FRAMES);
        PoolPlan plan = PoolSizer.plan(fps, lat, tr, dec, layout.frameBytes(), minFrames);

        PrintWriter out = spec.commandLine().getOut();
        if (json.json) {
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
