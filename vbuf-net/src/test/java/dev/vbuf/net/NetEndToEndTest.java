package dev.vbuf.net;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.format.TestPattern;
import dev.vbuf.pool.FramePool;
import dev.vbuf.pool.Overflow;
import io.aeron.ExclusivePublication;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.stream.LongStream;

import static dev.vbuf.net.NetTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Frames from one pool to another over Aeron UDP on the loopback, through an embedded media
 * driver: every frame checked byte for byte (test pattern of its number), in order, nothing
 * lost, no buffer left taken on either side.
 */
class NetEndToEndTest {
    static NetLink link;

    @BeforeAll
    static void driver() { link = NetLink.embedded(); }

    @AfterAll
    static void close() { if (link != null) link.close(); }

    /** Small frames, one fragment per chunk (tryClaim): 300 frames of 320x240 NV12, about 85 chunks each. */
    @Test
    void everyFrameArrivesWholeAndInOrder() throws Exception {
        FrameLayout layout = FrameLayout.of(PixelFormat.NV12, 320, 240);
        int n = 300, port = freeUdpPort();
        try (FramePool src = pool(layout, 8, Overflow.BLOCK, "net");
             FramePool dst = pool(layout, 8, Overflow.BLOCK, "check");
             TestPattern pattern = new TestPattern(layout)) {
            var rx = new RunningReceiver(new FrameReceiver(dst, link.subscription(unicast(port), 11), 2_000_000_000L));
            try (rx; var sender = new FrameSender(src.consumer("net"), link.publication(unicast(port), 11), 0,
                    FrameSender.BackPressure.WAIT)) {
                rx.awaitConnected(Duration.ofSeconds(20));
                Thread producer = produce(src, pattern, n, 0);
                Thread tx = start("sender", () -> sender.run(50_000_000L));
                Seen seen = check(dst.consumer("check"), pattern, Duration.ofSeconds(60));
                join(producer, Duration.ofSeconds(30));
                join(tx, Duration.ofSeconds(30));
                assertNull(seen.firstFailure());
                assertEquals(LongStream.range(0, n).boxed().toList(), seen.pts());
                var c = rx.receiver.counters();
                assertEquals(n, c.get(FrameReceiver.Counter.FRAMES));
                assertEquals(0, rx.receiver.lost(), c.toString());
                assertEquals(n, sender.counters().get(FrameSender.Counter.FRAMES));
                assertEquals(n * layout.frameBytes(), sender.counters().get(FrameSender.Counter.BYTES));
                long chunks = n * sender.chunking().count(layout.frameBytes());
                assertEquals(chunks, sender.counters().get(FrameSender.Counter.CHUNKS));
                assertEquals(chunks, sender.counters().get(FrameSender.Counter.CLAIMS));
                assertEquals(chunks, c.get(FrameReceiver.Counter.CHUNKS));
                assertTrue(dst.endOfStream(), "the end of the stream crossed the network");
                assertTrue(rx.receiver.latency().count() == n);
            }
            allFree(src);
            allFree(dst);
        }
    }

    /**
     * 4K NV12 frames (12.4 MB) bigger than one Aeron message (4 MiB on a 32 MiB term): each chunk
     * is offered as the header plus a slice of the frame and fragmented by Aeron; the receiver
     * places every fragment.
     */
    @Test
    void framesBiggerThanOneAeronMessage() throws Exception {
        FrameLayout layout = FrameLayout.of(PixelFormat.NV12, 3840, 2160);
        int n = 6, port = freeUdpPort();
        String channel = unicast(port) + "|term-length=32m|mtu=8k";
        try (FramePool src = pool(layout, 2, Overflow.BLOCK, "net");
             FramePool dst = pool(layout, 2, Overflow.BLOCK, "check");
             TestPattern pattern = new TestPattern(layout)) {
            var rx = new RunningReceiver(new FrameReceiver(dst, link.subscription(channel, 12), 5_000_000_000L));
            ExclusivePublication pub = link.publication(channel, 12);
            assertTrue(layout.frameBytes() > pub.maxMessageLength(), "the frame must not fit one message");
            try (rx; var sender = new FrameSender(src.consumer("net"), pub, pub.maxMessageLength(), FrameSender.BackPressure.WAIT)) {
                rx.awaitConnected(Duration.ofSeconds(20));
                Thread producer = produce(src, pattern, n, 0);
                Thread tx = start("sender", () -> sender.run(50_000_000L));
                Seen seen = check(dst.consumer("check"), pattern, Duration.ofSeconds(120));
                join(producer, Duration.ofSeconds(60));
                join(tx, Duration.ofSeconds(60));
                assertNull(seen.firstFailure());
                assertEquals(LongStream.range(0, n).boxed().toList(), seen.pts());
                assertEquals(0, rx.receiver.lost(), rx.receiver.counters().toString());
                assertEquals(n * sender.chunking().count(layout.frameBytes()), sender.counters().get(FrameSender.Counter.OFFERS));
                assertEquals(0, sender.counters().get(FrameSender.Counter.CLAIMS));
            }
            allFree(src);
            allFree(dst);
        }
    }

