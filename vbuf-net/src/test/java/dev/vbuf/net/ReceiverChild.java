package dev.vbuf.net;

import dev.vbuf.format.TestPattern;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import dev.vbuf.pool.Overflow;

import java.time.Duration;

/**
 * A receiver process for {@link CrossProcessNetTest}: its own driver and pool on
 * 127.0.0.1:args[0]; checks every frame against the pattern and prints "verified N" after each,
 * "failed ..." on a bad one, until it is killed.
 */
public final class ReceiverChild {
    public static void main(String[] args) {
        int port = Integer.parseInt(args[0]);
        try (NetLink link = NetLink.embedded();
             FramePool pool = FramePool.builder().layout(CrossProcessNetTest.LAYOUT).count(4).overflow(Overflow.BLOCK)
                     .groups("check").jmx(false).build();
             TestPattern pattern = new TestPattern(CrossProcessNetTest.LAYOUT)) {
            var receiver = new FrameReceiver(pool, link.subscription(NetTestSupport.unicast(port), 32), 300_000_000L);
            Thread rx = new Thread(() -> receiver.run(() -> true));
            rx.setDaemon(true);
            rx.start();
            System.out.println("sending");
            System.out.flush();
            var group = pool.consumer("check");
            long verified = 0;
            while (true) {
                Frame f = group.acquireFilled(Duration.ofSeconds(60));
                if (f == null) continue;
                long pts = f.pts();
                long bad = pattern.verify(f.segment(), pts);
                group.releaseFilled(f);
                System.out.println(bad >= 0 ? "failed frame " + pts + " at byte " + bad : "verified " + (++verified));
                System.out.flush();
            }
        }
    }
}
