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
    @CsvSource({"64,48,I420", "98,66,I420", "130,34,GRAY8", "66,38,GRAY16", "320,240,I420"})
    void ffv1IsBitExactThroughThePool(int w, int h, PixelFormat f) throws Exception {
        Path p = encode("ffv1-" + w + "x" + h + "-" + f + ".mkv", "ffv1", w, h, f, FRAMES);
        var c = new MediaCounters();
        ChecksumSink sum = decode(p, c);
        assertEquals(FRAMES, sum.frames());
        assertEquals(FRAMES, sum.patternMatches(), sum::summary);
        assertEquals(0, sum.missing());
        assertEquals(0, c.copies.sum(), "decoded into pool buffers: no copy");
    }

    /**
     * Which FFmpeg build this module's tests run against: "lgpl" in vbuf-ffmpeg, "gpl" in
     * vbuf-ffmpeg-gpl (set by each module's surefire configuration).
     */
    static boolean gplNatives() {
        String natives = System.getProperty("vbuf.ffmpeg.natives");
        assertNotNull(natives, "surefire sets vbuf.ffmpeg.natives to lgpl or gpl");
        assertTrue(natives.equals("lgpl") || natives.equals("gpl"), natives);
        return natives.equals("gpl");
    }

    /** The natives on the class path are the build the module promises: libx264 only in the GPL one, OpenH264 in both. */
    @Test
    void nativeBuildIsTheOneThisModuleShips() {
        assertEquals(gplNatives(), FfmpegSink.hasEncoder("libx264"), "libx264 is present exactly in the GPL build");
        assertTrue(FfmpegSink.hasEncoder("libopenh264"), "both builds encode H.264 through OpenH264");
        assertTrue(FfmpegSink.hasEncoder("ffv1"));
        // .mp4 with no codec named: libx264 where the GPL build is present, else OpenH264
        var c = new MediaCounters(1);
        try (FfmpegSink s = new FfmpegSink(dir.resolve("default.mp4").toString(), null, c)) {
            assertTrue(s.summary().contains(gplNatives() ? "libx264" : "libopenh264"), s.summary());
        }
    }

    /** H.264 encoders of the build under test: OpenH264 (I420 only) always, libx264 (I420, NV12) in the GPL build. */
    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> h264Cases() {
        var l = new java.util.ArrayList<org.junit.jupiter.params.provider.Arguments>();
        l.add(org.junit.jupiter.params.provider.Arguments.of("libopenh264", 96, 64, PixelFormat.I420));
        l.add(org.junit.jupiter.params.provider.Arguments.of("libopenh264", 130, 66, PixelFormat.I420));
        if (gplNatives()) {
            l.add(org.junit.jupiter.params.provider.Arguments.of("libx264", 96, 64, PixelFormat.I420));
            l.add(org.junit.jupiter.params.provider.Arguments.of("libx264", 130, 66, PixelFormat.NV12));
        }
        return l.stream();
    }

    /** H.264 is lossy: every picture arrives, in the pool, numbered, with no copy (odd strides). */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("h264Cases")
    void h264DecodesIntoThePool(String codec, int w, int h, PixelFormat f) throws Exception {
        Path p = encode("h264-" + codec + "-" + w + "-" + f + ".mp4", codec, w, h, f, 12);
        var c = new MediaCounters();
        ChecksumSink sum = decode(p, c);
        assertEquals(12, sum.frames());
        assertEquals(0, sum.missing());
        assertEquals(0, c.copies.sum());
        // lossy, but close: a plane at a wrong offset or stride would be off by tens of levels. The
        // H.264 decoder gives yuv420p whatever went in; NV12's chroma pattern is laid out differently
        // from I420's, so for NV12 only the luma plane (the same in both) is compared.
        try (FfmpegSource probe = new FfmpegSource(p.toString())) {
            assertEquals(PixelFormat.I420, probe.info().layout().format());
        }
        Closeness close = new Closeness(f != PixelFormat.I420);
        try (FfmpegSource src = new FfmpegSource(p.toString()); close) {
            var r = Pipeline.run(src, List.of(close), Pipeline.Options.defaults(), new MediaCounters(), null);
            assertTrue(r.ok(), () -> r.sourceError() + " " + r.sinkErrors());
        }
        assertEquals(12, close.frames);
        assertTrue(close.worst < 4.0, codec + ": mean absolute difference from the pattern per picture, worst " + close.worst);
    }

    /** Mean absolute difference of each decoded picture's visible samples from the pattern for its pts. */
    static final class Closeness implements Sink {
        dev.vbuf.media.Geometry g;
        dev.vbuf.format.TestPattern pattern;
        java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared();
        java.lang.foreign.MemorySegment expected;
        double worst;
        int frames;
        final boolean lumaOnly;

        Closeness(boolean lumaOnly) {
            this.lumaOnly = lumaOnly;
        }

        @Override public void open(dev.vbuf.media.StreamInfo info) {
            g = dev.vbuf.media.Geometry.of(info);
            pattern = new dev.vbuf.format.TestPattern(g.packed());
            expected = arena.allocate(g.packed().frameBytes());
        }

        @Override public void accept(dev.vbuf.pool.Frame f) {
            try {
                pattern.write(expected, f.pts());
                var buf = f.segment();
                long at = 0;
                for (int pl = 0; pl < g.planes(); pl++) {
                    long sum = 0, n = 0;
                    for (int r = 0; r < g.rows(pl); r++) {
                        long row = g.offset(pl) + (long) r * g.stride(pl);
                        for (int x = 0; x < g.rowBytes(pl); x++) {
                            int a = buf.get(java.lang.foreign.ValueLayout.JAVA_BYTE, row + x) & 0xff;
                            int b = expected.get(java.lang.foreign.ValueLayout.JAVA_BYTE, at++) & 0xff;
                            // the 16-byte stamp is noise to a lossy codec: skip the first 16 bytes of each plane
                            if (r == 0 && x < 16) continue;
                            sum += Math.abs(a - b);
                            n++;
                        }
                    }
                    worst = Math.max(worst, (double) sum / n);
                    if (lumaOnly) break;
                }
                frames++;
            } finally {
                f.release();
            }
        }

        @Override public void finish() {}
        @Override public String summary() { return "closeness"; }
        @Override public void close() { if (pattern != null) pattern.close(); arena.close(); }
    }

    @Test
    void loopSeeksBackAndRestartsThePictureNumbers() throws Exception {
        Path p = encode("loop.mkv", "ffv1", 64, 48, PixelFormat.I420, 5);
        var c = new MediaCounters(13);
        ChecksumSink sum = new ChecksumSink(c);
        try (FfmpegSource src = new FfmpegSource(p.toString(), true); sum) {
            var r = Pipeline.run(src, List.of(sum), Pipeline.Options.defaults(), c, null);
            assertTrue(r.ok(), () -> r.sourceError() + " " + r.sinkErrors());
            assertEquals(r.poolFrames(), r.slotsBack());
        }
        assertEquals(13, sum.frames());
        assertEquals(13, sum.patternMatches(), sum::summary);
        assertEquals(8, sum.duplicates());
    }

    @Test
    void encoderRefusingTheFormatSaysWhich() {
        var c = new MediaCounters(2);
        Path p = dir.resolve("nv12.mkv");
        try (Source src = TestSource.open(SourceOptions.defaults().withSize(64, 48).withFormat(PixelFormat.NV12));
             Sink sink = new FfmpegSink(p.toString(), "ffv1", c)) {
            // the sink is opened before the pool is built and before the first picture
            var e = assertThrows(Pipeline.OpenException.class,
                    () -> Pipeline.run(src, List.of(sink), Pipeline.Options.defaults(), c, null));
            String m = e.getMessage();
            assertTrue(m.contains("ffv1") && m.contains("nv12") && m.contains(p.toString()), m);
            assertEquals(0, c.frames.sum(), "nothing was produced");
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Checked when the output is opened, before the first frame: an unknown extension, a missing directory. */
    @Test
    void badOutputNamesAreRefusedBeforeTheFirstFrame() throws Exception {
        var provider = new FfmpegSinkProvider();
        String bogus = dir.resolve("x.bogusext").toString();
        var e = assertThrows(java.io.IOException.class, () -> provider.open(bogus, new MediaCounters()));
        assertTrue(e.getMessage().contains(bogus) && e.getMessage().contains(".mkv"), e.getMessage());
        var missing = assertThrows(java.nio.file.NoSuchFileException.class,
                () -> provider.open("/nonexistent-vbuf-dir/x.mp4", new MediaCounters()));
        assertTrue(missing.getMessage().contains("/nonexistent-vbuf-dir/x.mp4")
                && missing.getMessage().contains("does not exist"), missing.getMessage());
        // the sink itself, opened on such a name anyway: a clear error, and close() after it is quiet
        try (Source src = TestSource.open(SourceOptions.defaults().withSize(64, 48))) {
            FfmpegSink sink = new FfmpegSink(bogus, null, new MediaCounters(1));
            var open = assertThrows(java.io.IOException.class, () -> sink.open(src.info()));
            assertTrue(open.getMessage().contains(bogus), open.getMessage());
            assertTrue(sink.summary().contains(bogus), sink.summary());
            sink.close();
        }
    }

    /** Asking for libx264 where the LGPL build is loaded says where it is. */
    @Test
    void missingEncoderSaysWhichArtifactHasIt() throws Exception {
        if (gplNatives()) {
            assertTrue(FfmpegSink.hasEncoder("libx264"));
            return;
        }
        try (Source src = TestSource.open(SourceOptions.defaults().withSize(64, 48));
             FfmpegSink sink = new FfmpegSink(dir.resolve("x264.mp4").toString(), "libx264", new MediaCounters(1))) {
            var e = assertThrows(java.io.IOException.class, () -> sink.open(src.info()));
            assertTrue(e.getMessage().contains("libx264") && e.getMessage().contains("vbuf-ffmpeg-gpl"), e.getMessage());
        }
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
    void truncatedFileAllowedDecodesWhatIsThereAndGivesEverySlotBack() throws Exception {
        Path p = encode("trunc.mkv", "ffv1", 64, 48, PixelFormat.I420, FRAMES);
        long size = Files.size(p);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(size * 2 / 3);
        }
        var c = new MediaCounters();
        ChecksumSink sum = new ChecksumSink(c);
        try (FfmpegSource src = new FfmpegSource(p.toString()).allowTruncated(true); sum) {
            var r = Pipeline.run(src, List.of(sum), Pipeline.Options.defaults(), c, null);
            assertTrue(r.ok(), () -> String.valueOf(r.sourceError()));
            assertEquals(r.poolFrames(), r.slotsBack(), "every slot back");
            assertTrue(sum.frames() < FRAMES, "fewer pictures than were written");
            assertEquals(0, sum.patternMismatches(), "what was decoded is right");
            assertEquals(1, c.warnings.sum(), "allowed: a counted warning");
        }
    }
}
