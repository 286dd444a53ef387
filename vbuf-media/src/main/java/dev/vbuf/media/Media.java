package dev.vbuf.media;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * Opens sources and sinks by the names the command line uses.
 *
 * <p>Inputs: {@code testsrc} (the moving test pattern), {@code /dev/videoN} (V4L2 capture),
 * {@code *.y4m} and raw files ({@code *.yuv}, {@code *.raw}, {@code *.nv12} ...: size and
 * format from the options), and, when the vbuf-ffmpeg module is present, anything else FFmpeg
 * opens (mp4, mkv, ts ...). Outputs: {@code null}, {@code checksum}, {@code *.y4m} and raw files,
 * {@code /dev/fbN} (framebuffer), and with vbuf-ffmpeg anything else FFmpeg writes (mkv, mp4,
 * nut ...).
 *
 * <p>Providers are found with {@link ServiceLoader} ({@code META-INF/services} on the class path,
 * {@code provides} on the module path): this module provides files, V4L2, the framebuffer and the
 * basic sinks; vbuf-ffmpeg provides FFmpeg. They are asked in turn; a provider that takes any
 * name ({@link SourceProvider#fallback()}, {@link SinkProvider#fallback()}) is asked last.
 */
public final class Media {
    /** The artifact that adds FFmpeg, named in the errors of a build without it. */
    static final String FFMPEG_MODULE = "dev.vbuf:vbuf-ffmpeg";

    private Media() {}

    /** True for a V4L2 device name: /dev/videoN. */
    public static boolean isVideoDevice(String input) {
        return input != null && input.startsWith("/dev/video");
    }

    /** True for a framebuffer device name: /dev/fbN. */
    public static boolean isFramebuffer(String output) {
        return output != null && output.startsWith("/dev/fb");
    }

    /**
     * Opens an input.
     *
     * @param input   testsrc, a file name or /dev/videoN
     * @param options size, format, rate and reader options for the sources that need them
     * @return the opened source; the caller closes it
     * @throws IOException              when the input cannot be opened or is bad (the message names it)
     * @throws IllegalArgumentException when no provider of this build reads such an input
     */
    public static Source openSource(String input, SourceOptions options) throws IOException {
        if (input == null || input.isBlank()) {
            throw new IllegalArgumentException("input is empty; give testsrc, a file (clip.y4m, clip.mkv ...) or /dev/videoN");
        }
        if ("testsrc".equals(input)) {
            return TestSource.open(options);
        }
        List<SourceProvider> providers = Providers.SOURCES;
        for (SourceProvider p : providers) {
            if (p.accepts(input)) return p.open(input, options);
        }
        boolean ffmpeg = providers.stream().anyMatch(SourceProvider::fallback);
        throw new IllegalArgumentException("input '" + input + "' is not something this build reads: give testsrc,"
                + " a .y4m or raw (.yuv, .nv12 ...) file"
                + (ffmpeg ? ", a file FFmpeg opens (.mkv, .mp4, .ts ...)" : "")
                + " or /dev/videoN"
                + (ffmpeg ? "" : "; other containers (.mkv, .mp4, .ts ...) need FFmpeg: add " + FFMPEG_MODULE));
    }

    /**
     * Opens an output.
     *
     * @param output   null, checksum, a file name or /dev/fbN
     * @param counters counters the sink adds to (bytes written, copies)
     * @return the opened sink; the caller closes it
     * @throws IOException              when the output cannot be opened (the message names it)
     * @throws IllegalArgumentException when no provider of this build writes such an output
     */
    public static Sink openSink(String output, MediaCounters counters) throws IOException {
        if (output == null || output.isBlank()) {
            throw new IllegalArgumentException("output is empty; give null, checksum, a file (clip.y4m, clip.mkv ...) or /dev/fbN");
        }
        List<SinkProvider> providers = Providers.SINKS;
        for (SinkProvider p : providers) {
            if (p.accepts(output)) return p.open(output, counters);
        }
        boolean ffmpeg = providers.stream().anyMatch(SinkProvider::fallback);
        throw new IllegalArgumentException("output '" + output + "' is not something this build writes: give null,"
                + " checksum, a .y4m or raw (.yuv, .nv12 ...) file"
                + (ffmpeg ? ", a file FFmpeg writes (.mkv, .mp4, .nut ...)" : "")
                + " or /dev/fbN"
                + (ffmpeg ? "" : "; other containers (.mkv, .mp4, .nut ...) need FFmpeg: add " + FFMPEG_MODULE));
    }

    /**
     * The providers present, sources then sinks, in the order they are asked (class names, for
     * diagnostics such as {@code vbuf devices}).
     *
     * @return the providers' class names
     */
    public static List<String> available() {
        var l = new ArrayList<String>();
        for (SourceProvider p : Providers.SOURCES) l.add(p.getClass().getName());
        for (SinkProvider p : Providers.SINKS) l.add(p.getClass().getName());
        return l;
    }

    /** The providers, found once, on first use (lazy holder: no lock after start-up). */
    private static final class Providers {
        static final List<SourceProvider> SOURCES = load(SourceProvider.class, SourceProvider::fallback);
        static final List<SinkProvider> SINKS = load(SinkProvider.class, SinkProvider::fallback);

        private static <T> List<T> load(Class<T> type, java.util.function.Predicate<T> fallback) {
            var found = new ArrayList<T>();
            try {
                for (T p : ServiceLoader.load(type, Media.class.getClassLoader())) found.add(p);
            } catch (ServiceConfigurationError e) {
                throw new IllegalStateException("a " + type.getSimpleName() + " listed in META-INF/services or a module's"
                        + " 'provides' cannot be started: " + e.getMessage(), e);
            }
            // the ones that take any name go last; the rest keep the loader's order
            found.sort(Comparator.comparing(p -> fallback.test(p)));
            return List.copyOf(found);
        }
    }
}
