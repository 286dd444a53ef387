package dev.vbuf.media.ffmpeg;

import dev.vbuf.media.Media;
import dev.vbuf.media.MediaCounters;
import dev.vbuf.media.Pipeline;
import dev.vbuf.media.Source;
import dev.vbuf.media.SourceOptions;
import dev.vbuf.media.file.FileSink;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.bytedeco.ffmpeg.global.avformat.*;
import static org.bytedeco.ffmpeg.global.avutil.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A Y4M written by vbuf keeps what the source said about its chroma siting and colour range:
 * clips made by FFmpeg's own program (FFV1 in Matroska, which stores both) are decoded through
 * the pool into Y4M; the header carries {@code C420jpeg} / {@code C420mpeg2} / {@code C420paldv}
 * (4:2:0, 8-bit: the tags Y4M has for siting) and {@code XCOLORRANGE=FULL|LIMITED} (every format,
 * 10-bit included); FFmpeg reading the Y4M back finds the clip's colour range (and, for 8-bit
 * 4:2:0, its siting); and vbuf reading its own Y4M and writing it again gives the same header
 * and the same bytes (the round trip).
 */
class Y4mSitingTest {
    @TempDir
    static Path dir;

    @ParameterizedTest(name = "{0} siting {1} range {2}")
    @CsvSource({
            "yuv420p,     left,    tv, C420mpeg2, LIMITED",
            "yuv420p,     center,  pc, C420jpeg,  FULL",
            "yuv420p,     topleft, tv, C420paldv, LIMITED",
            "yuv420p10le, left,    pc, C420p10,   FULL",
            "yuv422p,     left,    tv, C422,      LIMITED",
            "yuv444p10le, center,  tv, C444p10,   LIMITED",
    })
    void y4mCarriesTheSourcesSitingAndRange(String pixFmt, String siting, String range, String chromaTag, String rangeTag)
            throws Exception {
        Av.init();
        String ffmpeg = org.bytedeco.javacpp.Loader.load(org.bytedeco.ffmpeg.ffmpeg.class);
        String stem = pixFmt + "-" + siting + "-" + range;
        Path clip = dir.resolve(stem + ".mkv");
        TruncationMatrixTest.run(List.of(ffmpeg, "-hide_banner", "-v", "error", "-f", "lavfi", "-i",
                "testsrc2=size=96x64:rate=25", "-frames:v", "3", "-pix_fmt", pixFmt, "-color_range", range,
                "-chroma_sample_location", siting, "-c:v", "ffv1", "-y", clip.toString()), true);
        int[] source = rangeAndSiting(clip);
        assertEquals(range.equals("pc") ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG, source[0], "the clip says its range");

        Path out = dir.resolve(stem + ".y4m");
        write(clip, out);
        String header = header(out);
        assertTrue(header.contains(" " + chromaTag + " ") || header.endsWith(" " + chromaTag), header);
        assertTrue(header.contains(" XCOLORRANGE=" + rangeTag), header);

        int[] back = rangeAndSiting(out);
        assertEquals(source[0], back[0], "FFmpeg reads the clip's colour range back from vbuf's Y4M: " + header);
        if (pixFmt.equals("yuv420p")) assertEquals(source[1], back[1], "and its chroma siting: " + header);

        // vbuf's Y4M through vbuf again: the same header, the same bytes
        Path again = dir.resolve(stem + ".again.y4m");
        write(out, again);
        assertEquals(header, header(again));
        assertArrayEquals(Files.readAllBytes(out), Files.readAllBytes(again));
    }

    static void write(Path in, Path out) throws Exception {
        var c = new MediaCounters();
        try (Source src = Media.openSource(in.toString(), SourceOptions.defaults()); FileSink sink = new FileSink(out.toString(), c)) {
            var r = Pipeline.run(src, List.of(sink), Pipeline.Options.defaults(), c, null);
            assertTrue(r.ok(), () -> r.sourceError() + " " + r.sinkErrors());
            assertEquals(r.poolFrames(), r.slotsBack());
        }
    }

    static String header(Path y4m) throws Exception {
        byte[] b = Files.readAllBytes(y4m);
        int nl = 0;
        while (b[nl] != '\n') nl++;
        return new String(b, 0, nl, StandardCharsets.US_ASCII);
    }

    /** {color_range, chroma_location} of a file's video stream as FFmpeg reads them. */
    static int[] rangeAndSiting(Path p) {
        AVFormatContext fmt = new AVFormatContext(null);
        assertTrue(avformat_open_input(fmt, p.toString(), null, (AVDictionary) null) >= 0, p.toString());
        try {
            avformat_find_stream_info(fmt, (AVDictionary) null);
            int si = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, (AVCodec) null, 0);
            AVCodecParameters par = fmt.streams(si).codecpar();
            return new int[]{par.color_range(), par.chroma_location()};
        } finally {
            avformat_close_input(fmt);
        }
    }
}
