package dev.vbuf.net;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.TestPattern;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import dev.vbuf.pool.Overflow;

import java.time.Duration;

/**
 * A sender process for {@link CrossProcessNetTest}: its own pool and media driver, frames of the
 * test pattern numbered from args[1], sent to 127.0.0.1:args[0] until it is killed.
 */
public final class SenderChild {
    public static void main(String[] args) {
        int port = Integer.parseInt(args[0]);
        long first = Long.parseLong(args[1]);
        FrameLayout layout = CrossProcessNetTest.LAYOUT;
        try (NetLink link = NetLink.embedded();
             FramePool pool = FramePool.builder().layout(layout).count(4).overflow(Overflow.BLOCK).groups("net").jmx(false).build();
             TestPattern pattern = new TestPattern(layout);
             var sender = new FrameSender(pool.consumer("net"), link.publication(NetTestSupport.unicast(port) + CrossProcessNetTest.SMALL_DATAGRAMS, 31), 0,
                     FrameSender.BackPressure.WAIT)) {
            Thread tx = new Thread(() -> sender.run(50_000_000L));
            tx.setDaemon(true);
            tx.start();
            System.out.println("sending");
            System.out.flush();
            for (long i = first; ; i++) {
                Frame f = pool.acquireFree(Duration.ofSeconds(60));
                if (f == null) throw new IllegalStateException("no free frame for 60 s");
                pattern.write(f.segment(), i);
                f.pts(i).submit();
            }
        }
    }

}
