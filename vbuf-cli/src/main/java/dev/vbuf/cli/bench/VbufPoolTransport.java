package dev.vbuf.cli.bench;

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
