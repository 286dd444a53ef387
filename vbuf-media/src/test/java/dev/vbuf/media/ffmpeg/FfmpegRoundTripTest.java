package dev.vbuf.media.ffmpeg;

import dev.vbuf.format.PixelFormat;
import dev.vbuf.media.MediaCounters;
import dev.vbuf.media.MediaException;
import dev.vbuf.media.Pipeline;
import dev.vbuf.media.Sink;
import dev.vbuf.media.Source;
import dev.vbuf.media.SourceOptions;
import dev.vbuf.media.TestSource;
import dev.vbuf.media.sink.ChecksumSink;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** testsrc → FFmpeg encoder (from pool buffers) → file → FFmpeg decoder (into pool buffers) → checksum. */
class FfmpegRoundTripTest {
    static final int FRAMES = 8;

    @TempDir
    static Path dir;

    static Path encode(String file, String codec, int w, int h, PixelFormat f, int frames) throws Exception {
        Path p = dir.resolve(file);
        var c = new MediaCounters(frames);
        try (Source src = TestSource.open(SourceOptions.defaults().withSize(w, h).withFormat(f).withFps(25));
             Sink sink = new FfmpegSink(p.toString(), codec, c)) {
            var r = Pipeline.run(src, List.of(sink), Pipeline.Options.defaults(), c, null);
            assertTrue(r.ok(), () -> "encode failed: " + r.sourceError() + " " + r.sinkErrors());
            assertEquals(r.poolFrames(), r.slotsBack(), "every slot back after encoding");
            assertEquals(0, c.copies.sum(), "the encoder reads the pool buffers in place");
        }
        assertTrue(Files.size(p) > 0);
        return p;
    }

    static ChecksumSink decode(Path p, MediaCounters c) throws Exception {
        ChecksumSink sum = new ChecksumSink(c);
        try (FfmpegSource src = new FfmpegSource(p.toString()); sum) {
            assertTrue(src.decodesIntoPool());
            var r = Pipeline.run(src, List.of(sum), Pipeline.Options.defaults(), c, null);
            assertTrue(r.ok(), () -> "decode failed: " + r.sourceError() + " " + r.sinkErrors());
            assertEquals(r.poolFrames(), r.slotsBack(), "every slot back after decoding");
        }
        return sum;
    }

    /** FFV1 is lossless: every picture is bit-exact with the pattern, at sizes with odd strides. */
    @ParameterizedTest
    @CsvSource({"64,48,I420", "98,66,I420", "130,34,GRAY8", "320,240,NV12"})
    void ffv1IsBitExactThroughThePool(int w, int h, PixelFormat f) throws Exception {
        Assumptions.assumeTrue(f != PixelFormat.NV12 || FfmpegSink.hasEncoder("ffv1"));
        Path p;
        try {
            p = encode("ffv1-" + w + "x" + h + "-" + f + ".mkv", "ffv1", w, h, f, FRAMES);
        } catch (AssertionError e) {
            if (f == PixelFormat.NV12) {
                Assumptions.abort("FFV1 in this build does not take nv12: " + e.getMessage());
            }
            throw e;
        }
        var c = new MediaCounters();
        ChecksumSink sum = decode(p, c);
        assertEquals(FRAMES, sum.frames());
        assertEquals(FRAMES, sum.patternMatches(), sum::summary);
        assertEquals(0, sum.missing());
        assertEquals(0, c.copies.sum(), "decoded into pool buffers: no copy");
    }

    /** H.264 is lossy: every picture arrives, in the pool, numbered, with no copy. */
    @Test
    void h264DecodesIntoThePool() throws Exception {
        Assumptions.assumeTrue(FfmpegSink.hasEncoder("libx264"), "no libx264 in this FFmpeg build");
        Path p = encode("h264.mp4", "libx264", 96, 64, PixelFormat.I420, 12);
        var c = new MediaCounters();
        ChecksumSink sum = decode(p, c);
        assertEquals(12, sum.frames());
        assertEquals(0, sum.missing());
        assertEquals(0, c.copies.sum());
    }

    @Test
    void corruptFileGivesAClearErrorAndEverySlotBack() throws Exception {
        Path p = encode("corrupt.mkv", "ffv1", 64, 48, PixelFormat.I420, FRAMES);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(40);
        }
        MediaException e = assertThrows(MediaException.class, () -> new FfmpegSource(p.toString()));
        assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
        Path q = dir.resolve("not-video.mkv");
        Files.writeString(q, "this is not a video file at all");
        assertThrows(MediaException.class, () -> new FfmpegSource(q.toString()));
    }

    @Test
    void truncatedFileDecodesWhatIsThereAndGivesEverySlotBack() throws Exception {
        Path p = encode("trunc.mkv", "ffv1", 64, 48, PixelFormat.I420, FRAMES);
        long size = Files.size(p);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(size * 2 / 3);
        }
        var c = new MediaCounters();
        ChecksumSink sum = new ChecksumSink(c);
        try (FfmpegSource src = new FfmpegSource(p.toString()); sum) {
            var r = Pipeline.run(src, List.of(sum), Pipeline.Options.defaults(), c, null);
            assertEquals(r.poolFrames(), r.slotsBack(), "every slot back");
            assertTrue(sum.frames() < FRAMES, "fewer pictures than were written");
            assertEquals(0, sum.patternMismatches(), "what was decoded is right");
        }
    }
}
