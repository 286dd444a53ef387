package dev.vbuf.media.file;

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
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** testsrc → Y4M / raw file → each reader → checksum, and the refusals of bad files. */
class Y4mRoundTripTest {
    static final int FRAMES = 12;

    @TempDir
    static Path dir;

    /** Writes testsrc at a size (odd multiples of 2 so that rows are not 64-byte multiples) and returns the file. */
    static Path write(String name, int w, int h, PixelFormat f, int frames) throws Exception {
        Path p = dir.resolve(name);
        var c = new MediaCounters(frames);
        SourceOptions o = SourceOptions.defaults().withSize(w, h).withFormat(f).withFps(30);
        try (Source src = TestSource.open(o); Sink sink = new FileSink(p.toString(), c)) {
            var r = Pipeline.run(src, List.of(sink), Pipeline.Options.defaults(), c, null);
            assertTrue(r.ok(), () -> "write failed: " + r.sourceError() + " " + r.sinkErrors());
            assertEquals(r.poolFrames(), r.slotsBack());
        }
        return p;
    }

    static ChecksumSink read(Path p, SourceOptions o, MediaCounters c) throws Exception {
        ChecksumSink sum = new ChecksumSink(c);
        try (Source src = new FileSource(VideoFile.open(p, o), o); sum) {
            var r = Pipeline.run(src, List.of(sum), Pipeline.Options.defaults(), c, null);
            assertTrue(r.ok(), () -> "read failed: " + r.sourceError() + " " + r.sinkErrors());
            assertEquals(r.poolFrames(), r.slotsBack(), "every slot back");
        }
        return sum;
    }

    @ParameterizedTest
    @ValueSource(strings = {"mmap", "direct", "io_uring"})
    void y4mRoundTripEveryReader(String reader) throws Exception {
        Path p = write("rt-" + reader + ".y4m", 98, 66, PixelFormat.I420, FRAMES);
        String head = Files.readString(p, StandardCharsets.ISO_8859_1).lines().findFirst().orElseThrow();
        assertEquals("YUV4MPEG2 W98 H66 F30:1 Ip A1:1 C420jpeg", head);
        var c = new MediaCounters();
        ChecksumSink sum = read(p, SourceOptions.defaults().withReader(reader).withThreads(reader.equals("mmap") ? 1 : 2), c);
        assertEquals(FRAMES, sum.frames());
        assertEquals(FRAMES, sum.patternMatches(), sum::summary);
        assertEquals(0, sum.patternMismatches());
        assertEquals(0, sum.missing());
        if (reader.equals("io_uring")) assertEquals(0, c.copies.sum(), "io_uring reads straight into the pool buffers");
        if (reader.equals("mmap")) assertEquals(FRAMES, c.copies.sum(), "the mmap reader copies once per picture, counted");
        // all readers see the same pictures
        ChecksumSink ref = read(p, SourceOptions.defaults(), new MediaCounters());
        assertEquals(ref.streamChecksum(), sum.streamChecksum());
    }