    /** One sender, two receivers on a multicast group of the loopback interface. */
    @Test
    void multicastToTwoReceivers() throws Exception {
        FrameLayout layout = FrameLayout.of(PixelFormat.NV12, 160, 120);
        int n = 100, port = freeUdpPort();
        String channel = "aeron:udp?endpoint=239.255.90.1:" + port + "|interface=127.0.0.1|ttl=0";
        try (FramePool src = pool(layout, 8, Overflow.BLOCK, "net");
             FramePool a = pool(layout, 8, Overflow.BLOCK, "check");
             FramePool b = pool(layout, 8, Overflow.BLOCK, "check");
             TestPattern pattern = new TestPattern(layout)) {
            var rxA = new RunningReceiver(new FrameReceiver(a, link.subscription(channel, 13), 2_000_000_000L));
            var rxB = new RunningReceiver(new FrameReceiver(b, link.subscription(channel, 13), 2_000_000_000L));
            try (rxA; rxB; var sender = new FrameSender(src.consumer("net"), link.publication(channel, 13), 0,
                    FrameSender.BackPressure.WAIT)) {
                long deadline = System.nanoTime() + 10_000_000_000L;
                while ((rxA.receiver.senders() == 0 || rxB.receiver.senders() == 0) && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                org.junit.jupiter.api.Assumptions.assumeTrue(rxA.receiver.senders() > 0 && rxB.receiver.senders() > 0,
                        "multicast on the loopback interface does not connect here (no multicast route on lo?); skipped");
                Thread producer = produce(src, pattern, n, 0);
                Thread tx = start("sender", () -> sender.run(50_000_000L));
                Thread readB = start("reader b", () -> {
                    Seen s = check(b.consumer("check"), pattern, Duration.ofSeconds(60));
                    assertNull(s.firstFailure());
                    assertEquals(LongStream.range(0, n).boxed().toList(), s.pts());
                });
                Seen seen = check(a.consumer("check"), pattern, Duration.ofSeconds(60));
                join(readB, Duration.ofSeconds(60));
                join(producer, Duration.ofSeconds(30));
                join(tx, Duration.ofSeconds(30));
                assertNull(seen.firstFailure());
                assertEquals(LongStream.range(0, n).boxed().toList(), seen.pts());
            }
            allFree(a);
            allFree(b);
        }
    }

    /**
     * The receiving pool is full and nobody reads it: with fail, the frames that find no buffer
     * are lost and counted, never torn; with block, nothing is lost (Aeron's flow control holds
     * the sender) and every frame arrives once the reader comes.
     */
    @Test
    void aFullReceivingPoolFollowsItsPolicy() throws Exception {
        FrameLayout layout = FrameLayout.of(PixelFormat.GRAY8, 256, 64);
        for (Overflow policy : List.of(Overflow.FAIL, Overflow.BLOCK)) {
            int n = 40, port = freeUdpPort();
            try (FramePool src = pool(layout, 4, Overflow.BLOCK, "net");
                 FramePool dst = pool(layout, 4, policy, "check");
                 TestPattern pattern = new TestPattern(layout)) {
                var rx = new RunningReceiver(new FrameReceiver(dst, link.subscription(unicast(port), 14), 2_000_000_000L));
                try (rx; var sender = new FrameSender(src.consumer("net"), link.publication(unicast(port), 14), 0,
                        FrameSender.BackPressure.WAIT)) {
                    rx.awaitConnected(Duration.ofSeconds(20));
                    Thread producer = produce(src, pattern, n, 0);
                    Thread tx = start("sender", () -> sender.run(50_000_000L));
                    if (policy == Overflow.FAIL) {
                        join(producer, Duration.ofSeconds(30));
                        join(tx, Duration.ofSeconds(30));
                        long deadline = System.nanoTime() + 10_000_000_000L;
                        while (!dst.endOfStream() && System.nanoTime() < deadline) Thread.sleep(5);
                    } else {
                        long deadline = System.nanoTime() + 10_000_000_000L; // let the receiver stall on the full pool
                        while (rx.receiver.counters().get(FrameReceiver.Counter.STALLS) == 0 && System.nanoTime() < deadline) {
                            Thread.sleep(5);
                        }
                        assertTrue(rx.receiver.counters().get(FrameReceiver.Counter.STALLS) > 0, "the receiver never stalled");
                    }
                    Seen seen = check(dst.consumer("check"), pattern, Duration.ofSeconds(30));
                    join(producer, Duration.ofSeconds(30));
                    join(tx, Duration.ofSeconds(30));
                    assertNull(seen.firstFailure(), policy + ": " + seen.firstFailure());
                    var c = rx.receiver.counters();
                    if (policy == Overflow.FAIL) {
                        assertEquals(4, seen.pts().size(), "the pool's 4 buffers: " + seen.pts());
                        assertEquals(n - 4, c.get(FrameReceiver.Counter.LOST_POOL_FULL), c.toString());
                        assertEquals(n - 4, rx.receiver.lost(), c.toString());
                    } else {
                        assertEquals(LongStream.range(0, n).boxed().toList(), seen.pts());
                        assertEquals(0, rx.receiver.lost(), c.toString());
                    }
                }
                allFree(dst);
            }
        }
    }

    /** With nobody listening, a dropping sender drops whole frames (counted, released); a waiting one would wait. */
    @Test
    void aDroppingSenderWithNoReceiverDropsWholeFrames() throws Exception {
        FrameLayout layout = FrameLayout.of(PixelFormat.GRAY8, 64, 64);
        try (FramePool src = pool(layout, 4, Overflow.BLOCK, "net");
             TestPattern pattern = new TestPattern(layout);
             var sender = new FrameSender(src.consumer("net"), link.publication(unicast(freeUdpPort()), 15), 0,
                     FrameSender.BackPressure.DROP)) {
            Thread producer = produce(src, pattern, 20, 0);
            Thread tx = start("sender", () -> sender.run(50_000_000L));
            join(producer, Duration.ofSeconds(30));
            join(tx, Duration.ofSeconds(30));
            assertEquals(20, sender.counters().get(FrameSender.Counter.DROPPED_NOT_CONNECTED));
            assertEquals(0, sender.counters().get(FrameSender.Counter.CHUNKS));
            allFree(src);
        }
    }
}
