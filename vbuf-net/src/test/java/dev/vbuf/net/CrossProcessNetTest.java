package dev.vbuf.net;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.format.TestPattern;
import dev.vbuf.pool.FramePool;
import dev.vbuf.pool.Overflow;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static dev.vbuf.net.FrameReceiver.Counter.*;
import static dev.vbuf.net.NetTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A sender in another JVM (its own media driver) killed with SIGKILL while it streams, so that it
 * dies in the middle of a frame, then a new sender: the receiver aborts the broken frame (counted
 * lost), keeps every buffer, and takes the new sender's frames byte-exact.
 */
class CrossProcessNetTest {
    /** 640x480 NV12: 460,800 bytes, 343 chunks at {@link #SMALL_DATAGRAMS}, so a kill almost always lands mid-frame. */
    static final FrameLayout LAYOUT = FrameLayout.of(PixelFormat.NV12, 640, 480);
    static final long FRAME_TIMEOUT_NS = 5_000_000_000L;
    /** Aeron's default MTU, not loopback's 64 KiB that vbuf would pick: 343 chunks per frame, so a kill lands mid-frame. */
    static final String SMALL_DATAGRAMS = "|mtu=1408";
    static NetLink link;

    @BeforeAll
    static void driver() { link = NetLink.embedded(); }

    @AfterAll
    static void close() { if (link != null) link.close(); }

