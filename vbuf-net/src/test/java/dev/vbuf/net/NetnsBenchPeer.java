package dev.vbuf.net;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.format.TestPattern;
import dev.vbuf.pool.Consumer;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import dev.vbuf.pool.Overflow;
import io.aeron.ExclusivePublication;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;

/**
 * Not a test: one end of scripts/net-netns-bench, run in a network namespace. Moves FRAMES frames
 * of WIDTHxHEIGHT RGBA from the sending namespace to the receiving one; the producer writes every
 * byte (the test pattern) and the receiver checks every byte. Prints "ready", then one
 * "result key=value ..." line: the receiver frames/s and GB/s from its first frame to its last,
 * latency p50/p99 from the sender's submit to the frame complete at the receiver (one clock: both
 * namespaces are on one machine), and this process's CPU time over the run.
 *
 * <pre>
 * aeron-send CHANNEL FRAMES W H | aeron-recv CHANNEL FRAMES W H     vbuf pools over Aeron UDP
 * tcp-send HOST:PORT FRAMES W H | tcp-recv PORT FRAMES W H            a plain TCP socket, one frame buffer each side
 * </pre>
 */
public final class NetnsBenchPeer {
    private NetnsBenchPeer() {}

    public static void main(String[] args) throws Exception {
        String role = args[0], where = args[1];
        int frames = Integer.parseInt(args[2]);
        FrameLayout layout = FrameLayout.of(PixelFormat.RGBA, Integer.parseInt(args[3]), Integer.parseInt(args[4]));
        switch (role) {
            case "aeron-send" -> aeronSend(where, frames, layout);
            case "aeron-recv" -> aeronRecv(where, frames, layout);
            case "tcp-send" -> tcpSend(where, frames, layout);
            case "tcp-recv" -> tcpRecv(Integer.parseInt(where), frames, layout);
            default -> throw new IllegalArgumentException("role " + role);
        }
    }

    static long cpu() {
        return ProcessHandle.current().info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(0L);
    }

    static void ready() {
        System.out.println("ready");
        System.out.flush();
    }

