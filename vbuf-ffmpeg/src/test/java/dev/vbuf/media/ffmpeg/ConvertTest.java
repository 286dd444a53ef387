package dev.vbuf.media.ffmpeg;

import dev.vbuf.format.PixelFormat;
import dev.vbuf.media.MediaCounters;
import dev.vbuf.media.MediaException;
import dev.vbuf.media.Pipeline;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A file whose pictures vbuf has no format for: refused, naming the format to convert to and
 * {@code --convert}; with conversion on, each picture goes through libswscale into the pool in
 * the nearest vbuf format, one counted copy per picture, and equals what FFmpeg's own program
 * gives for {@code -pix_fmt <that format>} (the same libswscale, bicubic, as its default).
 */
class ConvertTest {
    static final int FRAMES = 5;

    @TempDir
    static Path dir;

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"yuv420p12le, yuv420p10le, I010", "gray12le, gray16le, GRAY16", "yuv411p, yuv422p, I422",
            "bgr0, rgb24, RGB24"})
    void aFormatVbufLacksIsRefusedOrConvertedOnce(String from, String to, PixelFormat vbuf) throws Exception {
        Av.init();
        String ffmpeg = org.bytedeco.javacpp.Loader.load(org.bytedeco.ffmpeg.ffmpeg.class);
        Path clip = dir.resolve(from + ".mkv");
        TruncationMatrixTest.run(List.of(ffmpeg, "-hide_banner", "-v", "error", "-f", "lavfi", "-i",
                "testsrc2=size=96x64:rate=25", "-frames:v", String.valueOf(FRAMES), "-pix_fmt", from, "-c:v", "ffv1",
                "-y", clip.toString()), true);

        var e = assertThrows(MediaException.class, () -> new FfmpegSource(clip.toString()));
        assertTrue(e.getMessage().contains(clip.toString()) && e.getMessage().contains(from)
                && e.getMessage().contains("--convert") && e.getMessage().contains("convert each picture to " + to), e.getMessage());

        var c = new MediaCounters();
        var md5 = new DecodeOrderTest.Md5Sink();
        try (FfmpegSource src = new FfmpegSource(clip.toString(), false, true)) {
            assertEquals(vbuf, src.info().layout().format());
            assertEquals(from + " -> " + to + " (libswscale, one counted copy per picture)", src.info().metadata().get("convert"));
            var r = Pipeline.run(src, List.of(md5), Pipeline.Options.defaults(), c, null);
            assertTrue(r.ok(), () -> String.valueOf(r.sourceError()));
            assertEquals(r.poolFrames(), r.slotsBack());
        }
        assertEquals(FRAMES, c.copies.sum(), "one counted copy per picture");
        String text = TruncationMatrixTest.run(List.of(ffmpeg, "-hide_banner", "-v", "error", "-i", clip.toString(),
                "-pix_fmt", to, "-f", "framemd5", "-"), true);
        var want = new ArrayList<String>();
        for (String line : text.split("\n")) if (!line.startsWith("#") && !line.isBlank()) want.add(line.split(",")[5].trim());
        assertEquals(want, md5.md5s, "what ffmpeg -i " + from + ".mkv -pix_fmt " + to + " gives");
    }
}
