package dev.vbuf.net;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.format.TestPattern;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import dev.vbuf.pool.Overflow;
import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.FrameDescriptor;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Not a test: throughput of vbuf-net against the floor of bare Aeron on the same channel, in the
 * same run (scripts/net-bench runs it). Both move the same frames (test pattern written by the
 * producer, every byte checked by the reader) through two embedded media drivers over UDP on the
 * loopback:
 * <ul>
 *   <li>floor: the frame offered in messages of the channel's largest size from a plain buffer,
 *       each fragment copied into one receive buffer (what Aeron's FragmentAssembler would do,
 *       without its growth), checked there; no pool.</li>
 *   <li>vbuf: pool -> FrameSender (one fragment per chunk, tryClaim) -> FrameReceiver -> pool,
 *       checked in the receiving pool.</li>
 *   <li>vbuf, big chunks: the same with chunks of the channel's largest message (offer of a slice).</li>
 * </ul>
 * Args: frames per run (default 150), then sizes (default 1080p 4k), e.g. {@code 150 1080p 4k}.
 */
public final class NetBench {
    private NetBench() {}

    public static void main(String[] args) throws Exception {
        int frames = args.length > 0 ? Integer.parseInt(args[0]) : 150;
        String[] sizes = args.length > 1 ? Arrays.copyOfRange(args, 1, args.length) : new String[] {"1080p", "4k"};
        System.out.printf(Locale.ROOT, "vbuf-net bench: %d frames per run, NV12, UDP loopback, two embedded drivers; load %s%n",
                frames, java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).strip());
        System.out.printf(Locale.ROOT, "%-6s %-22s %9s %9s %8s%n", "size", "path", "frames/s", "GB/s", "ratio");
        try (NetLink tx = NetLink.embedded(); NetLink rx = NetLink.embedded()) {
            for (String s : sizes) {
                FrameLayout layout = switch (s) {
                    case "1080p" -> FrameLayout.of(PixelFormat.NV12, 1920, 1080);
                    case "4k" -> FrameLayout.of(PixelFormat.NV12, 3840, 2160);
                    case "720p" -> FrameLayout.of(PixelFormat.NV12, 1280, 720);
                    default -> throw new IllegalArgumentException("size " + s + " is not one of 720p, 1080p, 4k");
                };
                double floor = floor(tx, rx, layout, frames);
                row(s, "bare Aeron (floor)", floor, layout, floor);
                row(s, "vbuf, tryClaim chunks", vbuf(tx, rx, layout, frames, false), layout, floor);
                row(s, "vbuf, offer big chunks", vbuf(tx, rx, layout, frames, true), layout, floor);
            }
        }
    }

    static final String PARAMS = "|term-length=64m|mtu=8k";
    static int port = 41000 + (int) (ProcessHandle.current().pid() % 1000);

    static void row(String size, String path, double fps, FrameLayout l, double floor) {
        System.out.printf(Locale.ROOT, "%-6s %-22s %9.1f %9.3f %8.2f%n", size, path, fps, fps * l.frameBytes() / 1e9, fps / floor);
    }

    static double floor(NetLink tx, NetLink rx, FrameLayout layout, int frames) throws Exception {
        String ch = "aeron:udp?endpoint=127.0.0.1:" + (port++) + PARAMS;
        int bytes = (int) layout.frameBytes();
        try (Arena arena = Arena.ofShared(); TestPattern pattern = new TestPattern(layout);
             Subscription sub = rx.subscription(ch, 1); ExclusivePublication pub = tx.publication(ch, 1)) {
            MemorySegment src = arena.allocate(bytes, 64), dst = arena.allocate(bytes, 64);
            UnsafeBuffer srcBuf = new UnsafeBuffer(src.address(), bytes), dstBuf = new UnsafeBuffer(dst.address(), bytes);
            UnsafeBuffer head = new UnsafeBuffer(new byte[16]);
            while (!pub.isConnected()) Thread.sleep(1);
            var done = new AtomicLong();
            var bad = new AtomicLong();
            var running = new AtomicBoolean(true);
            long[] pos = {0};
            FragmentHandler h = (b, off, len, hdr) -> {
                int from = off, n = len;
                if ((hdr.flags() & FrameDescriptor.BEGIN_FRAG_FLAG) != 0) {
                    pos[0] = b.getLong(off + 8);
                    from += 16;
                    n -= 16;
                }
                b.getBytes(from, dstBuf, (int) pos[0], n);
                pos[0] += n;
                if (pos[0] == bytes && (hdr.flags() & FrameDescriptor.END_FRAG_FLAG) != 0) {
                    long f = done.get();
                    if (pattern.verify(dst, f) >= 0) bad.incrementAndGet();
                    done.set(f + 1);
                }
            };
            // the same back-off idling as FrameSender and FrameReceiver: on 2 busy cores a bare spin starves the drivers
            Thread reader = new Thread(() -> {
                var idle = new BackoffIdleStrategy();
                while (running.get()) idle.idle(sub.poll(h, 64));
            });
            reader.start();
            int msg = pub.maxMessageLength() - 16;
            var idle = new BackoffIdleStrategy();
            long t0 = System.nanoTime();
            for (int f = 0; f < frames; f++) {
                pattern.write(src, f);
                for (int off = 0; off < bytes; off += msg) {
                    int n = Math.min(msg, bytes - off);
                    head.putLong(0, f);
                    head.putLong(8, off);
                    while (pub.offer(head, 0, 16, srcBuf, off, n) < 0) idle.idle();
                    idle.reset();
                }
                while (done.get() < f - 3) idle.idle(); // at most four frames in flight, as in the pools below
                idle.reset();
            }
            while (done.get() < frames) idle.idle();
            double secs = (System.nanoTime() - t0) / 1e9;
            running.set(false);
            reader.join();
            if (bad.get() != 0) throw new IllegalStateException(bad.get() + " frames failed the check on the floor path");
            return frames / secs;
        }
    }

    static double vbuf(NetLink tx, NetLink rx, FrameLayout layout, int frames, boolean big) throws Exception {
        String ch = "aeron:udp?endpoint=127.0.0.1:" + (port++) + PARAMS;
        try (FramePool src = FramePool.builder().layout(layout).count(4).overflow(Overflow.BLOCK).groups("net").jmx(false).build();
             FramePool dst = FramePool.builder().layout(layout).count(4).overflow(Overflow.BLOCK).groups("check").jmx(false).build();
             TestPattern pattern = new TestPattern(layout)) {
            var receiver = new FrameReceiver(dst, rx.subscription(ch, 1), 5_000_000_000L);
            ExclusivePublication pub = tx.publication(ch, 1);
            var sender = new FrameSender(src.consumer("net"), pub, big ? pub.maxMessageLength() : 0, FrameSender.BackPressure.WAIT);
            var running = new AtomicBoolean(true);
            Thread r = new Thread(() -> receiver.run(running::get));
            Thread s = new Thread(() -> sender.run(10_000_000L));
            r.start();
            s.start();
            while (receiver.senders() == 0) Thread.sleep(1);
            Thread producer = new Thread(() -> {
                for (int f = 0; f < frames; f++) {
                    Frame fr = src.acquireFree(Duration.ofSeconds(60));
                    pattern.write(fr.segment(), f);
                    fr.pts(f).submit();
                }
                src.markEndOfStream();
            });
            long t0 = System.nanoTime();
            producer.start();
            var group = dst.consumer("check");
            long bad = 0;
            for (int f = 0; f < frames; f++) {
                Frame fr = group.acquireFilled(Duration.ofSeconds(60));
                if (fr == null) throw new IllegalStateException("no frame for 60 s: " + receiver.counters() + " " + sender.counters());
                if (fr.pts() != f || pattern.verify(fr.segment(), f) >= 0) bad++;
                group.releaseFilled(fr);
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            producer.join();
            s.join();
            running.set(false);
            r.join();
            sender.close();
            receiver.close();
            if (bad != 0) throw new IllegalStateException(bad + " frames failed the check on the vbuf path");
            return frames / secs;
        }
    }
}
