package dev.vbuf.media.ffmpeg;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.media.Geometry;
import dev.vbuf.media.MediaCounters;
import dev.vbuf.media.MediaException;
import dev.vbuf.media.Pipeline;
import dev.vbuf.media.Sink;
import dev.vbuf.media.Source;
import dev.vbuf.media.SourceOptions;
import dev.vbuf.media.StreamInfo;
import dev.vbuf.media.TestSource;
import dev.vbuf.media.file.FileSink;
import dev.vbuf.media.sink.ChecksumSink;
import dev.vbuf.pool.Frame;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.bytedeco.ffmpeg.global.avcodec.*;
import static org.bytedeco.ffmpeg.global.avformat.*;
import static org.bytedeco.ffmpeg.global.avutil.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Decoding in presentation order, bit-exact with FFmpeg's own decode: streams with B-frames
 * and several reference frames (MPEG-2, MPEG-4 part 2, VP9 with alt-ref frames, libx264 with
 * B-pyramid and open GOP in the GPL build) are encoded here from the test pattern, whose
 * pictures carry their number, then decoded through the pool. Picture n of the output is
 * picture n of the input (its pts, and the pattern it is closest to), and every picture's MD5
 * equals the MD5 of the same picture decoded by FFmpeg into its own buffers, in the same order.
 */
class DecodeOrderTest {
    static final int FRAMES = 30;

    @TempDir
    static Path dir;

    /** codec, container, encoder options, whether the packets come out of presentation order, pixel format. */
    static Stream<Arguments> reordering() {
        var l = new ArrayList<Arguments>();
        l.add(Arguments.of("mpeg2video", "ts", Map.of("bf", "2", "g", "12"), true, PixelFormat.I420));
        l.add(Arguments.of("mpeg4", "mkv", Map.of("bf", "3", "g", "15"), true, PixelFormat.I420));
        l.add(Arguments.of("libvpx-vp9", "webm", Map.of("auto-alt-ref", "1", "lag-in-frames", "16", "deadline", "realtime",
                "cpu-used", "8", "g", "30"), false, PixelFormat.I420));
        // AV1 (libaom, in both builds): hidden reference frames, decoded by the build's libaom decoder
        l.add(Arguments.of("libaom-av1", "mkv", Map.of("cpu-used", "8", "lag-in-frames", "10", "g", "30"), false,
                PixelFormat.I420));
        if (FfmpegRoundTripTest.gplNatives()) {
            l.add(Arguments.of("libx264", "mp4", Map.of("bf", "3", "refs", "4", "g", "15",
                    "x264-params", "open-gop=1:b-pyramid=normal"), true, PixelFormat.I420));
            l.add(Arguments.of("libx264", "mkv", Map.of("bf", "3", "refs", "4", "g", "10"), true, PixelFormat.I420));
            // HEVC 8- and 10-bit: the GPL build carries libx265
            l.add(Arguments.of("libx265", "mkv", Map.of("preset", "ultrafast", "x265-params", "bframes=3:log-level=error"),
                    true, PixelFormat.I420));
            l.add(Arguments.of("libx265", "mp4", Map.of("preset", "ultrafast", "x265-params", "bframes=3:log-level=error"),
                    true, PixelFormat.I010));
        }
        return l.stream();
    }

    static Path encode(String file, String codec, Map<String, String> options, int w, int h, PixelFormat f, int frames)
            throws Exception {
        Path p = dir.resolve(file);
        var c = new MediaCounters(frames);
        try (Source src = TestSource.open(SourceOptions.defaults().withSize(w, h).withFormat(f).withFps(25));
             Sink sink = new FfmpegSink(p.toString(), codec, options, c)) {
            var r = Pipeline.run(src, List.of(sink), Pipeline.Options.defaults(), c, null);
            assertTrue(r.ok(), () -> "encode failed: " + r.sourceError() + " " + r.sinkErrors());
        }
        return p;
    }

