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
 * stream  CHANNEL STREAM FIRST WIDTH HEIGHT      frames FIRST, FIRST+1, ... until "stop" on stdin (or SIGKILL)
 * listen  CHANNEL STREAM 0 WIDTH HEIGHT          checks every frame, "verified PTS" each, until "stop" (or SIGKILL)
 * </pre>
 * After "stop", stream and listen print their result line too, with the pool's free buffers.
 */
public final class NetnsPeer {
    public static void main(String[] args) throws Exception {
        String role = args[0], channel = args[1];
        int stream = Integer.parseInt(args[2]);
        FrameLayout layout = FrameLayout.of(PixelFormat.NV12, Integer.parseInt(args[4]), Integer.parseInt(args[5]));
        switch (role) {
            case "send" -> send(channel, stream, Integer.parseInt(args[3]), layout);
            case "receive" -> receive(channel, stream, Double.parseDouble(args[3]), layout);
            case "stream" -> stream(channel, stream, Long.parseLong(args[3]), layout);
            case "listen" -> listen(channel, stream, layout);
            default -> throw new IllegalArgumentException("role " + role + " is not send, receive, stream or listen");
        }
    }

    /** Blocks until a line "stop" arrives on stdin (or stdin ends). */
    static void awaitStop() throws java.io.IOException {
        var in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in));
        for (String line; (line = in.readLine()) != null; ) if (line.equals("stop")) return;
    }

    static void stream(String channel, int stream, long first, FrameLayout layout) throws Exception {
        try (NetLink link = NetLink.embedded();
             FramePool pool = FramePool.builder().layout(layout).count(4).overflow(Overflow.BLOCK).groups("net").jmx(false)
                     .recordTimestamps(true).build();
             TestPattern pattern = new TestPattern(layout);
             var sender = new FrameSender(pool.consumer("net"), link.publication(channel, stream), 0, FrameSender.BackPressure.WAIT)) {
            var running = new java.util.concurrent.atomic.AtomicBoolean(true);
            Thread producer = new Thread(() -> {
                for (long i = first; running.get(); ) {
                    Frame f = pool.acquireFree(Duration.ofMillis(100));
                    if (f == null) continue;
                    pattern.write(f.segment(), i);
                    f.pts(i++).submit();
                }
            }, "producer");
            Thread tx = new Thread(() -> sender.run(50_000_000L), "sender");
            producer.start();
            tx.start();
            System.out.println("ready");
            System.out.flush();
            awaitStop();
            running.set(false);
            producer.join();
            sender.stop();
            tx.join();
            Consumer group = pool.consumer("net"); // frames made after the sender stopped are still queued for it
            for (Frame f = group.tryAcquireFilled(); f != null; f = group.tryAcquireFilled()) group.releaseFilled(f);
            var c = sender.counters();
            System.out.println("result frames=" + c.get(FrameSender.Counter.FRAMES) + " aborted=" + c.get(FrameSender.Counter.ABORTED)
                    + " free=" + pool.getFreeCount() + "/" + pool.getTotalCount());
        }
    }

    static void listen(String channel, int stream, FrameLayout layout) throws Exception {
        try (NetLink link = NetLink.embedded();
             FramePool pool = FramePool.builder().layout(layout).count(8).overflow(Overflow.DROP_OLDEST).groups("check").jmx(false)
                     .build();
             TestPattern pattern = new TestPattern(layout)) {
            // a frame timeout far above a loaded machine's stalls: a broken frame goes when its sender's image goes
            var receiver = new FrameReceiver(pool, link.subscription(channel, stream), 5_000_000_000L);
            var running = new java.util.concurrent.atomic.AtomicBoolean(true);
            Thread rx = new Thread(() -> receiver.run(running::get), "receiver");
            rx.start();
            Consumer group = pool.consumer("check");
            long[] checked = new long[2]; // verified, failures
            Thread checker = new Thread(() -> {
                long images = -1, broken = 0;
                while (running.get() || group.lag() > 0) {
                    long i = receiver.senders(), b = receiver.counters().get(FrameReceiver.Counter.LOST_TIMEOUT)
                            + receiver.counters().get(FrameReceiver.Counter.LOST_SENDER_GONE);
                    if (i != images || b != broken) { // senders come and go; frames they broke
                        images = i;
                        broken = b;
                        System.out.println("senders " + i + " broken " + b);
                        System.out.flush();
                    }
                    Frame f = group.acquireFilled(Duration.ofMillis(50));
                    if (f == null) continue;
                    long pts = f.pts(), bad = pattern.verify(f.segment(), pts);
                    group.releaseFilled(f);
                    if (bad >= 0) checked[1]++;
                    else checked[0]++;
                    System.out.println(bad >= 0 ? "failed frame " + pts + " at byte " + bad : "verified " + pts);
                    System.out.flush();
                }
            }, "checker");
            checker.start();
            System.out.println("ready");
            System.out.flush();
            awaitStop();
            running.set(false);
            rx.join();
            receiver.close(); // a frame still in hand goes back to the pool (counted lost)
            checker.join();
            var c = receiver.counters();
            System.out.println("result verified=" + checked[0] + " failures=" + checked[1] + " frames=" + c.get(FrameReceiver.Counter.FRAMES)
                    + " broken=" + (c.get(FrameReceiver.Counter.LOST_TIMEOUT) + c.get(FrameReceiver.Counter.LOST_SENDER_GONE)
                            + c.get(FrameReceiver.Counter.LOST_NEW_FRAME) + c.get(FrameReceiver.Counter.LOST_GAP))
                    + " lost=" + receiver.lost() + " free=" + pool.getFreeCount() + "/" + pool.getTotalCount());
        }
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