    /** The planar 4:2:2, 4:4:4 and 10-bit formats: the chroma tag FFmpeg writes, and every picture bit-exact back. */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"I422,C422", "I444,C444", "I010,C420p10", "I210,C422p10", "I410,C444p10"})
    void y4mCarriesThePlanarAndTenBitFormats(PixelFormat f, String tag) throws Exception {
        Path p = write("fmt-" + f + ".y4m", 98, 66, f, FRAMES);
        String head = Files.readString(p, StandardCharsets.ISO_8859_1).lines().findFirst().orElseThrow();
        assertEquals("YUV4MPEG2 W98 H66 F30:1 Ip A1:1 " + tag, head);
        var layout = dev.vbuf.format.FrameLayout.of(f, 98, 66, 1);
        assertEquals(head.length() + 1 + FRAMES * (6 + layout.frameBytes()), Files.size(p), "packed planes, no padding");
        for (String reader : new String[] {"mmap", "io_uring"}) {
            var c = new MediaCounters();
            ChecksumSink sum = read(p, SourceOptions.defaults().withReader(reader), c);
            assertEquals(FRAMES, sum.frames(), reader);
            assertEquals(FRAMES, sum.patternMatches(), () -> reader + ": " + sum.summary());
            assertEquals(0, sum.patternMismatches());
        }
        // raw: the same bytes without headers, read back with --format
        Path raw = write("fmt-" + f + ".yuv", 98, 66, f, FRAMES);
        assertEquals(FRAMES * layout.frameBytes(), Files.size(raw));
        ChecksumSink sum = read(raw, SourceOptions.defaults().withSize(98, 66).withFormat(f), new MediaCounters());
        assertEquals(FRAMES, sum.patternMatches(), sum::summary);
    }

    @Test
    void rawAlignedDirectIsZeroCopy() throws Exception {
        // 64x64 RGBA = 16384 bytes: every picture starts on a 4 KiB boundary
        Path p = write("aligned.rgba", 64, 64, PixelFormat.RGBA, FRAMES);
        assertEquals(FRAMES * 64L * 64 * 4, Files.size(p));
        var c = new MediaCounters();
        SourceOptions o = SourceOptions.defaults().withReader("direct").withSize(64, 64).withFormat(PixelFormat.RGBA);
        ChecksumSink sum = read(p, o, c);
        assertEquals(FRAMES, sum.patternMatches(), sum::summary);
        assertEquals(0, c.copies.sum());
    }

    @Test
    void loopRestartsAtPictureZero() throws Exception {
        Path p = write("loop.y4m", 32, 32, PixelFormat.I420, 5);
        var c = new MediaCounters(12);
        ChecksumSink sum = read(p, SourceOptions.defaults().withReader("io_uring").withLoop(true), c);
        assertEquals(12, sum.frames());
        assertEquals(12, sum.patternMatches());
        assertEquals(7, sum.duplicates());
    }

    @Test
    void truncatedLastPictureIsRefusedWithNumberAndOffset() throws Exception {
        Path p = write("trunc.y4m", 64, 48, PixelFormat.I420, 4);
        long size = Files.size(p);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(size - 100);
        }
        long header = Files.readString(p, StandardCharsets.ISO_8859_1).indexOf('\n') + 1;
        long pic = 64 * 48 * 3 / 2;
        long dataOf3 = header + 3 * (6 + pic) + 6;
        MediaException e = assertThrows(MediaException.class, () -> VideoFile.open(p, SourceOptions.defaults()));
        assertEquals(3, e.frame());
        assertEquals(dataOf3, e.offset());
        assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains("frame 3")
                && e.getMessage().contains("byte offset " + dataOf3) && e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void headerLyingAboutSizeIsRefused() throws Exception {
        Path p = write("lie.y4m", 64, 48, PixelFormat.I420, 3);
        String s = Files.readString(p, StandardCharsets.ISO_8859_1).replaceFirst("W64", "W66");
        Files.writeString(p, s, StandardCharsets.ISO_8859_1);
        MediaException e = assertThrows(MediaException.class, () -> VideoFile.open(p, SourceOptions.defaults()));
        assertEquals(1, e.frame(), e.getMessage());
        assertTrue(e.getMessage().contains("no FRAME marker"), e.getMessage());
    }

    @Test
    void unknownChromaTagIsRefused() throws Exception {
        Path p = dir.resolve("chroma.y4m");
        Files.writeString(p, "YUV4MPEG2 W16 H16 F25:1 C420weird\nFRAME\n" + "x".repeat(384), StandardCharsets.ISO_8859_1);
        MediaException e = assertThrows(MediaException.class, () -> VideoFile.open(p, SourceOptions.defaults()));
        assertTrue(e.getMessage().contains("unknown chroma tag C420weird") && e.getMessage().contains("byte offset 24"),
                e.getMessage());
        Path q = dir.resolve("c444p12.y4m");
        Files.writeString(q, "YUV4MPEG2 W16 H16 F25:1 C444p12\nFRAME\n" + "x".repeat(1536), StandardCharsets.ISO_8859_1);
        String m = assertThrows(MediaException.class, () -> VideoFile.open(q, SourceOptions.defaults())).getMessage();
        assertTrue(m.contains("C444p12 is valid Y4M but vbuf has no pixel format") && m.contains("-pix_fmt yuv444p10le"), m);
    }

    @Test
    void headerTagsKeptAsMetadata() throws Exception {
        Path p = dir.resolve("tags.y4m");
        Files.writeString(p, "YUV4MPEG2 W16 H16 F30000:1001 Ip A1:1 C420mpeg2 XCOLORRANGE=LIMITED XYSCSS=420MPEG2\nFRAME\n"
                + "x".repeat(384), StandardCharsets.ISO_8859_1);
        VideoFile v = VideoFile.open(p, SourceOptions.defaults());
        assertEquals(PixelFormat.I420, v.layout().format());
        assertEquals(29.97, v.fps(), 0.001);
        assertEquals("LIMITED", v.metadata().get("COLORRANGE"));
        assertEquals("420mpeg2", v.metadata().get("chroma"));
        assertEquals(1, v.frameCount());
    }

    @Test
    void fileShrinkingUnderTheReaderGivesEverySlotBack() throws Exception {
        Path p = write("shrink.y4m", 64, 48, PixelFormat.I420, 6);
        SourceOptions o = SourceOptions.defaults().withReader("io_uring");
        VideoFile v = VideoFile.open(p, o);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(v.offset(3) + 10);
        }
        var c = new MediaCounters();
        try (Source src = new FileSource(v, o); ChecksumSink sum = new ChecksumSink(c)) {
            var r = Pipeline.run(src, List.of(sum), Pipeline.Options.defaults(), c, null);
            assertNotNull(r.sourceError());
            assertInstanceOf(MediaException.class, r.sourceError());
            assertTrue(r.sourceError().getMessage().contains("frame 3"), r.sourceError().getMessage());
            assertEquals(r.poolFrames(), r.slotsBack(), "every slot back after the error");
        }
    }

}