    @ParameterizedTest(name = "{0} {4} in {1}")
    @MethodSource("reordering")
    void picturesComeOutInPresentationOrderBitExactWithFfmpeg(String codec, String container, Map<String, String> options,
                                                              boolean packetsReordered, PixelFormat format) throws Exception {
        Assumptions.assumeTrue(FfmpegSink.hasEncoder(codec), codec + " is not in this FFmpeg build");
        Path p = encode("order-" + codec + "-" + format + "." + container, codec, options, 176, 144, format, FRAMES);
        Reference ref = Reference.decode(p);
        assertEquals(FRAMES, ref.md5s.size(), "FFmpeg's own decode");
        if (packetsReordered) {
            assertTrue(ref.packetsOutOfOrder > 0, "the stream has B-frames: packets in decode order differ from picture order");
        }

        var c = new MediaCounters();
        Md5Sink md5 = new Md5Sink();
        FfmpegRoundTripTest.Closeness close = new FfmpegRoundTripTest.Closeness(false);
        try (FfmpegSource src = new FfmpegSource(p.toString())) {
            assertTrue(src.decodesIntoPool());
            var r = Pipeline.run(src, List.of(md5, close), Pipeline.Options.defaults(), c, null);
            assertTrue(r.ok(), () -> r.sourceError() + " " + r.sinkErrors());
            assertEquals(r.poolFrames(), r.slotsBack(), "every slot back: consumers released and the decoder dropped its references");
            assertEquals(0, r.pool().references(), "no decoder reference left");
        }
        List<Long> expectedPts = new ArrayList<>();
        for (long n = 0; n < FRAMES; n++) expectedPts.add(n);
        assertEquals(expectedPts, md5.pts, "picture n of the output is picture n of the input");
        assertEquals(ref.md5s, md5.md5s, "every picture bit-exact with FFmpeg's own decode, in its order");
        assertEquals(0, c.copies.sum(), "decoded into the pool: no copy");
        assertEquals(FRAMES, close.frames);
        // (the closeness is byte-wise: it means something for 8-bit samples only)
        if (format == PixelFormat.I420) assertTrue(close.worst < 6.0, codec + ": each picture is near the pattern of its number (worst mean difference "
                + close.worst + ")");
    }

    /** The decode of the same stream through the pool into a Y4M file has the pictures in order, bit-exact. */
    @Test
    void y4mOutputIsInPresentationOrder() throws Exception {
        Path p = encode("y4m-order.ts", "mpeg2video", Map.of("bf", "2", "g", "12"), 176, 144, PixelFormat.I420, FRAMES);
        Reference ref = Reference.decode(p);
        Path out = dir.resolve("y4m-order.y4m");
        var c = new MediaCounters();
        try (FfmpegSource src = new FfmpegSource(p.toString()); FileSink sink = new FileSink(out.toString(), c)) {
            var r = Pipeline.run(src, List.of(sink), Pipeline.Options.defaults(), c, null);
            assertTrue(r.ok(), () -> r.sourceError() + " " + r.sinkErrors());
        }
        Reference back = Reference.decode(out);
        assertEquals(ref.md5s, back.md5s, "ffmpeg -i out.y4m -f framemd5 equals ffmpeg -i FILE -f framemd5");
    }

