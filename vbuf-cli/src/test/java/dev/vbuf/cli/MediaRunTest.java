package dev.vbuf.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The acceptance flows of issue 6 at a small size: testsrc → mkv / y4m → checksum / null; refusals. */
class MediaRunTest {
    @TempDir
    Path dir;

    @Test
    void mkvRoundTripMatchesThePatternWithNoCopy() {
        String mkv = dir.resolve("clip.mkv").toString();
        Cli w = Cli.run("run", "--input", "testsrc", "--size", "96x64", "--output", mkv, "--frames", "10");
        assertEquals(0, w.exit(), w::toString);
        assertTrue(w.out().contains("ffv1 in matroska"), w::toString);
        Cli r = Cli.run("run", "--input", mkv, "--output", "checksum", "--json");
        assertEquals(0, r.exit(), r::toString);
        assertEquals(10, r.number("framesDecoded"), r::toString);
        assertEquals(10, r.number("patternMatches"), r::toString);
        assertEquals(0, r.number("patternMismatches"), r::toString);
        assertEquals(0, r.number("copies"), r::toString);
        assertEquals(r.number("poolFrames"), r.number("slotsBack"), r::toString);
    }

    @Test
    void y4mThroughEachReader() {
        String y4m = dir.resolve("clip.y4m").toString();
        Cli w = Cli.run("run", "--size", "96x64", "--frames", "10", "--output", y4m);
        assertEquals(0, w.exit(), w::toString);
        String sum = null;
        for (String reader : new String[] {"mmap", "direct", "io_uring"}) {
            Cli r = Cli.run("run", "--input", y4m, "--reader", reader, "--output", "checksum", "--json");
            assertEquals(0, r.exit(), r::toString);
            assertEquals(10, r.number("patternMatches"), r::toString);
            assertTrue(r.out().contains("\"reader\":\"" + reader + "\""), r::toString);
            String c = r.out().replaceAll(".*\"checksum\":\"([0-9a-f]+)\".*", "$1").strip();
            if (sum == null) sum = c;
            assertEquals(sum, c, "every reader reads the same pictures");
        }
        Cli n = Cli.run("run", "--input", y4m, "--reader", "io_uring", "--output", "null", "--json", "--loop", "--frames", "25",
                "--threads", "2");
        assertEquals(0, n.exit(), n::toString);
        assertEquals(25, n.number("framesDecoded"), n::toString);
        assertEquals(0, n.number("copies"), n::toString);
        n.number("readMBps");
    }

    @Test
    void truncatedY4mIsRefusedWithFrameAndOffset() throws Exception {
        Path y4m = dir.resolve("t.y4m");
        assertEquals(0, Cli.run("run", "--size", "64x48", "--frames", "3", "--output", y4m.toString()).exit());
        try (RandomAccessFile f = new RandomAccessFile(y4m.toFile(), "rw")) {
            f.setLength(Files.size(y4m) - 7);
        }
        Cli r = Cli.run("run", "--input", y4m.toString(), "--output", "null");
        assertEquals(1, r.exit(), r::toString);
        assertTrue(r.err().contains("frame 2 at byte offset") && r.err().contains("truncated"), r::toString);
    }

    /** An mkv cut in half: not "OK" with exit 0, but an error naming the file and the pictures; allowed, a warning. */
    @Test
    void aCutMkvIsAnErrorUnlessAllowed() throws Exception {
        Path mkv = dir.resolve("cut.mkv");
        assertEquals(0, Cli.run("run", "--input", "testsrc", "--size", "64x48", "--output", mkv.toString(), "--frames", "30").exit());
        try (RandomAccessFile f = new RandomAccessFile(mkv.toFile(), "rw")) {
            f.setLength(Files.size(mkv) / 2);
        }
        String y4m = dir.resolve("cut.y4m").toString();
        Cli r = Cli.run("run", "--input", mkv.toString(), "--output", y4m);
        assertEquals(1, r.exit(), r::toString);
        assertTrue(r.out().contains("FAILED") && r.err().contains(mkv.toString()) && r.err().contains("of 30 expected")
                && r.err().contains("--allow-truncated"), r::toString);
        Cli a = Cli.run("run", "--input", mkv.toString(), "--output", y4m, "--allow-truncated", "--json");
        assertEquals(0, a.exit(), a::toString);
        assertEquals(1, a.number("warnings"), a::toString);
        assertTrue(a.number("framesDecoded") < 30, a::toString);
        assertEquals(a.number("poolFrames"), a.number("slotsBack"), a::toString);
    }

