package dev.vbuf.cli;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The issue's "done when", as a user would check it: clips made by FFmpeg's own command-line
 * tool (not by vbuf, not by the FFmpeg libraries vbuf links) from its {@code testsrc2} source, in
 * each codec, pixel format and container; {@code vbuf run --input FILE --output out.y4m}; and
 * {@code ffmpeg -i out.y4m -f framemd5 -} equal to {@code ffmpeg -i FILE -f framemd5 -} for every
 * picture (same count, same MD5s in the same order).
 *
 * <p>Needs the {@code ffmpeg} command ({@code scripts/install-ffmpeg-cli} installs Debian's, or
 * set {@code VBUF_FFMPEG}); skipped with that message when it is missing. The default run checks
 * one clip per codec and format family (about 10 clips); {@code -Dvbuf.clips=all} runs the whole
 * matrix (docs/MEDIA.md, "Clips made by FFmpeg's command-line tool").
 */
class CliClipsTest {
    static final boolean ALL = "all".equals(System.getProperty("vbuf.clips"));

    @TempDir
    static Path dir;
    static String ffmpeg;

    @BeforeAll
    static void findFfmpeg() {
        ffmpeg = ffmpegCommand();
    }

    /** The ffmpeg command (VBUF_FFMPEG, else ffmpeg on the PATH), or null when there is none. */
    static String ffmpegCommand() {
        String c = System.getenv().getOrDefault("VBUF_FFMPEG", "ffmpeg");
        try {
            Process p = new ProcessBuilder(c, "-hide_banner", "-version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0 ? c : null;
        } catch (IOException | InterruptedException e) {
            return null;
        }
    }

    static boolean hasEncoder(String name) throws Exception {
        return run(List.of(ffmpeg, "-hide_banner", "-encoders")).contains(" " + name + " ");
    }

    /** codec (encoder), pix_fmt, container, extra encoder arguments, in the default run. */
    static Stream<Arguments> clips() {
        var l = new ArrayList<Arguments>();
        // H.264: B-frames (3, pyramid), several references; 4:2:0 in mp4 and ts, 4:2:2 / 4:4:4 / 10-bit in mkv
        l.add(clip("libx264", "yuv420p", "mp4", true, "-bf", "3", "-refs", "4", "-g", "12"));
        l.add(clip("libx264", "yuv420p", "ts", false, "-bf", "3", "-g", "12"));
        l.add(clip("libx264", "yuv422p", "mkv", false, "-bf", "2"));
        l.add(clip("libx264", "yuv444p", "mkv", true, "-bf", "2"));
        l.add(clip("libx264", "yuv420p10le", "mkv", false, "-bf", "2"));
        l.add(clip("libx264", "yuv422p10le", "mkv", false, "-bf", "2"));
        // HEVC 8- and 10-bit
        l.add(clip("libx265", "yuv420p", "mp4", true, "-x265-params", "log-level=error:bframes=3"));
        l.add(clip("libx265", "yuv420p10le", "mkv", true, "-x265-params", "log-level=error:bframes=3"));
        l.add(clip("libx265", "yuv422p10le", "mkv", false, "-x265-params", "log-level=error"));
        l.add(clip("libx265", "yuv444p", "mkv", false, "-x265-params", "log-level=error"));
        l.add(clip("libx265", "yuv422p", "mkv", false, "-x265-params", "log-level=error"));
        l.add(clip("libx265", "yuv444p10le", "mp4", false, "-x265-params", "log-level=error"));
        // VP9 (alt-ref frames), profiles 0..3
        l.add(clip("libvpx-vp9", "yuv420p", "webm", false, "-deadline", "realtime", "-cpu-used", "8", "-lag-in-frames", "8", "-auto-alt-ref", "1"));
        l.add(clip("libvpx-vp9", "yuv422p", "webm", true, "-deadline", "realtime", "-cpu-used", "8"));
        l.add(clip("libvpx-vp9", "yuv444p", "mkv", false, "-deadline", "realtime", "-cpu-used", "8"));
        l.add(clip("libvpx-vp9", "yuv420p10le", "webm", false, "-deadline", "realtime", "-cpu-used", "8"));
        l.add(clip("libvpx-vp9", "yuv444p10le", "webm", false, "-deadline", "realtime", "-cpu-used", "8"));
        // MPEG-2 (B-frames), 4:2:0 and 4:2:2
        l.add(clip("mpeg2video", "yuv420p", "ts", false, "-bf", "2", "-g", "12"));
        l.add(clip("mpeg2video", "yuv422p", "mkv", true, "-bf", "2"));
        // FFV1
        l.add(clip("ffv1", "yuv420p", "mkv", false));
        l.add(clip("ffv1", "yuv422p", "mkv", false));
        l.add(clip("ffv1", "yuv444p", "mkv", false));
        l.add(clip("ffv1", "yuv420p10le", "mkv", false));
        l.add(clip("ffv1", "yuv422p10le", "mkv", false));
        l.add(clip("ffv1", "yuv444p10le", "mkv", true));
        // AV1 (decoded by the build's libaom decoder)
        l.add(clip("libaom-av1", "yuv420p", "mkv", true, "-cpu-used", "8", "-lag-in-frames", "8"));
        l.add(clip("libaom-av1", "yuv420p10le", "webm", false, "-cpu-used", "8"));
        l.add(clip("libsvtav1", "yuv420p", "mp4", false, "-preset", "12"));
        return l.stream().filter(a -> ALL || (boolean) a.get()[3]);
    }

    static Arguments clip(String codec, String pixFmt, String container, boolean byDefault, String... extra) {
        return Arguments.of(codec, pixFmt, container, byDefault, List.of(extra));
    }

    @ParameterizedTest(name = "{0} {1} in {2}")
    @MethodSource("clips")
    void vbufsY4mHashesLikeTheClip(String codec, String pixFmt, String container, boolean byDefault, List<String> extra)
            throws Exception {
        Assumptions.assumeTrue(ffmpeg != null, "no ffmpeg command here: run scripts/install-ffmpeg-cli (or set VBUF_FFMPEG"
                + " to an ffmpeg binary) to check vbuf against clips made by FFmpeg's own tool");
        Assumptions.assumeTrue(hasEncoder(codec), "this ffmpeg command has no " + codec + " encoder");
        String name = codec + "-" + pixFmt + "." + container;
        Path clip = dir.resolve(name);
        Path out = dir.resolve(name + ".y4m");
        int frames = 12;
        var make = new ArrayList<>(List.of(ffmpeg, "-hide_banner", "-v", "error", "-f", "lavfi", "-i",
                "testsrc2=size=176x144:rate=25", "-frames:v", String.valueOf(frames), "-pix_fmt", pixFmt, "-c:v", codec));
        make.addAll(extra);
        make.addAll(List.of("-y", clip.toString()));
        run(make);

        Cli r = Cli.run("run", "--input", clip.toString(), "--output", out.toString(), "--json");
        assertEquals(0, r.exit(), r::toString);
        assertEquals(frames, r.number("framesDecoded"), r::toString);

        List<String> want = framemd5(clip), got = framemd5(out);
        assertEquals(frames, want.size(), "FFmpeg decodes every picture of the clip");
        assertEquals(want, got, name + ": ffmpeg -i out.y4m -f framemd5 equals ffmpeg -i " + name + " -f framemd5");
        System.out.printf("checked %-11s %-12s %-5s %d pictures, %d copies, %d slots back of %d%n", codec, pixFmt, container,
                got.size(), r.number("copies"), r.number("slotsBack"), r.number("poolFrames"));
    }

    /** "pix_fmt size MD5" of each picture FFmpeg decodes from the file, in output order (timestamps left out). */
    static List<String> framemd5(Path file) throws Exception {
        String text = run(List.of(ffmpeg, "-hide_banner", "-v", "error", "-i", file.toString(), "-map", "0:v:0",
                "-fps_mode", "passthrough", "-f", "framemd5", "-"));
        var l = new ArrayList<String>();
        for (String line : text.split("\n")) {
            if (line.startsWith("#") || line.isBlank()) continue;
            String[] f = line.split(",");
            l.add(f[4].trim() + " " + f[5].trim()); // size, MD5
        }
        return l;
    }

    static String run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.PIPE).start();
        var err = new java.io.ByteArrayOutputStream();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                p.getErrorStream().transferTo(err);
            } catch (IOException ignored) {
                // the process went away
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "timed out: " + cmd);
        t.join();
        assertEquals(0, p.exitValue(), () -> String.join(" ", cmd) + ": " + err.toString(StandardCharsets.UTF_8));
        return out;
    }
}