    /** SIGKILL, then removes the media driver directory the killed process could not remove. */
    static void kill(Process p) throws Exception {
        p.destroyForcibly().waitFor();
        if (!java.nio.file.Files.isDirectory(Path.of("/dev/shm"))) return;
        try (var dirs = java.nio.file.Files.newDirectoryStream(Path.of("/dev/shm"), "vbuf-aeron-" + p.pid() + "-*")) {
            for (Path d : dirs) {
                try (var walk = java.nio.file.Files.walk(d)) {
                    walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
            }
        }
    }

    static Process sender(int port, long first) throws Exception {
        return child(SenderChild.class, port, first, null);
    }

    /** A JVM running {@code main} of {@code type}; its output lines go to {@code lines} (or stderr). */
    static Process child(Class<?> type, int port, long first, java.util.function.Consumer<String> lines) throws Exception {
        var cp = new ArrayList<String>();
        for (String key : List.of("jdk.module.path", "java.class.path")) {
            String v = System.getProperty(key);
            if (v != null && !v.isBlank()) cp.addAll(List.of(v.split(File.pathSeparator)));
        }
        cp.add(Path.of("target", "test-classes").toAbsolutePath().toString());
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        var p = new ProcessBuilder(java.toString(), "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-cp", String.join(File.pathSeparator, cp), type.getName(), String.valueOf(port), String.valueOf(first))
                .redirectErrorStream(true).start();
        var out = new BufferedReader(new InputStreamReader(p.getInputStream()));
        String line = out.readLine();
        assertEquals("sending", line, "the child process did not start");
        Thread drain = new Thread(() -> out.lines().forEach(lines != null ? lines : l -> System.err.println("child: " + l)));
        drain.setDaemon(true);
        drain.start();
        return p;
    }

    @Test
    void aReceiverKilledMidFrameCostsTheSenderNoBufferAndANewReceiverGetsFrames() throws Exception {
        int port = freeUdpPort();
        try (FramePool src = pool(LAYOUT, 4, Overflow.BLOCK, "net");
             TestPattern pattern = new TestPattern(LAYOUT);
             var sender = new FrameSender(src.consumer("net"), link.publication(unicast(port) + SMALL_DATAGRAMS, 32), 0,
                     FrameSender.BackPressure.WAIT)) {
            var running = new java.util.concurrent.atomic.AtomicBoolean(true);
            Thread producer = start("producer", () -> {
                for (long i = 0; running.get(); i++) {
                    var f = src.acquireFree(Duration.ofMillis(200));
                    if (f == null) { i--; continue; }
                    pattern.write(f.segment(), i);
                    f.pts(i).submit();
                }
            });
            Thread tx = start("sender", () -> sender.run(50_000_000L));
            var verified = new AtomicLong();
            var failed = new java.util.concurrent.atomic.AtomicReference<String>();
            java.util.function.Consumer<String> lines = l -> {
                if (l.startsWith("verified ")) verified.incrementAndGet();
                else if (l.startsWith("failed")) failed.compareAndSet(null, l);
                else System.err.println("receiver: " + l);
            };
            Process first = child(ReceiverChild.class, port, 0, lines);
            try {
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (verified.get() < 10 && System.nanoTime() < deadline) Thread.sleep(5);
                assertTrue(verified.get() >= 10, "frames verified by the first receiver: " + verified.get());
            } finally {
                kill(first);
            }
            long sentAtKill = sender.counters().get(FrameSender.Counter.FRAMES);
            Process second = child(ReceiverChild.class, port, 0, lines);
            try {
                long deadline = System.nanoTime() + 90_000_000_000L;
                long target = verified.get() + 10;
                while (verified.get() < target && System.nanoTime() < deadline) Thread.sleep(5);
                assertTrue(verified.get() >= target, "frames verified after the restart: " + verified.get()
                        + ", sender " + sender.counters());
            } finally {
                kill(second);
            }
            assertNull(failed.get());
            assertTrue(sender.counters().get(FrameSender.Counter.FRAMES) > sentAtKill, sender.counters().toString());
            assertTrue(sender.counters().get(FrameSender.Counter.ABORTED) <= 2, "a frame in flight per kill at most: "
                    + sender.counters());
            running.set(false);
            sender.stop();
            join(producer, Duration.ofSeconds(30));
            join(tx, Duration.ofSeconds(30));
            System.err.println("receiver killed: sender " + sender.counters());
            var group = src.consumer("net"); // frames made after the sender stopped are still queued for it
            for (var f = group.tryAcquireFilled(); f != null; f = group.tryAcquireFilled()) group.releaseFilled(f);
            allFree(src);
        }
    }

    @Test
    void aSenderKilledMidFrameLosesThatFrameOnlyAndANewSenderGoesOn() throws Exception {
        int port = freeUdpPort();
        try (FramePool dst = pool(LAYOUT, 8, Overflow.DROP_OLDEST, "check");
             TestPattern pattern = new TestPattern(LAYOUT)) {
            // a frame timeout far above any stall of a loaded machine: a frame is aborted for the kill (its
            // sender's image goes) or after 5 s without a chunk, not because the sender's JVM was descheduled
            // for 300 ms (seen under load: 4 frames timed out before the kill)
            var rx = new RunningReceiver(new FrameReceiver(dst, link.subscription(unicast(port), 31), FRAME_TIMEOUT_NS));
            try (rx) {
                FrameReceiver r = rx.receiver;
                long brokenBefore = 0;
                Process first = sender(port, 0);
                try {
                    long deadline = System.nanoTime() + 60_000_000_000L;
                    while (r.counters().get(FRAMES) < 20 && System.nanoTime() < deadline) Thread.sleep(5);
                    assertTrue(r.counters().get(FRAMES) >= 20, "frames from the first sender: " + r.counters());
                    brokenBefore = r.counters().get(LOST_TIMEOUT) + r.counters().get(LOST_SENDER_GONE);
                } finally {
                    kill(first);
                }
                long killedAt = r.counters().get(FRAMES);
                // the frame in flight at the kill (if the kill landed mid-frame) is aborted when the killed sender's
                // image goes or after the frame timeout: wait for the image to go, then for the receiver to give
                // that frame's buffer back (it counts the loss before it does)
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (r.subscription().imageCount() > 0 && System.nanoTime() < deadline) Thread.sleep(5);
                while (dst.stats().producerLocked() > 0 && System.nanoTime() < deadline) Thread.sleep(5);
                assertEquals(0, dst.stats().producerLocked(), "the frame in flight at the kill went back: " + r.counters());
                long brokenTotal = r.counters().get(LOST_TIMEOUT) + r.counters().get(LOST_SENDER_GONE);
                long brokenFrames = brokenTotal - brokenBefore;
                Seen before = check(dst.consumer("check"), pattern, Duration.ofMillis(500));
                assertNull(before.firstFailure());
                allFree(dst);

                Process second = sender(port, 1_000_000);
                try {
                    deadline = System.nanoTime() + 60_000_000_000L;
                    while (r.counters().get(FRAMES) < killedAt + 20 && System.nanoTime() < deadline) Thread.sleep(5);
                } finally {
                    kill(second);
                }
                Seen after = check(dst.consumer("check"), pattern, Duration.ofMillis(1500));
                assertNull(after.firstFailure());
                assertTrue(!after.pts().isEmpty() && after.pts().getFirst() >= 1_000_000, "frames of the second sender: "
                        + after.pts().size() + " from " + (after.pts().isEmpty() ? "-" : after.pts().getFirst()));
                assertTrue(brokenFrames <= 1, "at most the frame in flight at the kill is broken: " + brokenFrames + " ("
                        + brokenBefore + " before the kill), " + r.counters());
                System.err.println("cross-process: " + r.counters());
                long deadline2 = System.nanoTime() + 30_000_000_000L; // the second sender's frame in flight, if any
                while (r.counters().get(LOST_TIMEOUT) + r.counters().get(LOST_SENDER_GONE) == brokenTotal
                        && System.nanoTime() < deadline2 && r.subscription().imageCount() > 0) {
                    Thread.sleep(5);
                }
                check(dst.consumer("check"), pattern, Duration.ofMillis(500));
            }
            allFree(dst);
        }
    }
}
