package dev.vbuf.cli;

import dev.vbuf.format.PixelFormat;
import dev.vbuf.format.Plane;
import dev.vbuf.media.Media;
import dev.vbuf.media.Pipeline;
import dev.vbuf.media.Source;
import dev.vbuf.media.SourceOptions;
import dev.vbuf.media.StreamInfo;
import dev.vbuf.media.sink.NullSink;
import dev.vbuf.sizing.PoolPlan;
import dev.vbuf.sizing.PoolSizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code vbuf probe FILE}: what the input holds and the pool {@code vbuf run} would make for it. */
@Command(name = "probe", mixinStandardHelpOptions = true,
        description = "Show what a video file (Y4M, raw, anything FFmpeg opens) holds and the pool 'vbuf run --input FILE' would build.")
public final class ProbeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "The input: a .y4m, raw (.yuv with --size/--format) or FFmpeg file.")
    String input;

    @Option(names = "--size", paramLabel = "WxH", converter = SizeConverter.class, description = "Picture size of a raw file.")
    FrameSize size;

    @Option(names = "--format", converter = Converters.Format.class, description = "Pixel format of a raw file (default i420).")
    PixelFormat format;

    @Option(names = "--reader", defaultValue = "mmap", description = "Reader the plan is for: mmap, direct, io_uring. Default: ${DEFAULT-VALUE}.")
    String reader;

    @Override
    public Integer call() throws Exception {
        SourceOptions o = new SourceOptions(reader, 1, false, size == null ? 0 : size.width(), size == null ? 0 : size.height(),
                format, 0, 4);
        PrintWriter out = spec.commandLine().getOut();
        MediaPaths.checkInput(spec, input);
        try (Source s = MediaPaths.openSource(spec, input, o)) {
            StreamInfo i = s.info();
            out.println(i.description());
            out.printf("  picture   %dx%d %s, %s fps, %s pictures%n", i.width(), i.height(), i.layout().format(),
                    i.fps() > 0 ? Units.plain(i.fps()) : "unknown", i.frameCount() >= 0 ? Long.toString(i.frameCount()) : "unknown");
            for (Map.Entry<String, String> e : i.metadata().entrySet()) out.printf("  %-9s %s%n", e.getKey(), e.getValue());
            out.printf("  buffer    layout %dx%d, %s bytes per buffer%n", i.layout().width(), i.layout().height(),
                    Units.grouped(i.bufferBytes()));
            for (Plane p : i.layout().planes()) {
                out.printf("    plane %d offset %d stride %d rows %d%n", p.index(), p.offset(), p.stride(), p.rows());
            }
            int minimum;
            try (NullSink n = new NullSink(new dev.vbuf.media.MediaCounters())) {
                minimum = Pipeline.minimumFrames(s, List.of(n));
            }
            int frames = minimum;
            String how = "minimum for the source and one sink";
            if (i.fps() > 0) {
                PoolPlan plan = PoolSizer.plan(Math.min(i.fps(), PoolSizer.MAX_FPS), Duration.ofMillis(16), Duration.ofMillis(2),
                        Duration.ofMillis(3), i.bufferBytes(), minimum);
                frames = plan.frames();
                how = "PoolSizer at " + Units.plain(i.fps()) + " fps, 16 ms latency, 2 ms transfer, 3 ms decode, at least " + minimum;
            }
            out.printf("  pool      %d frames x %s bytes = %s bytes (%s); %s%n", frames, Units.grouped(i.bufferBytes()),
                    Units.grouped(frames * i.bufferBytes()), Units.bytes(frames * i.bufferBytes()), how);
        }
        out.flush();
        return 0;
    }
}
