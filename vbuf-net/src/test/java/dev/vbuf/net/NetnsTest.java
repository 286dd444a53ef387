package dev.vbuf.net;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Frames between two network namespaces that the test makes itself (a veth pair, 10.200.0.1 and
 * 10.200.0.2; both share /dev/shm, each process runs its own media driver in its own directory),
 * with 0%, 1% and 5% of the data packets dropped by the receiving driver (Aeron's debug receive
 * endpoint and its random loss generator), and multicast to two receivers. Every frame that
 * arrives is byte-exact, none arrives twice, every frame that does not arrive is counted lost
 * (verified + lost = sent), and every buffer is back in its pool on both sides. SIGKILL of the
 * sending and of the receiving JVM mid-frame, then a new one: at most the frame in flight is
 * broken or abandoned, no buffer is lost on either side, the frames after the restart are
 * byte-exact. Skipped where namespaces cannot be made (not root, no {@code ip}, no CAP_NET_ADMIN).
 *
 * <p>Longer runs: {@code scripts/net-netns-matrix} (more frames, bigger frames, more loss).
 */
class NetnsTest {
    static final int FRAMES = Integer.getInteger("vbuf.netns.frames", 150);
    static final int WIDTH = Integer.getInteger("vbuf.netns.width", 320);
    static final int HEIGHT = Integer.getInteger("vbuf.netns.height", 240);
    static final String A_ADDR = "10.200.0.1", B_ADDR = "10.200.0.2";
    /** The kill tests' frames: 1080p NV12, 3.1 MB, over 2,000 datagrams on the test's 1500-byte veth: a kill lands mid-frame. */
    static final int KILL_WIDTH = 1920, KILL_HEIGHT = 1080;
    static String nsA, nsB;

