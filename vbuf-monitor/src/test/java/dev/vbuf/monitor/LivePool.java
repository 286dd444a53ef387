package dev.vbuf.monitor;

import dev.vbuf.pool.Consumer;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import dev.vbuf.pool.Overflow;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * A private pool that publishes its statistics, with a paced producer and one consumer of group
 * "main" that can be made slow (it then holds each frame {@code slowMs}); drop-oldest, so a slow
 * consumer makes drops. For tests only.
 */
final class LivePool implements AutoCloseable {
    final FramePool pool;
    final String name;
    private final Thread producer, consumer;
    private volatile boolean running = true;
    private volatile boolean paused;
    private volatile boolean consumerIdle;
    volatile int slowMs;

    LivePool(String name, int fps) {
        this.name = name;
        this.pool = FramePool.builder().name(name).count(6).bufferSize(4096).groups("main")
                .overflow(Overflow.DROP_OLDEST).recordTimestamps(true).jmx(false).publishStats(true).build();
        long period = 1_000_000_000L / fps;
        producer = Thread.ofPlatform().daemon().name("live-producer").start(() -> {
            long next = System.nanoTime();
            while (running) {
                if (!paused) {
                    Frame f = pool.acquireFree(Duration.ofMillis(50));
                    if (f != null) f.submit();
                }
                next += period;
                long wait = next - System.nanoTime();
                if (wait > 0) LockSupport.parkNanos(wait);
                else next = System.nanoTime();
            }
        });
        Consumer c = pool.consumer("main");
        consumer = Thread.ofPlatform().daemon().name("live-consumer").start(() -> {
            while (running) {
                if (consumerIdle) {
                    LockSupport.parkNanos(5_000_000L);
                    continue;
                }
                Frame f = c.acquireFilled(Duration.ofMillis(50));
                if (f == null) continue;
                int ms = slowMs;
                if (ms > 0) LockSupport.parkNanos(ms * 1_000_000L);
                f.close();
            }
        });
    }

    /** Stops producing and waits until the consumer has drained everything (counters then stand still). */
    void pause() throws InterruptedException {
        paused = true;
        Thread.sleep(100);
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (pool.stats().groups().get(0).lag() + pool.stats().groups().get(0).held() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        consumerIdle = true;
        Thread.sleep(150); // its last acquire ends (50 ms timeout): every counter stands still from here
    }

    void resume() {
        consumerIdle = false;
        paused = false;
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        producer.join(2000);
        consumer.join(2000);
        pool.close();
    }
}
