package dev.vbuf.cli;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.format.TestPattern;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import org.junit.jupiter.api.Test;

import java.net.DatagramSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code vbuf send} and {@code vbuf receive} in-process, over Aeron UDP on the loopback, each with its own media driver. */
class NetCommandsTest {
    @Test
    void aSharedPoolsFramesCrossTheNetworkAndVerify() throws Exception {
        int port;
        try (var s = new DatagramSocket(0)) {
            port = s.getLocalPort();
        }
        String channel = "aeron:udp?endpoint=127.0.0.1:" + port;
        String name = "nettest-" + ProcessHandle.current().pid();
        FrameLayout layout = FrameLayout.of(PixelFormat.NV12, 160, 96);
        int n = 60;
        // a thread each: the common pool may have one thread on a 2-core machine
        var threads = java.util.concurrent.Executors.newThreadPerTaskExecutor(Thread.ofPlatform().daemon().factory());
        var received = CompletableFuture.supplyAsync(() -> Cli.run("receive", "--from", channel, "--json", "--timeout", "60s"),
                threads);
        try (FramePool pool = FramePool.builder().shared(name).layout(layout).count(8).groups("consume").jmx(false)
                .recordTimestamps(true).build();
             TestPattern pattern = new TestPattern(layout)) {
            var sent = CompletableFuture.supplyAsync(() -> Cli.run("send", name, "--to", channel, "--json", "--timeout", "60s"),
                    threads);
            for (int i = 0; i < n; i++) {
                Frame f = pool.acquireFree(Duration.ofSeconds(60));
                if (f == null) {
                    throw new AssertionError("no free frame for 60 s at frame " + i + "; send: "
                            + (sent.isDone() ? sent.join() : "still running") + "\nreceive: " + (received.isDone() ? received.join() : "still running"));
                }
                pattern.write(f.segment(), i);
                f.pts(i).submit();
            }
            pool.markEndOfStream();
            Cli tx = sent.get(120, TimeUnit.SECONDS);
            Cli rx = received.get(120, TimeUnit.SECONDS);
            assertEquals(0, tx.exit(), tx.toString());
            assertEquals(0, rx.exit(), rx.toString());
            assertEquals(n, tx.number("frames"), tx.toString());
            assertTrue(tx.out().contains("\"endOfStream\":true"), tx.toString());
            assertEquals(n, rx.number("frames"), rx.toString());
            assertEquals(n, rx.number("verified"), rx.toString());
            assertEquals(0, rx.number("verifyFailures"), rx.toString());
            assertEquals(0, rx.number("lost"), rx.toString());
            assertTrue(rx.out().contains("\"endOfStream\":true"), rx.toString());
        }
    }

    @Test
    void runSendsToRunAndRecordThenReplayGivesTheRecordedChecksums(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        int port;
        try (var s = new DatagramSocket(0)) {
            port = s.getLocalPort();
        }
        String channel = "aeron:udp?endpoint=127.0.0.1:" + port;
        var threads = java.util.concurrent.Executors.newThreadPerTaskExecutor(Thread.ofPlatform().daemon().factory());
        // vbuf run --output aeron:... into vbuf run --input aeron:... --output checksum (the test pattern checked there)
        var in = CompletableFuture.supplyAsync(() -> Cli.run("run", "--input", channel, "--output", "checksum", "--json"), threads);
        Thread.sleep(500);
        Cli out = Cli.run("run", "--size", "160x96", "--fps", "0", "--frames", "30", "--output", channel, "--json");
        Cli rx = in.get(120, TimeUnit.SECONDS);
        assertEquals(0, out.exit(), out.toString());
        assertEquals(0, rx.exit(), rx.toString());
        assertEquals(30, out.number("framesOut"), out.toString());
        assertEquals(30, rx.number("framesDecoded"), rx.toString());
        assertEquals(30, rx.number("patternMatches"), rx.toString());
        assertEquals(0, rx.number("patternMismatches"), rx.toString());

        // vbuf record, then vbuf replay: every frame's checksum equal to the one recorded
        String rec = dir.resolve("rec").toString();
        var recorded = CompletableFuture.supplyAsync(() -> Cli.run("record", "--from", channel, "--dir", rec, "--json"), threads);
        Thread.sleep(1000);
        out = Cli.run("run", "--size", "160x96", "--fps", "0", "--frames", "25", "--output", channel, "--json");
        Cli r = recorded.get(120, TimeUnit.SECONDS);
        assertEquals(0, out.exit(), out.toString());
        assertEquals(0, r.exit(), r.toString());
        assertEquals(25, r.number("frames"), r.toString());
        Cli replay = Cli.run("replay", "--dir", rec, "--json");
        assertEquals(0, replay.exit(), replay.toString());
        assertEquals(25, replay.number("checksumsEqual"), replay.toString());
        assertEquals(0, replay.number("checksumsDiffer"), replay.toString());
        assertEquals(0, replay.number("missing"), replay.toString());
        String sum = r.out().replaceAll("(?s).*\"streamChecksum\":\"([0-9a-f]+)\".*", "$1").trim();
        assertTrue(replay.out().contains("\"streamChecksum\":\"" + sum + "\""), sum + " vs " + replay);

        Cli none = Cli.run("replay", "--dir", dir.resolve("empty").toString());
        assertEquals(2, none.exit(), none.toString());
        assertTrue(none.err().contains("is not a directory of recordings"), none.err());
        Cli pace = Cli.run("replay", "--dir", rec, "--pace", "sideways");
        assertEquals(2, pace.exit(), pace.toString());
        assertTrue(pace.err().contains("--pace sideways is not one of original, fast"), pace.err());
    }

    @Test
    void badChannelsAndFlagsAreNamed() {
        Cli c = Cli.run("send", "cam", "--to", "udp://10.0.0.1:5000");
        assertEquals(2, c.exit(), c.toString());
        assertTrue(c.err().contains("--to udp://10.0.0.1:5000 is not an Aeron channel"), c.err());
        assertTrue(c.err().contains("aeron:udp?endpoint=HOST:PORT"), c.err());
        c = Cli.run("receive", "--from", "aeron:udp?endpoint=127.0.0.1:40999", "--fps", "30");
        assertEquals(2, c.exit(), c.toString());
        assertTrue(c.err().contains("--fps does not apply"), c.err());
        c = Cli.run("receive", "--from", "aeron:udp?endpoint=127.0.0.1:40999", "--stream", "0");
        assertEquals(2, c.exit(), c.toString());
        assertTrue(c.err().contains("--stream 0 is outside 1..2147483647"), c.err());
        c = Cli.run("send", "cam", "--to", "aeron:udp?endpoint=127.0.0.1:40999", "--on-back-pressure", "sometimes");
        assertEquals(2, c.exit(), c.toString());
        assertTrue(c.err().contains("--on-back-pressure sometimes is not one of wait, drop"), c.err());
        c = Cli.run("receive", "--from", "aeron:udp?endpoint=127.0.0.1:40999", "--simulate-loss", "2");
        assertEquals(2, c.exit(), c.toString());
        assertTrue(c.err().contains("--simulate-loss 2.0 is out of range: give a fraction from 0 to 0.9"), c.err());
        c = Cli.run("run", "--output", "aeron:tcp?endpoint=127.0.0.1:40999", "--frames", "1");
        assertEquals(2, c.exit(), c.toString());
        assertTrue(c.err().contains("--output aeron:tcp?endpoint=127.0.0.1:40999 is not an Aeron channel"), c.err());
    }
}
