package dev.vbuf.media;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.List;

/**
 * Opens sources and sinks by the names the command line uses.
 *
 * <p>Inputs: {@code testsrc} (the moving test pattern), {@code /dev/videoN} (V4L2 capture),
 * {@code *.y4m} and raw files ({@code *.yuv}, {@code *.raw}, {@code *.nv12} ...: size and
 * format from the options), anything else FFmpeg opens (mp4, mkv, ts ...).
 * Outputs: {@code null}, {@code checksum}, {@code *.y4m} and raw files, {@code /dev/fbN}
 * (framebuffer), anything else FFmpeg writes (mkv, mp4, nut ...).
 *
 * <p>Providers are tried in order; the device providers are looked up by class name
 * ({@value #V4L2_PROVIDER}, {@value #FB_PROVIDER}) so that they can be built separately; when the
 * class is missing, a device name gets a clear "not available in this build" error.
 */
public final class Media {
    /** Class name of the V4L2 capture provider (package dev.vbuf.media.v4l2). */
    public static final String V4L2_PROVIDER = "dev.vbuf.media.v4l2.V4l2SourceProvider";
    /** Class name of the framebuffer display provider (package dev.vbuf.media.fb). */
    public static final String FB_PROVIDER = "dev.vbuf.media.fb.FramebufferSinkProvider";
    private static final String FILE_SOURCES = "dev.vbuf.media.file.FileSourceProvider";
    private static final String FFMPEG_SOURCES = "dev.vbuf.media.ffmpeg.FfmpegSourceProvider";
    private static final String SINKS = "dev.vbuf.media.sink.BasicSinkProvider";
    private static final String FFMPEG_SINKS = "dev.vbuf.media.ffmpeg.FfmpegSinkProvider";

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
     * @throws IOException       when the input cannot be opened or is bad (the message names it)
     * @throws UnsupportedOperationException when the input needs a part this build does not have
     */
    public static Source openSource(String input, SourceOptions options) throws IOException {
        if (input == null || input.isBlank()) {
            throw new IllegalArgumentException("input is empty; give testsrc, a file (clip.y4m, clip.mkv ...) or /dev/videoN");
        }
        if ("testsrc".equals(input)) {
            return TestSource.open(options);
        }
        if (isVideoDevice(input)) {
            SourceProvider v4l2 = load(V4L2_PROVIDER, SourceProvider.class);
            if (v4l2 == null) {
                throw new UnsupportedOperationException("V4L2 input not available in this build: " + input
                        + " needs " + V4L2_PROVIDER + "; use testsrc or a file");
            }
            return v4l2.open(input, options);
        }
        for (String name : List.of(FILE_SOURCES, FFMPEG_SOURCES)) {
            SourceProvider p = load(name, SourceProvider.class);
            if (p != null && p.accepts(input)) return p.open(input, options);
        }
        throw new IllegalArgumentException("input '" + input + "' is not something this build reads: give testsrc,"
                + " a .y4m or raw (.yuv) file, a file FFmpeg opens (.mkv, .mp4, .ts ...) or /dev/videoN");
    }

    /** Opens an output. */
    public static Sink openSink(String output, MediaCounters counters) throws IOException {
        if (output == null || output.isBlank()) {
            throw new IllegalArgumentException("output is empty; give null, checksum, a file (clip.y4m, clip.mkv ...) or /dev/fbN");
        }
        if (isFramebuffer(output)) {
            SinkProvider fb = load(FB_PROVIDER, SinkProvider.class);
            if (fb == null) {
                throw new UnsupportedOperationException("framebuffer output not available in this build: " + output
                        + " needs " + FB_PROVIDER + "; use null, checksum or a file");
            }
            return fb.open(output, counters);
        }
        for (String name : List.of(SINKS, FFMPEG_SINKS)) {
            SinkProvider p = load(name, SinkProvider.class);
            if (p != null && p.accepts(output)) return p.open(output, counters);
        }
        throw new IllegalArgumentException("output '" + output + "' is not something this build writes: give null,"
                + " checksum, a .y4m or raw (.yuv) file, a file FFmpeg writes (.mkv, .mp4, .nut ...) or /dev/fbN");
    }

    /** The providers present in this build, for --help and probe. */
    public static List<String> available() {
        var l = new ArrayList<String>();
        for (String n : List.of(FILE_SOURCES, FFMPEG_SOURCES, SINKS, FFMPEG_SINKS, V4L2_PROVIDER, FB_PROVIDER)) {
            if (load(n, Object.class) != null) l.add(n);
        }
        return l;
    }

    /** Instantiates a provider by class name, or null when the class is not in this build. */
    static <T> T load(String className, Class<T> type) {
        Class<?> c;
        try {
            c = Class.forName(className, true, Media.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            return null;
        }
        try {
            return type.cast(c.getConstructor().newInstance());
        } catch (InvocationTargetException e) {
            throw new IllegalStateException("provider " + className + " failed to start: " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new IllegalStateException("provider " + className + " is not a " + type.getSimpleName()
                    + " with a public no-argument constructor: " + e, e);
        }
    }
}
