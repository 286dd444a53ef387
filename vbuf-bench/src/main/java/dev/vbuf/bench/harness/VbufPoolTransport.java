package dev.vbuf.bench.harness;

import dev.vbuf.pool.PoolBuilder;
import dev.vbuf.pool.Consumer;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import dev.vbuf.pool.Overflow;
import dev.vbuf.pool.WaitStrategy;

import java.lang.foreign.MemorySegment;

/**
 * vbuf's own hand-off: the producer writes into a pool buffer and submits it, the consumer
 * takes the same buffer, reads it in place and releases it. Nothing is copied. The pool is
 * declared one producer and one consumer per group (the single-writer path), as the pair is:
 * the other transports are one-to-one too (a socket, an exclusive Aeron publication). Both sides
 * spin while they wait (WaitStrategy.busySpin), or spin then sleep on the futex.
 *
 * <p>The pool holds at least 4 buffers and at least {@link #POOL_BYTES} (146 buffers at
 * 640x480, 22 at 1080p, 6 at 4K, 4 above; Aeron's IPC log here is 3 x 128 MiB at every size),
 * and hands out the buffer free longest first ({@code reuseOldestFirst}): a buffer's lines have
 * then left the consumer's cache when the producer writes it again. With 4 buffers reused last
 * released first, the producer wrote lines the consumer's core had just read, and paid for each
 * to be taken from that core: at 640x480 the same run gave 8,141-8,774 frames/s with 4 buffers
 * and 10,485-13,425 with 96 oldest first (docs/BENCHMARKS.md).
 */
final class VbufPoolTransport {
    static final int MIN_POOL_FRAMES = 4;
    static final long POOL_BYTES = 64L << 20;
    static final int MAX_POOL_FRAMES = 256;
    static final String GROUP = "bench";

    private VbufPoolTransport() {}

    /** Buffers in the pool for frames of {@code frameBytes}. */
    static int poolFrames(long frameBytes) {
        return (int) Math.max(MIN_POOL_FRAMES, Math.min(MAX_POOL_FRAMES, (POOL_BYTES + frameBytes - 1) / frameBytes));
    }

    /** An in-process pool for producer and consumer threads of one JVM. */
    static FramePool inProcessPool(long frameBytes) {
        return FramePool.builder().name("bench").count(poolFrames(frameBytes)).bufferSize(frameBytes).groups(GROUP)
                .singleProducer(true).singleConsumers(true).reuseOldestFirst(true)
                .overflow(Overflow.BLOCK).waitStrategy(WaitStrategy.busySpin()).jmx(false).build();
    }

    /** The producer's side of a shared pool: it creates the pool, named after its process. */
    static FramePool createShared(long frameBytes, boolean futex) {
        String name = "vbuf-bench-" + ProcessHandle.current().pid();
        return FramePool.builder().shared(name).count(poolFrames(frameBytes)).bufferSize(frameBytes).groups(GROUP)
                .singleProducer(true).singleConsumers(true).reuseOldestFirst(true)
                .overflow(Overflow.BLOCK).waitStrategy(futex ? WaitStrategy.futex() : WaitStrategy.busySpin())
                .jmx(false).build();
    }

    /** The consumer's side: attach to the producer's pool by name. */
    static FramePool attachShared(String name, boolean futex) {
        return FramePool.attach(name, new PoolBuilder.AttachOptions().reuseOldestFirst(true) // its releases queue in order
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