    /** Each new format: encoded from pool buffers with FFV1, decoded back into pool buffers, bit-exact with the pattern. */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(value = PixelFormat.class, names = {"I422", "I444", "I010", "I210", "I410"})
    void newFormatsAreBitExactThroughFfv1(PixelFormat f) throws Exception {
        Path p = encode("fmt-" + f + ".mkv", "ffv1", Map.of(), 98, 66, f, 8);
        var c = new MediaCounters();
        ChecksumSink sum = new ChecksumSink(c);
        try (FfmpegSource src = new FfmpegSource(p.toString()); sum) {
            assertEquals(f, src.info().layout().format());
            var r = Pipeline.run(src, List.of(sum), Pipeline.Options.defaults(), c, null);
            assertTrue(r.ok(), () -> r.sourceError() + " " + r.sinkErrors());
            assertEquals(r.poolFrames(), r.slotsBack());
        }
        assertEquals(8, sum.frames());
        assertEquals(8, sum.patternMatches(), sum::summary);
        assertEquals(0, c.copies.sum());
        // and through Y4M: FFmpeg's own decode of the vbuf-written file equals its decode of the mkv
        Path out = dir.resolve("fmt-" + f + ".y4m");
        try (FfmpegSource src = new FfmpegSource(p.toString()); FileSink sink = new FileSink(out.toString(), new MediaCounters())) {
            var r = Pipeline.run(src, List.of(sink), Pipeline.Options.defaults(), new MediaCounters(), null);
            assertTrue(r.ok(), () -> r.sourceError() + " " + r.sinkErrors());
        }
        assertEquals(Reference.decode(p).md5s, Reference.decode(out).md5s);
    }

    /** A format vbuf lacks is refused with the format to convert to. */
    @Test
    void aFormatVbufLacksSaysWhatToConvertTo() throws Exception {
        // FFV1 in yuv420p12le, written by FFmpeg without vbuf (no vbuf format holds it)
        Path p = dir.resolve("p12.mkv");
        Reference.encodeGray12(p);
        var e = assertThrows(MediaException.class, () -> new FfmpegSource(p.toString()));
        assertTrue(e.getMessage().contains("gray12le") && e.getMessage().contains("-pix_fmt gray16le"), e.getMessage());
    }

    // ---------------------------------------------------------------------------------------
    // Truncation
    // ---------------------------------------------------------------------------------------

    /** The same clip cut at several places: an error naming the file (or, allowed, a warning); every slot back. */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(doubles = {0.01, 0.1, 0.3, 0.5, 0.62, 0.8, 0.9, 0.95})
    void aCutFileIsAnError(double keep) throws Exception {
        Path whole = encode("cut-src.mkv", "ffv1", Map.of(), 64, 48, PixelFormat.I420, FRAMES);
        Path p = dir.resolve("cut-" + keep + ".mkv");
        Files.copy(whole, p, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength((long) (Files.size(whole) * keep));
        }
        try {
            new FfmpegSource(p.toString()).close();
        } catch (MediaException e) { // inside the header: refused at open, naming the file
            assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
            return;
        }
        var c = new MediaCounters();
        ChecksumSink sum = new ChecksumSink(c);
        try (FfmpegSource src = new FfmpegSource(p.toString()); sum) {
            assertEquals(FRAMES, src.expectedPictures(), "the container says how many pictures it has");
            var r = Pipeline.run(src, List.of(sum), Pipeline.Options.defaults(), c, null);
            assertEquals(r.poolFrames(), r.slotsBack(), "every slot back");
            assertInstanceOf(MediaException.class, r.sourceError(), "a cut file is an error, not OK");
            String m = r.sourceError().getMessage();
            assertTrue(m.contains(p.toString()) && m.contains("of " + FRAMES + " expected") && m.contains("last good")
                    && m.contains("--allow-truncated"), m);
            assertTrue(sum.frames() < FRAMES);
            assertEquals(0, sum.patternMismatches(), "what was decoded is right");
        }
        // allowed: a counted warning, and exactly the pictures FFmpeg's own decode gives
        Reference ffmpeg = Reference.decode(p);
        var c2 = new MediaCounters();
        Md5Sink md5 = new Md5Sink();
        try (FfmpegSource src = new FfmpegSource(p.toString()).allowTruncated(true)) {
            var r = Pipeline.run(src, List.of(md5), Pipeline.Options.defaults(), c2, null);
            assertTrue(r.ok(), () -> String.valueOf(r.sourceError()));
            assertEquals(r.poolFrames(), r.slotsBack());
            assertNotNull(src.truncation());
        }
        assertEquals(1, c2.warnings.sum());
        assertTrue(c2.firstWarning().contains(p.toString()), c2.firstWarning());
        assertEquals(ffmpeg.md5s, md5.md5s, "the pictures FFmpeg's own decode gives");
    }