    /** A 12-bit file: refused naming the format to convert to; with --convert one counted copy a picture, in the summary. */
    @Test
    void aFormatVbufLacksIsRefusedOrConvertedWithConvert() throws Exception {
        // FFmpeg's own program, shipped by org.bytedeco next to the libraries (this module does not read those modules)
        for (String m : new String[]{"org.bytedeco.ffmpeg", "org.bytedeco.javacpp"}) {
            ModuleLayer.boot().findModule(m).ifPresent(MediaRunTest.class.getModule()::addReads);
        }
        String ffmpeg = org.bytedeco.javacpp.Loader.load(org.bytedeco.ffmpeg.ffmpeg.class);
        Path clip = dir.resolve("p12.mkv");
        Process p = new ProcessBuilder(ffmpeg, "-hide_banner", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=25",
                "-frames:v", "4", "-pix_fmt", "yuv420p12le", "-c:v", "ffv1", "-y", clip.toString()).inheritIO().start();
        assertEquals(0, p.waitFor());
        Path y4m = dir.resolve("p12.y4m");
        Cli r = Cli.run("run", "--input", clip.toString(), "--output", y4m.toString());
        assertEquals(1, r.exit(), r::toString);
        assertTrue(r.err().contains("yuv420p12le") && r.err().contains("--convert") && r.err().contains("yuv420p10le"), r::toString);
        Cli c = Cli.run("run", "--input", clip.toString(), "--output", y4m.toString(), "--convert");
        assertEquals(0, c.exit(), c::toString);
        assertTrue(c.out().contains("convert   yuv420p12le -> yuv420p10le (libswscale, one counted copy per picture): 4 copies"),
                c::toString);
        assertTrue(Files.readString(y4m, java.nio.charset.StandardCharsets.ISO_8859_1).startsWith("YUV4MPEG2 W64 H48 ")
                && Files.readString(y4m, java.nio.charset.StandardCharsets.ISO_8859_1).contains(" C420p10"), "a 10-bit Y4M");
    }

    @Test
    void probeShowsThePool() {
        String y4m = dir.resolve("p.y4m").toString();
        assertEquals(0, Cli.run("run", "--size", "64x48", "--frames", "2", "--output", y4m).exit());
        Cli p = Cli.run("probe", y4m);
        assertEquals(0, p.exit(), p::toString);
        assertTrue(p.out().contains("64x48 I420") && p.out().contains("2 pictures") && p.out().contains("pool "), p::toString);
    }

    @Test
    void aMissingDeviceIsNamedBeforeAnythingRuns() {
        Cli r = Cli.run("run", "--input", "/dev/video7", "--output", "null");
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.err().contains("--input /dev/video7: no such device"), r::toString);
        assertEquals("", r.out(), r::toString);
    }

    @Test
    void anOutputInADirectoryThatDoesNotExistIsRefusedBeforeTheFirstFrame() {
        String out = "/nonexistent-" + System.nanoTime() + "/dir/x.mp4";
        Cli r = Cli.run("run", "--size", "64x48", "--frames", "100", "--output", out);
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.err().contains("--output " + out + ": directory /nonexistent-") && r.err().contains("does not exist"),
                r::toString);
        assertEquals("", r.out(), "nothing ran: " + r);
    }

    @Test
    void anOutputNoWriterTakesIsRefusedBeforeTheFirstFrameWithoutAClassName() {
        String out = dir.resolve("x.bogusext").toString();
        Cli r = Cli.run("run", "--size", "64x48", "--frames", "100", "--output", out);
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.err().contains("--output " + out + " cannot be written") && r.err().contains("accepted: null, checksum"),
                r::toString);
        assertFalse(r.err().contains("Exception"), r::toString);
        assertEquals("", r.out(), "nothing ran: " + r);
        assertFalse(java.nio.file.Files.exists(dir.resolve("x.bogusext")), "no file was left behind");
    }

    @Test
    void aMissingInputFileIsNamed() {
        String in = dir.resolve("nope.y4m").toString();
        Cli r = Cli.run("run", "--input", in, "--output", "null");
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.err().contains("--input " + in + ": no such file; accepted: testsrc"), r::toString);
    }

    @Test
    void threadsWithAnEncodedOutputIsBadUsage() {
        Cli r = Cli.run("run", "--input", "testsrc", "--frames", "2", "--threads", "2", "--output", dir.resolve("x.mkv").toString());
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.err().contains("encodes them in arrival order"), r::toString);
    }

    /** Several readers into a Y4M: the writer puts the pictures back in order. */
    @Test
    void threadsIntoAY4mAreWrittenInOrder() {
        String in = dir.resolve("in.y4m").toString(), out = dir.resolve("out.y4m").toString();
        assertEquals(0, Cli.run("run", "--size", "64x48", "--frames", "30", "--output", in).exit());
        Cli r = Cli.run("run", "--input", in, "--reader", "io_uring", "--threads", "3", "--output", out);
        assertEquals(0, r.exit(), r::toString);
        Cli check = Cli.run("run", "--input", out, "--output", "checksum", "--json");
        assertEquals(0, check.exit(), check::toString);
        assertEquals(30, check.number("patternMatches"), check::toString);
    }
}
