package dev.vbuf.media.ffmpeg;

import dev.vbuf.media.MediaCounters;
import dev.vbuf.media.MediaException;
import dev.vbuf.media.Pipeline;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.bytedeco.ffmpeg.global.avcodec.*;
import static org.bytedeco.ffmpeg.global.avformat.*;
import static org.bytedeco.ffmpeg.global.avutil.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * One clip (MPEG-2 with B-frames, made by FFmpeg's command-line tool) in mkv, mp4 (index first,
 * {@code +faststart}) and MPEG-TS, each cut at ten places: inside the header, inside the index,
 * between packets (four places) and inside a packet (four places). Each cut file is
 * <ul>
 *   <li>refused at open (header or index gone) with an error naming the file and its size, or</li>
 *   <li>an error after the pictures that decode, naming the file, the last good picture and the
 *       byte offset; and with truncation allowed a run that is OK with exactly one counted
 *       warning and exactly the pictures (MD5s, in order) that FFmpeg's own command-line tool
 *       decodes from the same cut file ({@code ffmpeg -i cut -f framemd5 -});</li>
 * </ul>
 * with every pool slot back either way. The one exception is an MPEG-TS cut on a transport
 * packet boundary between two pictures: that is a valid, shorter transport stream (TS has no
 * index and no frame count, and its duration is read from the cut file), so it is a clean run
 * of the pictures it holds, equal to FFmpeg's decode — asserted as such.
 *
 * <p>The reference is the {@code ffmpeg} program of the same FFmpeg build (org.bytedeco ships
 * it next to the libraries), so the test needs nothing installed.
 */
class TruncationMatrixTest {
    static final int FRAMES = 30;

    @TempDir
    static Path dir;
    static String ffmpeg;
    static final Map<String, Path> CLIPS = new LinkedHashMap<>();

    private static void makeClips() throws Exception {
        Av.init();
        ffmpeg = org.bytedeco.javacpp.Loader.load(org.bytedeco.ffmpeg.ffmpeg.class);
        for (String c : List.of("mkv", "mp4", "ts")) {
            Path p = dir.resolve("clip." + c);
            var cmd = new ArrayList<>(List.of(ffmpeg, "-hide_banner", "-v", "error", "-f", "lavfi", "-i",
                    "testsrc2=size=160x120:rate=25", "-frames:v", String.valueOf(FRAMES), "-pix_fmt", "yuv420p",
                    "-c:v", "mpeg2video", "-bf", "2", "-g", "12", "-q:v", "4"));
            if (c.equals("mp4")) cmd.addAll(List.of("-movflags", "+faststart"));
            cmd.addAll(List.of("-y", p.toString()));
            run(cmd, true);
            CLIPS.put(c, p);
        }
    }

    /** The ten cuts of each container: (container, what is cut, byte length kept). */
    static Stream<Arguments> cuts() throws Exception {
        makeClipsOnce();
        var l = new ArrayList<Arguments>();
        for (var e : CLIPS.entrySet()) {
            String c = e.getKey();
            Path p = e.getValue();
            long size = Files.size(p);
            List<long[]> pk = packets(p); // {pos, size}
            assertEquals(FRAMES, pk.size(), c);
            long first = pk.get(0)[0];
            long endOfLast = pk.get(FRAMES - 1)[0] + pk.get(FRAMES - 1)[1];
            byte[] bytes = Files.readAllBytes(p);
            switch (c) {
                case "mkv" -> {
                    l.add(Arguments.of(c, "inside the header (EBML head)", 20L));
                    // Cues (the index) are written after the clusters
                    l.add(Arguments.of(c, "inside the index (Cues, after the pictures)", (endOfLast + size) / 2));
                }
                case "mp4" -> {
                    l.add(Arguments.of(c, "inside the header (ftyp)", 12L));
                    long moov = indexOf(bytes, "moov") - 4;
                    assertTrue(moov > 0 && moov < first, "+faststart puts moov before the pictures");
                    l.add(Arguments.of(c, "inside the index (moov, before the pictures)", moov + (first - moov) / 2));
                }
                default -> {
                    l.add(Arguments.of(c, "inside the header (first transport packet)", 100L));
                    l.add(Arguments.of(c, "inside the index (program map table)", 2 * 188L + 60));
                }
            }
            for (int k : new int[]{1, FRAMES / 4, FRAMES / 2, FRAMES - 1}) {
                l.add(Arguments.of(c, "between packets " + (k - 1) + " and " + k, pk.get(k)[0]));
            }
            for (int k : new int[]{0, FRAMES / 3, 2 * FRAMES / 3, FRAMES - 1}) {
                l.add(Arguments.of(c, "inside packet " + k, pk.get(k)[0] + pk.get(k)[1] / 2));
            }
        }
        return l.stream();
    }

    private static synchronized void makeClipsOnce() throws Exception {
        if (CLIPS.isEmpty()) {
            // the argument source runs before @BeforeAll's static dir is certain to be set
            if (dir == null) dir = Files.createTempDirectory("vbuf-trunc");
            makeClips();
        }
    }

