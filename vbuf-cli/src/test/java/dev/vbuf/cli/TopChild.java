package dev.vbuf.cli;

import dev.vbuf.pool.Consumer;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import dev.vbuf.pool.Overflow;

import java.io.IOException;

/**
 * A child JVM for {@link TopCommandTest}: builds a shared pool ("shared NAME") or a private pool
 * that publishes its statistics ("private NAME"), puts known traffic through it (10 frames read
 * by group 'fast'; 'slow' holds one and has the rest dropped), prints "ready" and then stands
 * still, holding its frame, until its standard input closes (or it is killed).
 */
public final class TopChild {
    public static void main(String[] args) throws IOException {
        var b = FramePool.builder().count(4).bufferSize(4096).groups("fast", "slow").overflow(Overflow.DROP_OLDEST)
                .recordTimestamps(true).jmx(false);
        FramePool pool = args[0].equals("shared") ? b.shared(args[1]).build() : b.name(args[1]).publishStats(true).build();
        Consumer fast = pool.consumer("fast"), slow = pool.consumer("slow");
        for (int i = 0; i < 10; i++) {
            pool.tryAcquireFree().submit();
            fast.tryAcquireFilled().close();
        }
        Frame held = slow.tryAcquireFilled();
        System.out.println("ready " + ProcessHandle.current().pid());
        System.out.flush();
        while (System.in.read() >= 0) {
            // stand still until the parent closes our input
        }
        held.close();
        pool.close();
    }
}
