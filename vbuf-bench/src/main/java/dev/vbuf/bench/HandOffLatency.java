package dev.vbuf.bench;

import com.lmax.disruptor.AlertException;
import com.lmax.disruptor.BlockingWaitStrategy;
import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.SequenceBarrier;
import com.lmax.disruptor.TimeoutException;
import dev.vbuf.pool.Consumer;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import dev.vbuf.pool.Overflow;
import dev.vbuf.pool.WaitStrategy;
import org.HdrHistogram.Histogram;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.jctools.queues.SpscArrayQueue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One-way hand-off latency between a producer thread and a consumer thread, vbuf against its
 * peers in the same run. The producer takes a free buffer, writes {@code System.nanoTime()} into
 * it and hands it over; the consumer, waiting, takes it, reads the stamp and records
 * {@code now - stamp} in an HdrHistogram, then gives the buffer back. One frame in flight at a
 * time: the producer sends the next one a fixed gap after the consumer has taken the previous.
 *
 * <ul>
 * <li><b>spin</b>: the consumer busy-spins (gap 5 µs): vbuf WaitStrategy.busySpin(), a poll loop
 *     with Thread.onSpinWait() for the queues, Agrona BusySpinIdleStrategy, Disruptor
 *     BusySpinWaitStrategy.</li>
 * <li><b>park</b>: the consumer is asleep when the frame comes (gap 500 µs): vbuf
 *     WaitStrategy.spinPark() (spin, yield, park 1 µs doubling to 100 µs); ArrayBlockingQueue
 *     take() (a condition variable: the producer's put wakes it); JCTools with vbuf's own
 *     back-off (it has no blocking of its own); Agrona BackoffIdleStrategy (its default: spin,
 *     yield, park 1 µs doubling to 1 ms); Disruptor BlockingWaitStrategy (lock + condition,
 *     signalled by publish).</li>
 * </ul>
 * Netty's allocator is not a hand-off, so it is not here (see RoundTripBenchmark and
 * ThroughputBenchmark). Run: {@code java -cp vbuf-bench/target/benchmarks.jar
 * dev.vbuf.bench.HandOffLatency [spinSamples [parkSamples]]}.
 */
public final class HandOffLatency {
    static final long BYTES = 4096;
    static final int COUNT = 8;

    /** A peer: the producer side hands a stamped buffer over, the consumer side waits for one. */
    interface Pipe {
        void send();

        /** Waits for the next buffer, returns the stamp it carries, gives the buffer back. */
        long receive() throws Exception;
    }

    private HandOffLatency() {}

    public static void main(String[] args) throws Exception {
        int spinSamples = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
        int parkSamples = args.length > 1 ? Integer.parseInt(args[1]) : 4_000;
        List<String> lines = new ArrayList<>();
        String load = loadAverage();
        for (boolean park : new boolean[] {false, true}) {
            int n = park ? parkSamples : spinSamples;
            long gap = park ? 500_000 : 5_000;
            long vbufP50 = 0;
            for (String peer : List.of("vbuf", "vbufSingleWriter", "arrayBlockingQueuePool", "jctoolsSpsc", "agronaOneToOneRingBuffer",
                    "disruptor")) {
                try (Arena arena = Arena.ofShared()) {
                    Pipe pipe = pipe(peer, park, arena);
                    Histogram h = measure(pipe, n, gap);
                    long p50 = h.getValueAtPercentile(50);
                    if (peer.equals("vbuf")) vbufP50 = p50;
                    lines.add(String.format(Locale.ROOT, "%-5s %-26s %8d %8d %8d %8d %9d %10d   %5.2f",
                            park ? "park" : "spin", peer, p50, h.getValueAtPercentile(90), h.getValueAtPercentile(99),
                            h.getValueAtPercentile(99.9), h.getMaxValue(), h.getTotalCount(), (double) p50 / vbufP50));
                }
            }
        }
        System.out.printf(Locale.ROOT, "%nOne-way hand-off latency, producer thread -> consumer thread (ns); load average"
                + " before: %s, after: %s%n", load, loadAverage());
        System.out.printf(Locale.ROOT, "%-5s %-26s %8s %8s %8s %8s %9s %10s   %s%n", "wait", "peer", "p50", "p90", "p99",
                "p99.9", "max", "samples", "p50 / vbuf p50");
        lines.forEach(System.out::println);
    }

