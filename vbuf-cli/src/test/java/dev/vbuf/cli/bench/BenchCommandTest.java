package dev.vbuf.cli.bench;

import dev.vbuf.cli.Main;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code vbuf bench} end to end with real child JVMs, tiny frames and few of them: every frame
 * of every phase reaches the consumer in order and every checksummed frame verifies. No figure
 * is asserted (a benchmark is not a test).
 */
class BenchCommandTest {
    record Run(int exit, String out, String err) {
        long number(String key) {
            Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\":(-?[0-9]+)").matcher(out);
            if (!m.find()) throw new AssertionError("no \"" + key + "\" in " + this);
            return Long.parseLong(m.group(1));
        }

        @Override
        public String toString() { return "exit " + exit + "\n--- out\n" + out + "\n--- err\n" + err; }
    }

    static Run vbuf(String... args) {
        var out = new StringWriter();
        var err = new StringWriter();
        int exit = Main.commandLine().setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true)).execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void everyFrameArrivesAndVerifies(Transport t) {
        Run r = vbuf("bench", "--quick", "--frames", "20", "--latency-frames", "5", "--warmup", "2",
                "--sizes", "640x480", "--transports", t.id, "--json");
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
    void aeronChunksAFrameBiggerThanOneMessage() {
        // a frame over 16 MiB goes as several Aeron messages, reassembled by offset
        Run r = vbuf("bench", "--frames", "3", "--latency-frames", "2", "--warmup", "1",
                "--sizes", "4096x4096:rgba", "--transports", "aeron", "--json");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("chunked: 5 messages"), r::toString);
        assertEquals(r.number("checksummed"), r.number("verified"), r::toString);
        assertEquals(0, r.number("bad"), r::toString);
    }

    @Test
    void tableAndChart(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("sub/bench.png");
        Run r = vbuf("bench", "--frames", "5", "--latency-frames", "3", "--warmup", "1",
                "--sizes", "320x240,640x480", "--transports", "vbuf-threads,uds", "--chart", png.toString());
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("vs vbuf"), r::toString);
        assertTrue(r.out().contains("640x480 NV12 uds"), r::toString);
        assertTrue(Files.size(png) > 10_000, "chart too small");
        BufferedImage img = ImageIO.read(png.toFile());
        assertNotNull(img);
        assertEquals(1000, img.getWidth());
    }

    @Test
    void badSizeNamesTheInputAndTheAcceptedForms() {
        Run r = vbuf("bench", "--sizes", "huge");
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.err().contains("size 'huge' is not 1080p, 4k, 8k, 8k-rgba or WxH[:format]"), r::toString);
    }

    @Test
    void badTransportListsTheTransports() {
        Run r = vbuf("bench", "--transports", "carrier-pigeon");
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.err().contains("transport 'carrier-pigeon' is not one of"), r::toString);
        assertTrue(r.err().contains("vbuf-shm"), r::toString);
    }

    @Test
    void framesOutOfRange() {
        Run r = vbuf("bench", "--frames", "0");
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.err().contains("--frames 0 is outside 1..1000000"), r::toString);
    }

    @Test
    void seedTableVerifiesEveryFrame() {
        Run r = vbuf("bench", "--seed-table", "--seconds", "1", "--json");
        assertEquals(0, r.exit(), r::toString);
        assertEquals(4, r.out().split("\"resolution\"").length - 1, r::toString);
        assertTrue(r.out().contains("\"ok\":true"), r::toString);
    }
}
