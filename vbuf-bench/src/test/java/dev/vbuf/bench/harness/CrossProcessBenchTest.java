package dev.vbuf.bench.harness;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cross-process benchmark end to end with real child JVMs, tiny frames and few of them:
 * every frame of every phase reaches the consumer in order and every checksummed frame
 * verifies. No figure is asserted (a benchmark is not a test).
 */
class CrossProcessBenchTest {
    record Run(int exit, String out) {
        long number(String key) {
            Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\":(-?[0-9]+)").matcher(out);
            if (!m.find()) throw new AssertionError("no \"" + key + "\" in " + this);
            return Long.parseLong(m.group(1));
        }

        @Override
        public String toString() { return "exit " + exit + "\n--- out\n" + out; }
    }

    static Run bench(String sizes, String transports, Integer frames, Integer latencyFrames, Integer warmup,
                     boolean json, Path chart) throws Exception {
        return bench(sizes, transports, frames, latencyFrames, warmup, json, chart, false);
    }

    static Run bench(String sizes, String transports, Integer frames, Integer latencyFrames, Integer warmup,
                     boolean json, Path chart, boolean floors) throws Exception {
        List<BenchSize> sz = new ArrayList<>();
        for (String s : sizes.split(",")) sz.add(BenchSize.parse(s));
        List<Transport> ts = new ArrayList<>();
        for (String t : transports.split(",")) ts.add(Transport.parse(t));
        var out = new StringWriter();
        int exit = CrossProcessBench.run(new CrossProcessBench.Settings(sz, ts, frames, latencyFrames, warmup, true, json, chart, floors),
                new PrintWriter(out, true));
        return new Run(exit, out.toString());
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void everyFrameArrivesAndVerifies(Transport t) throws Exception {
        Run r = bench("640x480", t.id, 20, 5, 2, true, null);
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("\"transport\":\"" + t.id + "\""), r::toString);
        assertTrue(r.out().contains("\"ok\":true"), r::toString);
        // 3 phases x (2 warm-up + measured): 22 + 7 + 7
        assertEquals(36, r.number("received"), r::toString);
        // checksummed: warm-up and measured frames of the two phases that touch every byte
        assertEquals(2 + 20 + 2 + 5, r.number("checksummed"), r::toString);
        assertEquals(r.number("checksummed"), r.number("verified"), r::toString);
        assertEquals(0, r.number("bad"), r::toString);
        assertEquals(0, r.number("sequenceErrors"), r::toString);
        assertEquals(640L * 480 * 3 / 2, r.number("payloadBytes"), r::toString);
    }

    @Test
    void aeronChunksAFrameBiggerThanOneMessage() throws Exception {
        // a frame over 16 MiB goes as several Aeron messages, reassembled by offset
        Run r = bench("4096x4096:rgba", "aeron", 3, 2, 1, true, null);
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("chunked: 5 messages"), r::toString);
        assertEquals(r.number("checksummed"), r.number("verified"), r::toString);
        assertEquals(0, r.number("bad"), r::toString);
    }

    @Test
    void tableAndChart(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("sub/bench.png");
        Run r = bench("320x240,640x480", "vbuf-threads,uds", 5, 3, 1, false, png);
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("vs vbuf"), r::toString);
        assertTrue(r.out().contains("640x480 NV12 uds"), r::toString);
        assertTrue(Files.size(png) > 10_000, "chart too small");
        BufferedImage img = ImageIO.read(png.toFile());
        assertNotNull(img);
    }

    @Test
    void floorsAreMeasuredAtStartAndEndAndVbufIsReportedAgainstThem() throws Exception {
        Run r = bench("320x240", "vbuf-shm,vbuf-shm-futex", 5, 3, 1, true, null, true);
        assertEquals(0, r.exit(), r::toString);
        // two floors, each at the start and at the end of the run, each with samples
        assertEquals(2, count(r.out(), "\"floor\":\"cache-line ping-pong\""), r::toString);
        assertEquals(2, count(r.out(), "\"floor\":\"futex wake\""), r::toString);
        Matcher samples = Pattern.compile("\"samples\":([0-9]+)").matcher(r.out());
        int floors = 0;
        while (samples.find()) {
            assertTrue(Long.parseLong(samples.group(1)) > 0, r::toString);
            floors++;
        }
        assertEquals(4, floors, r::toString);
        // each vbuf shared-pool row names its floor and carries its multiple of it
        assertTrue(r.out().contains("\"transport\":\"vbuf-shm\"") && r.out().contains("\"handoffFloor\":\"cache-line ping-pong\""), r::toString);
        assertTrue(r.out().contains("\"handoffFloor\":\"futex wake\""), r::toString);
        assertEquals(2, count(r.out(), "\"handoffP50TimesFloor\":"), r::toString);
        // a measurement with too few samples (a very busy machine) is reported but not used as a floor
        if (count(r.out(), "\"usedAsFloor\":true") == 4) {
            assertEquals(2, count(r.out(), "\"handoffP50TimesFloor\":") - count(r.out(), "\"handoffP50TimesFloor\":null"),
                    r::toString);
        }
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) n++;
        return n;
    }

    @Test
    void chartMarksAFailedRunInsteadOfLeavingItOut(@TempDir Path dir) throws Exception {
        BenchSize big = BenchSize.parse("8k");
        Row failed = Row.failed(Transport.AERON, big, "aeron consumer: ERROR out of memory");
        Machine m = Machine.current();
        Path withFailure = dir.resolve("failed.png"), without = dir.resolve("ok.png");
        ChartWriter.write(withFailure, java.util.List.of(failed), java.util.List.of(), m);
        ChartWriter.write(without, java.util.List.of(), java.util.List.of(), m);
        assertTrue(redPixels(withFailure) > 200, "the failed run is not marked");
        assertEquals(0, redPixels(without));
    }

    private static int redPixels(Path png) throws Exception {
        BufferedImage img = ImageIO.read(png.toFile());
        int n = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) if ((img.getRGB(x, y) & 0xFFFFFF) == 0xC62828) n++;
        }
        return n;
    }

    @Test
    void defaultCountsMoveEnoughBytesForTheJitAtSmallSizesAndAreCappedAtLargeOnes() {
        var d = new CrossProcessBench.Settings(List.of(BenchSize.parse("640x480")), List.of(Transport.UDS),
                null, null, null, false, false, null, false);
        long vga = BenchSize.parse("640x480").payloadBytes(), eightK = BenchSize.parse("8k-rgba").payloadBytes();
        var small = CrossProcessBench.counts(d, vga);
        assertTrue(small.frames() * vga >= 1_000_000_000L, small::toString); // 2,171 frames, not 200
        assertTrue(small.warmup() >= 1000, small::toString);
        var big = CrossProcessBench.counts(d, eightK);
        assertTrue(big.frames() * eightK <= 8_000_000_000L && big.frames() >= 30, big::toString);
        assertEquals(20, big.warmup(), big::toString);
        // what was given is used as given; a quick run stays quick
        var given = new CrossProcessBench.Settings(d.sizes(), d.transports(), 50, 7, 3, false, false, null, false);
        assertEquals(new CrossProcessBench.Counts(3, 50, 7), CrossProcessBench.counts(given, vga));
        var quick = new CrossProcessBench.Settings(d.sizes(), d.transports(), null, null, null, true, false, null, false);
        assertEquals(new CrossProcessBench.Counts(10, 60, 40), CrossProcessBench.counts(quick, vga));
    }

    @Test
    void badSizeNamesTheInputAndTheAcceptedForms() {
        var e = assertThrows(IllegalArgumentException.class, () -> BenchSize.parse("huge"));
        assertTrue(e.getMessage().contains("size 'huge' is not 1080p, 4k, 8k, 8k-rgba or WxH[:format]"), e::getMessage);
        e = assertThrows(IllegalArgumentException.class, () -> BenchSize.parse("8x8"));
        assertTrue(e.getMessage().contains("width and height must be 16.."), e::getMessage);
    }

    @Test
    void badTransportListsTheTransports() {
        var e = assertThrows(IllegalArgumentException.class, () -> Transport.parse("carrier-pigeon"));
        assertTrue(e.getMessage().contains("transport 'carrier-pigeon' is not one of"), e::getMessage);
        assertTrue(e.getMessage().contains("vbuf-shm"), e::getMessage);
    }

    @Test
    void designTableVerifiesEveryFrame() throws Exception {
        var out = new StringWriter();
        int exit = DesignTable.run(1, true, new PrintWriter(out, true));
        assertEquals(0, exit, out::toString);
        assertEquals(4, out.toString().split("\"resolution\"").length - 1, out::toString);
        assertTrue(out.toString().contains("\"ok\":true"), out::toString);
    }
}