    static String loadAverage() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim();
        } catch (java.io.IOException e) {
            return "n/a";
        }
    }

    static Histogram measure(Pipe pipe, int samples, long gapNanos) throws Exception {
        int warmup = Math.max(1000, samples / 5);
        Histogram h = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        Throwable[] failed = new Throwable[1];
        var done = new java.util.concurrent.atomic.AtomicLong();
        Thread consumer = new Thread(() -> {
            try {
                for (int i = 0; i < warmup + samples; i++) {
                    long stamp = pipe.receive();
                    long now = System.nanoTime();
                    if (i >= warmup) h.recordValue(Math.max(0, now - stamp));
                    done.lazySet(i + 1);
                }
            } catch (Throwable t) {
                failed[0] = t;
                done.set(Long.MAX_VALUE);
            }
        }, "latency-consumer");
        consumer.setDaemon(true);
        consumer.start();
        for (int i = 0; i < warmup + samples; i++) {
            while (done.get() < i) Thread.onSpinWait();
            if (failed[0] != null) break;
            long until = System.nanoTime() + gapNanos;
            while (System.nanoTime() < until) Thread.onSpinWait();
            pipe.send();
        }
        consumer.join(10_000);
        if (failed[0] != null) throw new IllegalStateException("consumer failed", failed[0]);
        return h;
    }

    static Pipe pipe(String peer, boolean park, Arena arena) {
        return switch (peer) {
            case "vbuf" -> vbuf(park, false);
            case "vbufSingleWriter" -> vbuf(park, true);
            case "arrayBlockingQueuePool" -> abq(park, arena);
            case "jctoolsSpsc" -> jctools(park, arena);
            case "agronaOneToOneRingBuffer" -> agrona(park, arena);
            case "disruptor" -> disruptor(park, arena);
            default -> throw new IllegalArgumentException(peer);
        };
    }

    /** {@code singleWriter}: the pool declares one producer and one consumer per group (release stores, no RMW where one party writes). */
    static Pipe vbuf(boolean park, boolean singleWriter) {
        FramePool pool = FramePool.builder().count(COUNT).bufferSize(BYTES).groups("g").overflow(Overflow.BLOCK)
                .singleProducer(singleWriter).singleConsumers(singleWriter)
                .waitStrategy(park ? WaitStrategy.spinPark() : WaitStrategy.busySpin()).jmx(false).build();
        Consumer c = pool.consumer("g");
        return new Pipe() {
            @Override
            public void send() {
                Frame f = pool.acquireFree();
                f.segment().set(ValueLayout.JAVA_LONG, 0, System.nanoTime());
                f.submit();
            }

            @Override
            public long receive() {
                Frame f = c.acquireFilled();
                long stamp = f.segment().get(ValueLayout.JAVA_LONG, 0);
                f.release();
                return stamp;
            }
        };
    }

    static Pipe abq(boolean park, Arena arena) {
        ArrayBlockingQueue<MemorySegment> free = new ArrayBlockingQueue<>(COUNT);
        ArrayBlockingQueue<MemorySegment> filled = new ArrayBlockingQueue<>(COUNT);
        for (MemorySegment b : Peers.buffers(arena, COUNT, BYTES)) free.add(b);
        return new Pipe() {
            @Override
            public void send() {
                MemorySegment b = free.poll();
                b.set(ValueLayout.JAVA_LONG, 0, System.nanoTime());
                filled.offer(b);
            }

            @Override
            public long receive() throws InterruptedException {
                MemorySegment b;
                if (park) {
                    b = filled.take();
                } else {
                    while ((b = filled.poll()) == null) Thread.onSpinWait();
                }
                long stamp = b.get(ValueLayout.JAVA_LONG, 0);
                free.offer(b);
                return stamp;
            }
        };
    }

    static Pipe jctools(boolean park, Arena arena) {
        SpscArrayQueue<MemorySegment> free = new SpscArrayQueue<>(COUNT);
        SpscArrayQueue<MemorySegment> filled = new SpscArrayQueue<>(COUNT);
        for (MemorySegment b : Peers.buffers(arena, COUNT, BYTES)) free.offer(b);
        WaitStrategy wait = park ? WaitStrategy.spinPark() : WaitStrategy.busySpin();
        return new Pipe() {
            @Override
            public void send() {
                MemorySegment b = free.poll();
                b.set(ValueLayout.JAVA_LONG, 0, System.nanoTime());
                filled.offer(b);
            }

            @Override
            public long receive() {
                MemorySegment b;
                int attempt = 0;
                while ((b = filled.poll()) == null) wait.idle(attempt++);
                long stamp = b.get(ValueLayout.JAVA_LONG, 0);
                free.offer(b);
                return stamp;
            }
        };
    }

    static Pipe agrona(boolean park, Arena arena) {
        MemorySegment[] buffers = Peers.buffers(arena, COUNT, BYTES);
        OneToOneRingBuffer free = new OneToOneRingBuffer(Peers.ringBufferMemory(COUNT));
        OneToOneRingBuffer filled = new OneToOneRingBuffer(Peers.ringBufferMemory(COUNT));
        for (int i = 0; i < COUNT; i++) RoundTripBenchmark.AgronaRingState.offer(free, i);
        IdleStrategy idle = park ? new BackoffIdleStrategy() : new BusySpinIdleStrategy();
        int[] taken = new int[1];
        int[] got = new int[1];
        MessageHandler handler = (type, buffer, index, length) -> taken[0] = buffer.getInt(index);
        MessageHandler h = (type, buffer, index, length) -> got[0] = buffer.getInt(index);
        return new Pipe() {
            @Override
            public void send() {
                free.read(handler, 1);
                buffers[taken[0]].set(ValueLayout.JAVA_LONG, 0, System.nanoTime());
                RoundTripBenchmark.AgronaRingState.offer(filled, taken[0]);
            }

            @Override
            public long receive() {
                idle.reset();
                while (filled.read(h, 1) == 0) idle.idle();
                long stamp = buffers[got[0]].get(ValueLayout.JAVA_LONG, 0);
                RoundTripBenchmark.AgronaRingState.offer(free, got[0]);
                return stamp;
            }
        };
    }

    static Pipe disruptor(boolean park, Arena arena) {
        RingBuffer<Peers.FrameEvent> rb = Peers.fill(RingBuffer.createSingleProducer(Peers.FrameEvent::new, COUNT,
                park ? new BlockingWaitStrategy() : new BusySpinWaitStrategy()), arena, BYTES);
        Sequence consumed = new Sequence(-1);
        rb.addGatingSequences(consumed);
        SequenceBarrier barrier = rb.newBarrier();
        return new Pipe() {
            @Override
            public void send() {
                long seq = rb.next();
                rb.get(seq).buffer.set(ValueLayout.JAVA_LONG, 0, System.nanoTime());
                rb.publish(seq);
            }

            @Override
            public long receive() throws AlertException, InterruptedException, TimeoutException {
                long next = consumed.get() + 1;
                barrier.waitFor(next);
                long stamp = rb.get(next).buffer.get(ValueLayout.JAVA_LONG, 0);
                consumed.set(next);
                return stamp;
            }
        };
    }
}
