package dev.vbuf.net;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.format.TestPattern;
import dev.vbuf.pool.Consumer;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import dev.vbuf.pool.Overflow;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32C;

import static dev.vbuf.net.NetTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A stream recorded with Aeron Archive while a sender streams it over UDP, then replayed into a
 * pool (as fast as possible, and at the original pace) from a second process-like start of the
 * archive: the replayed frames' checksums equal the recorded ones, frame for frame, and equal what
 * the producer wrote.
 */
class FrameArchiveTest {
    static final FrameLayout LAYOUT = FrameLayout.of(PixelFormat.NV12, 320, 240);
    static final int FRAMES = 40;
    static final long SPACING_NS = 20_000_000L; // capture times 20 ms apart: a 0.78 s stream

    @TempDir
    File dir;

    @Test
    void replayedFramesEqualTheRecordedOnesFastAndAtTheOriginalPace() throws Exception {
        int port = freeUdpPort();
        String channel = unicast(port);
        Map<Long, Integer> written = new LinkedHashMap<>();
        FrameArchive.Recorded recorded;
        try (FrameArchive archive = FrameArchive.open(dir);
             NetLink tx = NetLink.embedded();
             FramePool src = pool(LAYOUT, 4, Overflow.BLOCK, "net");
             TestPattern pattern = new TestPattern(LAYOUT);
             var sender = new FrameSender(src.consumer("net"), tx.publication(channel, 77), 0, FrameSender.BackPressure.WAIT)) {
            var result = new AtomicReference<FrameArchive.Recorded>();
            Thread recorder = start("recorder", () -> result.set(archive.record(channel, 77, 60_000_000_000L,
                    30_000_000_000L, () -> true)));
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (!sender.publication().isConnected() && System.nanoTime() < deadline) Thread.sleep(5);
            assertTrue(sender.publication().isConnected(), "the archive's recording subscription did not connect");
            Thread producer = start("producer", () -> {
                long t0 = System.nanoTime();
                for (int i = 0; i < FRAMES; i++) {
                    Frame f = src.acquireFree(Duration.ofSeconds(60));
                    pattern.write(f.segment(), i);
                    written.put((long) i, crc(f, LAYOUT.frameBytes()));
                    f.pts(i).captureTimeNs(t0 + i * SPACING_NS);
                    f.submit();
                }
                src.markEndOfStream();
            });
            Thread send = start("sender", () -> sender.run(50_000_000L));
            join(producer, Duration.ofSeconds(60));
            join(send, Duration.ofSeconds(60));
            join(recorder, Duration.ofSeconds(90));
            recorded = result.get();
            assertNotNull(recorded, "nothing recorded");
            assertTrue(recorded.endOfStream(), "the end of stream was recorded");
            assertEquals(written, recorded.checksums(), "the recording's checksums are the producer's");
        }

        try (FrameArchive archive = FrameArchive.open(dir)) { // as 'vbuf replay' does, later, in another process
            assertEquals(recorded.recordingId(), archive.lastRecordingId());
            assertEquals(recorded.checksums(), archive.checksums(recorded.recordingId()), "the checksums file");
            for (boolean paced : new boolean[] {false, true}) {
                try (FramePool dst = pool(LAYOUT, 8, Overflow.BLOCK, "check")) {
                    var seen = new LinkedHashMap<Long, Integer>();
                    var firstFailure = new AtomicReference<String>();
                    Thread reader = start("reader", () -> read(dst.consumer("check"), seen, firstFailure));
                    long t0 = System.nanoTime();
                    FrameReceiver r = archive.replayInto(recorded.recordingId(), dst, paced, () -> true);
                    long took = System.nanoTime() - t0;
                    join(reader, Duration.ofSeconds(60));
                    r.close();
                    System.err.println("replay (" + (paced ? "original pace" : "fast") + "): " + seen.size() + " frames in "
                            + took / 1_000_000 + " ms, " + r.counters());
                    assertTrue(r.endOfStream(), "the replay reached the recorded end of stream");
                    assertNull(firstFailure.get());
                    assertEquals(recorded.checksums(), seen, "replayed checksums, frame for frame");
                    assertEquals(0, r.lost(), r.counters().toString());
                    if (paced) { // a lower bound only: a loaded machine can only make it slower
                        assertTrue(took >= (FRAMES - 1) * SPACING_NS * 9 / 10, "a paced replay of a "
                                + (FRAMES - 1) * SPACING_NS / 1_000_000 + " ms stream took " + took / 1_000_000 + " ms");
                    }
                    allFree(dst);
                }
            }
            assertThrows(IllegalArgumentException.class, () -> archive.replay(recorded.recordingId() + 100));
        }
    }

    static void read(Consumer group, Map<Long, Integer> seen, AtomicReference<String> firstFailure) {
        while (true) {
            Frame f = group.acquireFilled(Duration.ofMillis(50));
            if (f == null) {
                if (group.pool().endOfStream() && group.lag() == 0) return;
                continue;
            }
            try {
                if (f.isEndOfStream() && f.payloadSize() == 0) continue;
                if (seen.put(f.pts(), crc(f, f.payloadSize())) != null) firstFailure.compareAndSet(null, "frame " + f.pts() + " twice");
            } finally {
                group.releaseFilled(f);
            }
        }
    }

    static int crc(Frame f, long bytes) {
        var c = new CRC32C();
        c.update(f.segment().asSlice(0, bytes).asByteBuffer());
        return (int) c.getValue();
    }
}