    @Test
    void aWholeFileIsNoTruncation() throws Exception {
        Path p = encode("whole.mkv", "ffv1", Map.of(), 64, 48, PixelFormat.I420, FRAMES);
        var c = new MediaCounters();
        ChecksumSink sum = new ChecksumSink(c);
        try (FfmpegSource src = new FfmpegSource(p.toString()); sum) {
            var r = Pipeline.run(src, List.of(sum), Pipeline.Options.defaults(), c, null);
            assertTrue(r.ok(), () -> String.valueOf(r.sourceError()));
            assertNull(src.truncation());
        }
        assertEquals(FRAMES, sum.patternMatches());
        assertEquals(0, c.warnings.sum());
    }

    // ---------------------------------------------------------------------------------------
    // Helpers
    // ---------------------------------------------------------------------------------------

    /** MD5 of each picture's visible rows, and its pts, in arrival order. */
    static final class Md5Sink implements Sink {
        final List<String> md5s = new ArrayList<>();
        final List<Long> pts = new ArrayList<>();
        Geometry g;

        @Override public void open(StreamInfo info) { g = Geometry.of(info); }

        @Override public void accept(Frame f) {
            try {
                MessageDigest md = MessageDigest.getInstance("MD5");
                MemorySegment buf = f.segment();
                for (int p = 0; p < g.planes(); p++) {
                    for (int r = 0; r < g.rows(p); r++) {
                        md.update(buf.asSlice(g.offset(p) + (long) r * g.stride(p), g.rowBytes(p)).asByteBuffer());
                    }
                }
                md5s.add(HexFormat.of().formatHex(md.digest()));
                pts.add(f.pts());
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new AssertionError(e);
            } finally {
                f.release();
            }
        }

        @Override public void finish() {}
        @Override public String summary() { return md5s.size() + " MD5s"; }
        @Override public void close() {}
    }

    /** FFmpeg decoding a file into its own buffers (its default get_buffer2): what `ffmpeg -f framemd5` sees. */
    static final class Reference {
        final List<String> md5s = new ArrayList<>();
        int packetsOutOfOrder;

        static Reference decode(Path file) throws Exception {
            Av.init();
            Reference ref = new Reference();
            AVFormatContext fmt = new AVFormatContext(null);
            assertTrue(avformat_open_input(fmt, file.toString(), null, (AVDictionary) null) >= 0, file.toString());
            try {
                avformat_find_stream_info(fmt, (AVDictionary) null);
                int si = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, (AVCodec) null, 0);
                AVCodec codec = avcodec_find_decoder(fmt.streams(si).codecpar().codec_id());
                AVCodecContext ctx = avcodec_alloc_context3(codec);
                avcodec_parameters_to_context(ctx, fmt.streams(si).codecpar());
                ctx.thread_count(1);
                assertTrue(avcodec_open2(ctx, codec, (AVDictionary) null) >= 0);
                AVPacket pkt = av_packet_alloc();
                AVFrame frame = av_frame_alloc();
                long lastPts = Long.MIN_VALUE;
                boolean eof = false;
                while (true) {
                    if (!eof) {
                        int r = av_read_frame(fmt, pkt);
                        if (r < 0) {
                            eof = true;
                            avcodec_send_packet(ctx, null);
                        } else {
                            if (pkt.stream_index() == si) {
                                if (pkt.pts() != AV_NOPTS_VALUE) {
                                    if (pkt.pts() < lastPts) ref.packetsOutOfOrder++;
                                    lastPts = pkt.pts();
                                }
                                avcodec_send_packet(ctx, pkt); // errors: as ffmpeg, go on with the next packet
                            }
                            av_packet_unref(pkt);
                        }
                    }
                    while (true) {
                        int r = avcodec_receive_frame(ctx, frame);
                        if (r < 0) break;
                        ref.md5s.add(md5(frame));
                        av_frame_unref(frame);
                    }
                    if (eof && avcodec_receive_frame(ctx, frame) == AVERROR_EOF()) break;
                }
                av_frame_free(frame);
                av_packet_free(pkt);
                avcodec_free_context(ctx);
            } finally {
                avformat_close_input(fmt);
            }
            return ref;
        }

