package dev.vbuf.cli;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Frame geometry, shared by the commands that make or plan frames: {@code --size},
 * {@code --format}, {@code --fps}. Each command's defaults come from {@link Defaults}
 * ({@code run} and {@code plan}: 3840x2160 NV12 at 60 fps). {@code probe} and {@code capture}
 * describe what a file or device holds rather than what to make, so they declare their own
 * {@code --size}/{@code --format} with the same converters. Whether a size fits a format and the rate's
 * range are checked here, once.
 */
final class FrameOptions {
    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--size", paramLabel = "WxH", converter = SizeConverter.class,
            description = "Frame size in pixels, 1..16384 each (or 720p, 1080p, 4k, 8k). Default: ${DEFAULT-VALUE}.")
    FrameSize size;

    @Option(names = "--format", converter = Converters.Format.class,
            description = "Pixel format (nv12, i420, p010, yuyv, rgba, rgb24, gray8, ... or a V4L2 fourcc). Default: ${DEFAULT-VALUE}.")
    PixelFormat format;

    @Option(names = "--fps", description = "Frames per second, at most 1000 (vbuf run: 0 = as fast as the pool lets the producer go). Default: ${DEFAULT-VALUE}.")
    Double fps;

    /** True when the flag was on the command line (not a default). */
    boolean given(String flag) {
        var pr = spec.commandLine().getParseResult();
        return pr != null && pr.hasMatchedOption(flag);
    }

    /** The layout of {@code --size} in {@code --format}; exit 2 when the size does not fit the format. */
    FrameLayout layout() {
        try {
            return FrameLayout.of(format, size.width(), size.height());
        } catch (IllegalArgumentException e) {
            throw Flags.bad(spec, "--size " + size + " does not fit --format " + format.name().toLowerCase(java.util.Locale.ROOT)
                    + ": " + e.getMessage());
        }
    }

    /** {@code --fps}, checked: 0 allowed when {@code zeroMeaning} is not null (what 0 means). */
    double fps(String zeroMeaning) {
        return Flags.fps(spec, fps == null ? 0 : fps, zeroMeaning != null, RunCommand.MAX_FPS, zeroMeaning);
    }
}