    static void aeronSend(String channel, int frames, FrameLayout layout) throws Exception {
        try (NetLink link = NetLink.embedded();
             FramePool pool = FramePool.builder().layout(layout).count(4).overflow(Overflow.BLOCK).groups("net").jmx(false)
                     .recordTimestamps(true).build();
             TestPattern pattern = new TestPattern(layout)) {
            ExclusivePublication pub = link.publication(channel, 3001);
            try (var sender = new FrameSender(pool.consumer("net"), pub, 0, FrameSender.BackPressure.WAIT)) {
                ready();
                while (!pub.isConnected()) Thread.sleep(1);
                long cpu0 = cpu();
                Thread producer = Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < frames; i++) {
                        Frame f = pool.acquireFree(Duration.ofSeconds(60));
                        pattern.write(f.segment(), i);
                        f.pts(i).submit();
                    }
                    pool.markEndOfStream();
                });
                sender.run(50_000_000L);
                sender.awaitDelivered(30_000_000_000L, link::repairs);
                producer.join();
                System.out.printf(Locale.ROOT, "result cpuMs=%.1f frames=%d retransmits=%d%n", (cpu() - cpu0) / 1e6,
                        sender.counters().get(FrameSender.Counter.FRAMES), link.retransmitsSent());
            }
        }
    }

    static void aeronRecv(String channel, int frames, FrameLayout layout) throws Exception {
        try (NetLink link = NetLink.embedded();
             FramePool pool = FramePool.builder().layout(layout).count(4).overflow(Overflow.BLOCK).groups("check").jmx(false)
                     .recordTimestamps(true).build();
             TestPattern pattern = new TestPattern(layout)) {
            var receiver = new FrameReceiver(pool, link.subscription(channel, 3001), 1_000_000_000L);
            Consumer group = pool.consumer("check");
            long[] t = {0, 0, 0, 0}; // first, last, verified, failures
            Thread checker = Thread.ofPlatform().start(() -> {
                while (true) {
                    Frame f = group.acquireFilled(Duration.ofMillis(50));
                    if (f == null) {
                        if (pool.endOfStream() && group.lag() == 0) return;
                        continue;
                    }
                    try {
                        if (f.isEndOfStream() && f.payloadSize() == 0) continue;
                        if (pattern.verify(f.segment(), f.pts()) >= 0) t[3]++;
                        else t[2]++;
                    } finally {
                        group.releaseFilled(f);
                    }
                }
            });
            ready();
            long cpu0 = -1;
            var c = receiver.counters();
            var idle = new org.agrona.concurrent.BackoffIdleStrategy();
            while (!receiver.endOfStream()) {
                int n = receiver.poll(64);
                if (n > 0 && cpu0 < 0) cpu0 = cpu();
                long got = c.get(FrameReceiver.Counter.FRAMES);
                if (got == 1 && t[0] == 0) t[0] = System.nanoTime();
                idle.idle(n);
            }
            t[1] = System.nanoTime();
            checker.join();
            long cpu1 = cpu();
            long n = c.get(FrameReceiver.Counter.FRAMES);
            double secs = (t[1] - t[0]) / 1e9;
            System.out.printf(Locale.ROOT, "result fps=%.2f gbps=%.3f p50us=%.0f p99us=%.0f cpuMs=%.1f frames=%d verified=%d"
                            + " failures=%d lost=%d naks=%d%n", (n - 1) / secs, (n - 1) * (double) layout.frameBytes() / secs / 1e9,
                    receiver.latency().valueAt(50) / 1e3, receiver.latency().valueAt(99) / 1e3, (cpu1 - cpu0) / 1e6, n, t[2], t[3],
                    receiver.lost(), link.naksSent());
            receiver.close();
        }
    }

    /** A TCP frame: pts, send time, then the frame's bytes. */
    static final int TCP_HEADER = 16;

    static void tcpSend(String to, int frames, FrameLayout layout) throws Exception {
        int colon = to.lastIndexOf(':');
        try (Arena arena = Arena.ofConfined(); TestPattern pattern = new TestPattern(layout)) {
            MemorySegment frame = arena.allocate(layout.frameBytes(), 64);
            ByteBuffer body = frame.asByteBuffer();
            ByteBuffer header = ByteBuffer.allocateDirect(TCP_HEADER).order(ByteOrder.LITTLE_ENDIAN);
            SocketChannel ch = null;
            ready();
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (ch == null) {
                try {
                    ch = SocketChannel.open(new InetSocketAddress(to.substring(0, colon), Integer.parseInt(to.substring(colon + 1))));
                } catch (java.io.IOException e) {
                    if (System.nanoTime() > deadline) throw e;
                    Thread.sleep(20);
                }
            }
            try (SocketChannel c = ch) {
                c.socket().setTcpNoDelay(true);
                long cpu0 = cpu();
                ByteBuffer[] both = {header, body};
                for (int i = 0; i < frames; i++) {
                    pattern.write(frame, i);
                    header.clear();
                    header.putLong(i).putLong(System.nanoTime()).flip();
                    body.clear();
                    while (body.hasRemaining()) c.write(both);
                }
                c.shutdownOutput();
                c.read(ByteBuffer.allocate(1)); // the receiver closes when it has everything
                System.out.printf(Locale.ROOT, "result cpuMs=%.1f frames=%d%n", (cpu() - cpu0) / 1e6, frames);
            }
        }
    }

    static void tcpRecv(int port, int frames, FrameLayout layout) throws Exception {
        try (Arena arena = Arena.ofConfined(); TestPattern pattern = new TestPattern(layout);
             ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(port));
            MemorySegment frame = arena.allocate(layout.frameBytes(), 64);
            ByteBuffer body = frame.asByteBuffer();
            ByteBuffer header = ByteBuffer.allocateDirect(TCP_HEADER).order(ByteOrder.LITTLE_ENDIAN);
            ready();
            try (SocketChannel ch = server.accept()) {
                long cpu0 = cpu();
                long[] lat = new long[frames];
                long first = 0, last = 0, verified = 0, failures = 0;
                int n = 0;
                ByteBuffer[] both = {header, body};
                for (; n < frames; n++) {
                    header.clear();
                    body.clear();
                    boolean eof = false;
                    while (body.hasRemaining()) {
                        if (ch.read(both) < 0) {
                            eof = true;
                            break;
                        }
                    }
                    if (eof) break;
                    long now = System.nanoTime();
                    long pts = header.getLong(0);
                    lat[n] = now - header.getLong(8);
                    if (n == 0) first = now;
                    last = now;
                    if (pattern.verify(frame, pts) >= 0) failures++;
                    else verified++;
                }
                long cpu1 = cpu();
                double secs = (last - first) / 1e9;
                long[] l = Arrays.copyOf(lat, n);
                Arrays.sort(l);
                System.out.printf(Locale.ROOT, "result fps=%.2f gbps=%.3f p50us=%.0f p99us=%.0f cpuMs=%.1f frames=%d verified=%d"
                                + " failures=%d lost=%d naks=0%n", (n - 1) / secs, (n - 1) * (double) layout.frameBytes() / secs / 1e9,
                        l[n / 2] / 1e3, l[Math.min(n - 1, (int) Math.ceil(n * 0.99) - 1)] / 1e3, (cpu1 - cpu0) / 1e6, n,
                        verified, failures, frames - n);
            }
        }
    }
}