    @BeforeAll
    static void namespaces() throws Exception {
        String tag = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000000));
        String a = "vbuf-t" + tag + "-a", b = "vbuf-t" + tag + "-b";
        String reason = ip("netns", "add", a);
        Assumptions.assumeTrue(reason == null, () -> "network namespaces cannot be made here ('ip netns add' failed: " + reason
                + "); this test needs root with CAP_NET_ADMIN and iproute2 (apt-get install iproute2)");
        nsA = a;
        must("netns", "add", b);
        nsB = b;
        String va = "vbt" + tag + "a", vb = "vbt" + tag + "b";
        must("link", "add", va, "type", "veth", "peer", "name", vb);
        must("link", "set", va, "netns", a);
        must("link", "set", vb, "netns", b);
        for (String[] side : new String[][] {{a, va, A_ADDR}, {b, vb, B_ADDR}}) {
            must("-n", side[0], "addr", "add", side[2] + "/24", "dev", side[1]);
            must("-n", side[0], "link", "set", side[1], "up");
            must("-n", side[0], "link", "set", "lo", "up");
            must("-n", side[0], "route", "add", "224.0.0.0/4", "dev", side[1]);
        }
    }

    @AfterAll
    static void removeNamespaces() throws Exception {
        if (nsA != null) ip("netns", "del", nsA); // deleting a namespace deletes its end of the veth pair, and so the pair
        if (nsB != null) ip("netns", "del", nsB);
    }

    @ParameterizedTest(name = "unicast, {0}% of the data packets dropped at the receiver")
    @ValueSource(ints = {0, 1, 5})
    void unicastUnderLoss(int lossPercent) throws Exception {
        String channel = "aeron:udp?endpoint=" + B_ADDR + ":40123";
        run(channel, channel, lossPercent, 1, 2001 + lossPercent);
    }

    @Test
    void multicastToTwoReceiversUnderLoss() throws Exception {
        // min flow control with a group of 2: the sender starts when both receivers are there and keeps to the slower
        String group = "aeron:udp?endpoint=239.255.90.1:40125|interface=";
        // 64 KiB datagrams (~300 in all) at 3 % loss: a receiver without any loss (0.97^300, ~10^-4)
        // would have no NAK to check. Small datagrams under loss made two multicast receivers
        // NAK each other's retransmits for over a minute (1,406 NAKs, the end of stream not seen).
        run(group + A_ADDR + "|fc=min,g:/2", group + B_ADDR, 3, 2, 2100);
    }

    /** Receivers in B, then a sender in A; both sides' "result" lines checked. */
    static void run(String sendChannel, String receiveChannel, int lossPercent, int receivers, int stream) throws Exception {
        if (lossPercent > 0 && receivers == 1 && !sendChannel.contains("mtu=")) {
            // Unicast under loss: Aeron's 1,408-byte datagrams. With the veth's 64 KiB MTU
            // (ChannelDefaults) a 320x240 frame is 2 datagrams, 150 frames ~300, and 1 % loss
            // leaves the receiver with no loss at all in ~5 % of runs (0.99^300): no NAK to check.
            // With ~82 datagrams a frame, ~12,300 in all, that chance is below 10^-50.
            sendChannel = sendChannel + "|mtu=1408";
        }
        var peers = new ArrayList<Peer>();
        try {
            for (int i = 0; i < receivers; i++) {
                peers.add(Peer.start(nsB, "receive", receiveChannel, stream, String.valueOf(lossPercent / 100.0)));
            }
            Peer sender = Peer.start(nsA, "send", sendChannel, stream, String.valueOf(FRAMES));
            peers.add(sender);
            Map<String, String> sent = sender.result();
            System.err.println("netns sender (" + sendChannel + "): " + sent);
            assertEquals("true", sent.get("ended"), "the sender's stream ended: " + sent);
            assertEquals(FRAMES, Long.parseLong(sent.get("frames")), "frames sent: " + sent);
            assertEquals("0", sent.get("aborted"), sent.toString());
            assertFree(sent, "sender");
            for (Peer r : peers.subList(0, receivers)) {
                Map<String, String> got = r.result();
                System.err.println("netns receiver (" + receiveChannel + ", loss " + lossPercent + "%): " + got);
                assertEquals("true", got.get("ended"), "the receiver saw the end of the stream: " + got);
                assertEquals("0", got.get("failures"), "frames that differ from what was sent: " + got);
                assertEquals("0", got.get("duplicates"), "frames that came twice: " + got);
                long verified = Long.parseLong(got.get("verified")), lost = Long.parseLong(got.get("lost"));
                assertEquals(FRAMES, verified + lost, "verified + lost = sent: " + got);
                assertFree(got, "receiver");
                if (lossPercent > 0) {
                    assertTrue(Long.parseLong(got.get("naks")) > 0, "the injected loss made the receiver send NAKs: " + got);
                }
            }
            if (lossPercent > 0) assertTrue(Long.parseLong(sent.get("retransmits")) > 0, "the sender retransmitted: " + sent);
        } finally {
            for (Peer p : peers) p.close();
        }
    }

    static void assertFree(Map<String, String> result, String side) {
        String[] free = result.get("free").split("/");
        assertEquals(free[1], free[0], "the " + side + "'s free buffers at the end: " + result);
    }

    @Test
    void aSenderKilledMidFrameBreaksThatFrameOnlyAndANewSenderGoesOn() throws Exception {
        String channel = "aeron:udp?endpoint=" + B_ADDR + ":40127";
        int stream = 2201;
        try (Peer listener = Peer.start(nsB, "listen", channel, stream, "0", KILL_WIDTH, KILL_HEIGHT)) {
            try (Peer first = Peer.start(nsA, "stream", channel, stream, "0", KILL_WIDTH, KILL_HEIGHT)) {
                listener.await(l -> l.startsWith("verified "), 20, "frames from the first sender");
                int noSender = listener.count(l -> l.startsWith("senders 0 "));
                first.kill(); // mid-frame almost always: many chunks per frame, the kill lands anywhere
                // the killed sender's image goes (Aeron's image liveness timeout), and with it the frame it broke
                listener.await(l -> l.startsWith("senders 0 "), noSender + 1, "the killed sender's image gone");
            }
            try (Peer second = Peer.start(nsA, "stream", channel, stream, "1000000", KILL_WIDTH, KILL_HEIGHT)) {
                listener.await(l -> l.startsWith("verified 1") && l.length() >= "verified 1000000".length(), 20,
                        "frames from the second sender");
                second.send("stop");
                Map<String, String> sent = second.result();
                System.err.println("netns second sender: " + sent);
                assertFree(sent, "second sender");
            }
            listener.send("stop");
            Map<String, String> got = listener.result();
            System.err.println("netns receiver across a sender's SIGKILL: " + got);
            assertEquals("0", got.get("failures"), "frames that differ from what was sent: " + got + " " + listener.firstFailure());
            assertFree(got, "receiver");
            assertTrue(Long.parseLong(got.get("broken")) <= 2, "frames broken: at most the one in flight at the kill and the"
                    + " one at the second sender's stop: " + got);
        }
    }

    @Test
    void aReceiverKilledMidFrameCostsTheSenderNoBufferAndANewReceiverGetsFrames() throws Exception {
        String channel = "aeron:udp?endpoint=" + B_ADDR + ":40129";
        int stream = 2301;
        try (Peer sender = Peer.start(nsA, "stream", channel, stream, "0", KILL_WIDTH, KILL_HEIGHT)) {
            try (Peer first = Peer.start(nsB, "listen", channel, stream, "0", KILL_WIDTH, KILL_HEIGHT)) {
                first.await(l -> l.startsWith("verified "), 20, "frames at the first receiver");
                first.kill();
            }
            try (Peer second = Peer.start(nsB, "listen", channel, stream, "0", KILL_WIDTH, KILL_HEIGHT)) {
                second.await(l -> l.startsWith("verified "), 20, "frames at the second receiver");
                second.send("stop");
                Map<String, String> got = second.result();
                System.err.println("netns second receiver: " + got);
                assertEquals("0", got.get("failures"), "frames that differ from what was sent: " + got + " " + second.firstFailure());
                assertFree(got, "second receiver");
            }
            sender.send("stop");
            Map<String, String> sent = sender.result();
            System.err.println("netns sender across a receiver's SIGKILL: " + sent);
            assertFree(sent, "sender");
            assertTrue(Long.parseLong(sent.get("aborted")) <= 2, "frames abandoned mid-way: the one in flight at the kill,"
                    + " and the one at the stop: " + sent);
        }
    }

    /** A NetnsPeer JVM in a namespace. */
    static final class Peer implements AutoCloseable {
        final Process process;
        final CompletableFuture<Map<String, String>> result = new CompletableFuture<>();
        /** Its other output lines ("verified N", "senders N broken M", "failed ..."). */
        final java.util.List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
        final java.util.concurrent.Semaphore arrived = new java.util.concurrent.Semaphore(0);

        /** Waits (up to 120 s) until {@code count} lines match; fails naming what was awaited. */
        void await(java.util.function.Predicate<String> line, int count, String what) throws Exception {
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (lines.stream().filter(line).count() < count) {
                if (!process.isAlive() && arrived.availablePermits() == 0) {
                    throw new AssertionError(what + ": the peer ended; its lines: " + tail());
                }
                if (System.nanoTime() > deadline) throw new AssertionError(what + ": not seen within 120 s; lines: " + tail());
                arrived.tryAcquire(100, TimeUnit.MILLISECONDS);
            }
        }

        String tail() {
            int n = lines.size();
            return String.join(" | ", lines.subList(Math.max(0, n - 8), n));
        }

        String firstFailure() {
            return lines.stream().filter(l -> l.startsWith("failed")).findFirst().orElse("");
        }

        int count(java.util.function.Predicate<String> line) {
            return (int) lines.stream().filter(line).count();
        }

        void send(String line) throws IOException {
            process.getOutputStream().write((line + "\n").getBytes());
            process.getOutputStream().flush();
        }

        /** SIGKILL: the JVM (ip netns exec replaced itself with it) dies wherever it is. */
        void kill() throws InterruptedException {
            process.destroyForcibly().waitFor();
        }

        private Peer(Process process) { this.process = process; }

        static Peer start(String ns, String role, String channel, int stream, String arg) throws Exception {
            return start(ns, role, channel, stream, arg, WIDTH, HEIGHT);
        }

        static Peer start(String ns, String role, String channel, int stream, String arg, int width, int height) throws Exception {
            var cp = new ArrayList<String>();
            for (String key : List.of("jdk.module.path", "java.class.path")) {
                String v = System.getProperty(key);
                if (v != null && !v.isBlank()) cp.addAll(List.of(v.split(File.pathSeparator)));
            }
            cp.add(Path.of("target", "test-classes").toAbsolutePath().toString());
            Path java = Path.of(System.getProperty("java.home"), "bin", "java");
            var p = new ProcessBuilder("ip", "netns", "exec", ns, java.toString(), "--enable-native-access=ALL-UNNAMED",
                    "--sun-misc-unsafe-memory-access=allow", "-cp", String.join(File.pathSeparator, cp), NetnsPeer.class.getName(),
                    role, channel, String.valueOf(stream), arg, String.valueOf(width), String.valueOf(height))
                    .redirectErrorStream(true).start();
            var peer = new Peer(p);
            var out = new BufferedReader(new InputStreamReader(p.getInputStream()));
            var ready = new CompletableFuture<Void>();
            Thread drain = new Thread(() -> {
                try {
                    for (String line; (line = out.readLine()) != null; ) {
                        if (line.equals("ready")) ready.complete(null);
                        else if (line.startsWith("result ")) peer.result.complete(parse(line));
                        else if (line.startsWith("verified ") || line.startsWith("senders ") || line.startsWith("failed ")) {
                            peer.lines.add(line);
                            peer.arrived.release();
                            if (!line.startsWith("verified ")) System.err.println(role + " in " + ns + ": " + line);
                        } else System.err.println(role + " in " + ns + ": " + line);
                    }
                } catch (IOException ignored) {
                    // the process ended
                }
                ready.completeExceptionally(new AssertionError(role + " in " + ns + " ended before it was ready"));
                peer.result.completeExceptionally(new AssertionError(role + " in " + ns + " ended without a result"));
            }, "netns-" + role);
            drain.setDaemon(true);
            drain.start();
            ready.get(60, TimeUnit.SECONDS);
            return peer;
        }

        Map<String, String> result() throws Exception { return result.get(120, TimeUnit.SECONDS); }

        static Map<String, String> parse(String line) {
            var m = new HashMap<String, String>();
            for (String kv : line.substring("result ".length()).split(" ")) {
                int eq = kv.indexOf('=');
                m.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
            return m;
        }

        @Override
        public void close() throws Exception {
            if (process.isAlive() && !process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
            // a process that had to be killed could not remove its media driver's directory
            try (var dirs = Files.newDirectoryStream(Path.of("/dev/shm"), "vbuf-aeron-" + process.pid() + "-*")) {
                for (Path d : dirs) {
                    try (var walk = Files.walk(d)) {
                        walk.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                    }
                }
            } catch (IOException ignored) {
                // no /dev/shm
            }
        }
    }

    /** Runs ip with args: null if it worked, else what it said. */
    static String ip(String... args) throws Exception {
        var cmd = new ArrayList<String>();
        cmd.add("ip");
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            return p.waitFor() == 0 ? null : (out.isEmpty() ? "exit " + p.exitValue() : out);
        } catch (IOException e) {
            return e.getMessage();
        }
    }

    static void must(String... args) throws Exception {
        String err = ip(args);
        if (err != null) throw new IllegalStateException("ip " + String.join(" ", args) + ": " + err);
    }
}