    @ParameterizedTest(name = "{0}: {1} (keep {2} bytes)")
    @MethodSource("cuts")
    void aCutFileIsAnErrorOrExactlyWhatFfmpegDecodes(String container, String where, long keep) throws Exception {
        makeClipsOnce();
        Path whole = CLIPS.get(container);
        Path p = dir.resolve("cut-" + keep + "." + container);
        Files.copy(whole, p, StandardCopyOption.REPLACE_EXISTING);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(keep);
        }
        FfmpegSource probe;
        try {
            probe = new FfmpegSource(p.toString());
        } catch (MediaException e) { // the header or the index is gone: refused at open
            String m = e.getMessage();
            assertTrue(m.contains(p.toString()) && m.contains("byte offset " + keep) && m.contains("no picture decoded"), m);
            assertTrue(where.contains("header") || where.contains("index") || container.equals("mp4"), where + ": " + m);
            return;
        }
        probe.close();
        List<String> ffmpegOwn = framemd5(p);

        // strict: an error naming the file, the last good picture and the byte offset
        var c = new MediaCounters();
        var md5 = new DecodeOrderTest.Md5Sink();
        Throwable error;
        try (FfmpegSource src = new FfmpegSource(p.toString())) {
            var r = Pipeline.run(src, List.of(md5), Pipeline.Options.defaults(), c, null);
            assertEquals(r.poolFrames(), r.slotsBack(), "every slot back");
            assertEquals(0, r.pool().references(), "no decoder reference left");
            error = r.sourceError();
        }
        boolean tsBoundary = container.equals("ts") && where.startsWith("between") && keep % 188 == 0;
        if (tsBoundary) {
            assertNull(error, "a transport stream cut between transport packets is a valid shorter stream");
        } else {
            assertInstanceOf(MediaException.class, error, where + ": a cut file is an error, not OK (" + md5.md5s.size()
                    + " pictures decoded, the file " + keep + " bytes, " + keep % 188 + " over a whole number of 188)");
            String m = error.getMessage();
            assertTrue(m.contains(p.toString()) && m.contains("byte offset") && m.contains("the last good one")
                    && m.contains("--allow-truncated"), m);
            long decoded = md5.md5s.size();
            assertTrue(m.contains(decoded + " picture(s) decoded"), m);
            // a cut after the last picture (in mkv's Cues) or in the last picture's packet may decode all 30
            assertTrue(decoded < FRAMES || where.contains("Cues") || where.equals("inside packet " + (FRAMES - 1)),
                    where + ": " + decoded + " pictures");
        }

        // allowed: a counted warning, and exactly what FFmpeg's own command-line tool decodes
        var c2 = new MediaCounters();
        var md5b = new DecodeOrderTest.Md5Sink();
        try (FfmpegSource src = new FfmpegSource(p.toString()).allowTruncated(true)) {
            var r = Pipeline.run(src, List.of(md5b), Pipeline.Options.defaults(), c2, null);
            assertTrue(r.ok(), () -> String.valueOf(r.sourceError()));
            assertEquals(r.poolFrames(), r.slotsBack(), "every slot back");
            assertEquals(0, r.pool().references());
        }
        assertEquals(tsBoundary ? 0 : 1, c2.warnings.sum(), () -> where + ": " + c2.firstWarning());
        if (!tsBoundary) assertTrue(c2.firstWarning().contains(p.toString()), c2.firstWarning());
        assertEquals(ffmpegOwn, md5b.md5s, where + ": the pictures ffmpeg -i cut -f framemd5 gives, in its order");
        System.out.printf("cut %-4s %-48s keep %7d: %s; --allow-truncated: %d of %d pictures, as ffmpeg%n", container, where,
                keep, tsBoundary ? "clean shorter stream" : "error", md5b.md5s.size(), FRAMES);
    }

    /** The MD5 of every picture FFmpeg's own program decodes from the file (none when it cannot open it). */
    static List<String> framemd5(Path file) throws Exception {
        String text = run(List.of(ffmpeg, "-hide_banner", "-v", "error", "-i", file.toString(), "-map", "0:v:0",
                "-fps_mode", "passthrough", "-f", "framemd5", "-"), false);
        var l = new ArrayList<String>();
        for (String line : text.split("\n")) {
            if (line.startsWith("#") || line.isBlank()) continue;
            l.add(line.split(",")[5].trim());
        }
        return l;
    }

    /** Video packets of a file: {pos, size} in file order. */
    static List<long[]> packets(Path p) {
        AVFormatContext fmt = new AVFormatContext(null);
        assertTrue(avformat_open_input(fmt, p.toString(), null, (AVDictionary) null) >= 0);
        var l = new ArrayList<long[]>();
        try {
            avformat_find_stream_info(fmt, (AVDictionary) null);
            int si = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, (AVCodec) null, 0);
            AVPacket pkt = av_packet_alloc();
            while (av_read_frame(fmt, pkt) >= 0) {
                if (pkt.stream_index() == si) l.add(new long[]{pkt.pos(), pkt.size()});
                av_packet_unref(pkt);
            }
            av_packet_free(pkt);
        } finally {
            avformat_close_input(fmt);
        }
        l.sort((a, b) -> Long.compare(a[0], b[0]));
        return l;
    }

    static long indexOf(byte[] b, String s) {
        byte[] n = s.getBytes(StandardCharsets.US_ASCII);
        outer:
        for (int i = 0; i + n.length <= b.length; i++) {
            for (int j = 0; j < n.length; j++) if (b[i + j] != n[j]) continue outer;
            return i;
        }
        return -1;
    }

    static String run(List<String> cmd, boolean mustSucceed) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timed out: " + cmd);
        if (mustSucceed) assertEquals(0, p.exitValue(), () -> String.join(" ", cmd));
        return out;
    }
}
