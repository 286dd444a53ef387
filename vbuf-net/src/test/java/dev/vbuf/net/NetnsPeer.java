package dev.vbuf.net;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.format.TestPattern;
import dev.vbuf.pool.Consumer;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import dev.vbuf.pool.Overflow;
import io.aeron.ExclusivePublication;
import io.aeron.driver.status.SystemCounterDescriptor;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

/**
 * One end of {@link NetnsTest}, run in a network namespace of its own with its own media driver
 * ({@code ip netns exec NS java ... NetnsPeer ...}). Prints "ready" when it listens or sends, then
 * one "result key=value ..." line and exits.
 *
 * <pre>
 * send    CHANNEL STREAM FRAMES WIDTH HEIGHT     frames 0..FRAMES-1 of the test pattern (NV12), then end of stream
 * receive CHANNEL STREAM LOSS_RATE WIDTH HEIGHT  into a pool of 8 (block); checks every frame until end of stream
 * </pre>
 */
public final class NetnsPeer {
    public static void main(String[] args) throws Exception {
        String role = args[0], channel = args[1];
        int stream = Integer.parseInt(args[2]);
        FrameLayout layout = FrameLayout.of(PixelFormat.NV12, Integer.parseInt(args[4]), Integer.parseInt(args[5]));
        if (role.equals("send")) send(channel, stream, Integer.parseInt(args[3]), layout);
        else receive(channel, stream, Double.parseDouble(args[3]), layout);
    }

    static void send(String channel, int stream, int frames, FrameLayout layout) throws Exception {
        try (NetLink link = NetLink.embedded();
             FramePool pool = FramePool.builder().layout(layout).count(4).overflow(Overflow.BLOCK).groups("net").jmx(false)
                     .recordTimestamps(true).build();
             TestPattern pattern = new TestPattern(layout)) {
            ExclusivePublication pub = link.publication(channel, stream);
            try (var sender = new FrameSender(pool.consumer("net"), pub, 0, FrameSender.BackPressure.WAIT)) {
                System.out.println("ready");
                System.out.flush();
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (!pub.isConnected() && System.nanoTime() < deadline) Thread.sleep(5);
                if (!pub.isConnected()) throw new IllegalStateException("no receiver connected to " + channel + " within 60 s");
                Thread producer = new Thread(() -> {
                    for (int i = 0; i < frames; i++) {
                        Frame f = pool.acquireFree(Duration.ofSeconds(60));
                        if (f == null) throw new IllegalStateException("no free frame for 60 s at frame " + i);
                        pattern.write(f.segment(), i);
                        f.pts(i).captureTimeNs(System.nanoTime());
                        f.submit();
                    }
                    pool.markEndOfStream();
                }, "producer");
                producer.start();
                boolean ended = sender.run(50_000_000L);
                boolean delivered = sender.awaitDelivered(30_000_000_000L, link::repairs);
                producer.join();
                var c = sender.counters();
                System.out.println("result ended=" + ended + " delivered=" + delivered
                        + " frames=" + c.get(FrameSender.Counter.FRAMES)
                        + " aborted=" + c.get(FrameSender.Counter.ABORTED)
                        + " droppedBackPressure=" + c.get(FrameSender.Counter.DROPPED_BACK_PRESSURE)
                        + " droppedNotConnected=" + c.get(FrameSender.Counter.DROPPED_NOT_CONNECTED)
                        + " retransmits=" + link.driverCounter(SystemCounterDescriptor.RETRANSMITS_SENT)
                        + " free=" + pool.getFreeCount() + "/" + pool.getTotalCount());
            }
        }
    }

    static void receive(String channel, int stream, double loss, FrameLayout layout) throws Exception {
        try (NetLink link = NetLink.embedded(loss, 0);
             FramePool pool = FramePool.builder().layout(layout).count(8).overflow(Overflow.BLOCK).groups("check").jmx(false)
                     .recordTimestamps(true).build();
             TestPattern pattern = new TestPattern(layout)) {
            var receiver = new FrameReceiver(pool, link.subscription(channel, stream), 1_000_000_000L);
            var checked = new long[3]; // verified, failures, duplicates
            var firstFailure = new String[1];
            Set<Long> seen = new HashSet<>();
            Consumer group = pool.consumer("check");
            Thread checker = new Thread(() -> {
                while (true) {
                    Frame f = group.acquireFilled(Duration.ofMillis(50));
                    if (f == null) {
                        if (pool.endOfStream() && group.lag() == 0) return;
                        continue;
                    }
                    try {
                        if (f.isEndOfStream() && f.payloadSize() == 0) continue;
                        long pts = f.pts();
                        long bad = pattern.verify(f.segment(), pts);
                        if (!seen.add(pts)) {
                            checked[2]++;
                            if (firstFailure[0] == null) firstFailure[0] = "frame " + pts + " twice";
                        } else if (bad >= 0) {
                            checked[1]++;
                            if (firstFailure[0] == null) firstFailure[0] = "frame " + pts + ": byte " + bad + " differs";
                        } else {
                            checked[0]++;
                        }
                    } finally {
                        group.releaseFilled(f);
                    }
                }
            }, "checker");
            checker.start();
            System.out.println("ready");
            System.out.flush();
            long[] last = {System.nanoTime(), 0};
            var c = receiver.counters();
            boolean ended = receiver.run(() -> {
                long n = c.get(FrameReceiver.Counter.CHUNKS) + c.get(FrameReceiver.Counter.STALLS);
                if (n != last[1]) {
                    last[1] = n;
                    last[0] = System.nanoTime();
                }
                return System.nanoTime() - last[0] < 60_000_000_000L;
            });
            if (!ended) pool.markEndOfStream();
            checker.join();
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (pool.getFreeCount() != pool.getTotalCount() && System.nanoTime() < deadline) Thread.sleep(1);
            System.out.println("result ended=" + ended + " verified=" + checked[0] + " failures=" + checked[1]
                    + " duplicates=" + checked[2] + " frames=" + c.get(FrameReceiver.Counter.FRAMES) + " lost=" + receiver.lost()
                    + " naks=" + link.driverCounter(SystemCounterDescriptor.NAK_MESSAGES_SENT)
                    + " free=" + pool.getFreeCount() + "/" + pool.getTotalCount()
                    + (firstFailure[0] != null ? " first=" + firstFailure[0].replace(' ', '_') : ""));
            receiver.close();
        }
    }
}