        static String md5(AVFrame frame) throws Exception {
            PixelFormat f = Av.fromAv(frame.format());
            assertNotNull(f, Av.name(frame.format()));
            FrameLayout packed = FrameLayout.of(f, frame.width(), frame.height(), 1);
            MessageDigest md = MessageDigest.getInstance("MD5");
            for (int p = 0; p < packed.planeCount(); p++) {
                long data = Av.plane(frame.address(), p);
                int ls = Av.linesize(frame.address(), p);
                var plane = packed.plane(p);
                MemorySegment s = MemorySegment.ofAddress(data).reinterpret((long) ls * plane.rows());
                for (int r = 0; r < plane.rows(); r++) {
                    md.update(s.asSlice((long) r * ls, plane.rowBytes()).asByteBuffer());
                }
            }
            return HexFormat.of().formatHex(md.digest());
        }

        /** A small FFV1 gray12le file, made by FFmpeg alone (vbuf has no 12-bit format). */
        static void encodeGray12(Path p) throws Exception {
            Av.init();
            AVFormatContext fmt = new AVFormatContext(null);
            assertTrue(avformat_alloc_output_context2(fmt, null, null, p.toString()) >= 0);
            AVCodec codec = avcodec_find_encoder_by_name("ffv1");
            AVCodecContext ctx = avcodec_alloc_context3(codec);
            ctx.width(32);
            ctx.height(16);
            ctx.pix_fmt(AV_PIX_FMT_GRAY12LE);
            ctx.time_base(av_make_q(1, 25));
            if ((fmt.oformat().flags() & AVFMT_GLOBALHEADER) != 0) ctx.flags(ctx.flags() | AV_CODEC_FLAG_GLOBAL_HEADER);
            assertTrue(avcodec_open2(ctx, codec, (AVDictionary) null) >= 0);
            var st = avformat_new_stream(fmt, null);
            avcodec_parameters_from_context(st.codecpar(), ctx);
            st.time_base(ctx.time_base());
            var io = new org.bytedeco.ffmpeg.avformat.AVIOContext(null);
            assertTrue(avio_open(io, p.toString(), AVIO_FLAG_WRITE) >= 0);
            fmt.pb(io);
            assertTrue(avformat_write_header(fmt, (AVDictionary) null) >= 0);
            AVFrame fr = av_frame_alloc();
            fr.format(AV_PIX_FMT_GRAY12LE);
            fr.width(32);
            fr.height(16);
            assertTrue(av_frame_get_buffer(fr, 0) >= 0);
            MemorySegment.ofAddress(Av.plane(fr.address(), 0)).reinterpret((long) Av.linesize(fr.address(), 0) * 16)
                    .fill((byte) 1);
            AVPacket pkt = av_packet_alloc();
            for (int i = 0; i < 2; i++) {
                fr.pts(i);
                avcodec_send_frame(ctx, fr);
                while (avcodec_receive_packet(ctx, pkt) >= 0) {
                    av_packet_rescale_ts(pkt, ctx.time_base(), st.time_base());
                    av_interleaved_write_frame(fmt, pkt);
                }
            }
            avcodec_send_frame(ctx, null);
            while (avcodec_receive_packet(ctx, pkt) >= 0) {
                av_packet_rescale_ts(pkt, ctx.time_base(), st.time_base());
                av_interleaved_write_frame(fmt, pkt);
            }
            av_write_trailer(fmt);
            av_packet_free(pkt);
            av_frame_free(fr);
            avcodec_free_context(ctx);
            avio_closep(fmt.pb());
            avformat_free_context(fmt);
        }
    }
}
