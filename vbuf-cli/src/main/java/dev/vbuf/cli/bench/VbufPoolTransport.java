package dev.vbuf.cli.bench;

import dev.vbuf.pool.PoolBuilder;
import dev.vbuf.pool.Consumer;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import dev.vbuf.pool.Overflow;
import dev.vbuf.pool.WaitStrategy;

import java.lang.foreign.MemorySegment;

/**
 * vbuf's own hand-off: the producer writes into a pool buffer and submits it, the consumer
 * takes the same buffer, reads it in place and releases it. Nothing is copied. Both sides spin
 * while they wait (WaitStrategy.busySpin), the lowest-latency setting.
 */
final class VbufPoolTransport {
    static final int POOL_FRAMES = 4;
    static final String GROUP = "bench";

    private VbufPoolTransport() {}

    /** An in-process pool for producer and consumer threads of one JVM. */
    static FramePool inProcessPool(long frameBytes) {
        return FramePool.builder().name("bench").count(POOL_FRAMES).bufferSize(frameBytes).groups(GROUP)
                .overflow(Overflow.BLOCK).waitStrategy(WaitStrategy.busySpin()).jmx(false).build();
    }

    /** The producer's side of a shared pool: it creates the pool, named after its process. */
    static FramePool createShared(long frameBytes, boolean futex) {
        String name = "vbuf-bench-" + ProcessHandle.current().pid();
        return FramePool.builder().shared(name).count(POOL_FRAMES).bufferSize(frameBytes).groups(GROUP)
                .overflow(Overflow.BLOCK).waitStrategy(futex ? WaitStrategy.futex() : WaitStrategy.busySpin())
                .jmx(false).build();
    }

    /** The consumer's side: attach to the producer's pool by name. */
    static FramePool attachShared(String name, boolean futex) {
        return FramePool.attach(name, new PoolBuilder.AttachOptions()
                .waitStrategy(futex ? WaitStrategy.futex() : WaitStrategy.busySpin()).jmx(false));
    }

    /**
     * Waits (up to 60 s) until every buffer is back in the free ring, i.e. the consumer has
     * released the last frame: the creator closing the pool marks the end of the stream.
     */
    static void awaitDrained(FramePool pool) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (pool.getFreeCount() < pool.getTotalCount() && System.nanoTime() < deadline) Thread.sleep(1);
    }

    static Transport.Sender sender(FramePool pool) {
        return new Transport.Sender() {
            private Frame current;

            @Override
            public MemorySegment claim() {
                current = pool.acquireFree();
                return current.segment();
            }

            @Override
            public void send(MemorySegment frame, long frameBytes) {
                current.submit();
                current = null;
            }

            @Override
            public void close() {}
        };
    }

    static Transport.Receiver receiver(FramePool pool, String endpoint) {
        Consumer consumer = pool.consumer(GROUP);
        return new Transport.Receiver() {
            private Frame current;

            @Override
            public String endpoint() { return endpoint; }

            @Override
            public MemorySegment receive() {
                current = consumer.acquireFilled();
                return current.segment();
            }

            @Override
            public void done() {
                current.release();
                current = null;
            }

            @Override
            public void close() {}
        };
    }
}
