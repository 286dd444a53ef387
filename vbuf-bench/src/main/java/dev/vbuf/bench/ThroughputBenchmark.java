package dev.vbuf.bench;

import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.YieldingWaitStrategy;
import dev.vbuf.pool.Consumer;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.agrona.concurrent.ManyToManyConcurrentArrayQueue;
import org.jctools.queues.MpmcArrayQueue;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Hand-off throughput between producer threads and consumer threads sharing the work: P
 * producers take a free buffer, write a stamp, hand it over; C consumers take filled buffers,
 * read the stamp, give them back. 64 buffers of 4 KiB. Each operation tries once and never
 * blocks (so an iteration can always end); the {@code frames} counter (JMH "aux" result) counts
 * the frames that reached a consumer, and is the figure to read. Thread counts come from
 * {@code -tg P,C}: run with {@code -tg 1,1}, {@code -tg 2,2} and {@code -tg 4,4}.
 *
 * <p>Peers, each in its own JMH group: seed 001's ArrayBlockingQueue pool; JCTools
 * MpmcArrayQueue and Agrona ManyToManyConcurrentArrayQueue as free and filled queues of
 * preallocated buffers; the LMAX Disruptor (multi-producer ring of preallocated frames; the
 * consumers share the work the way Disruptor 3's WorkerPool did — 4.0 dropped that class — by
 * claiming sequences from a shared work sequence, each gating the ring with its own sequence);
 * Netty's PooledByteBufAllocator (producer allocates a 4 KiB direct buffer, hands it over through
 * a JCTools MpmcArrayQueue, the consumer releases it: the cross-thread free path).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
        "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
        "-Dio.netty.tryReflectionSetAccessible=true"})
public class ThroughputBenchmark {
    static final int COUNT = 64;
    static final long BYTES = 4096;
    static final int MAX_CONSUMERS = 16;

    /**
     * frames: frames that reached a consumer (the result to read); empty: consumer attempts that
     * found nothing; sent: frames handed over; full: producer attempts that found no free buffer.
     */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Counters {
        public long frames;
        public long empty;
        public long sent;
        public long full;

        @Setup(Level.Iteration)
        public void reset() {
            frames = 0;
            empty = 0;
            sent = 0;
            full = 0;
        }
    }

    // ---------------------------------------------------------------- vbuf

    @State(Scope.Group)
    public static class VbufState {
        FramePool pool;
        Consumer consumer;

        @Setup(Level.Trial)
        public void setUp() {
            pool = FramePool.builder().count(COUNT).bufferSize(BYTES).groups("g").jmx(false).build();
            consumer = pool.consumer("g");
        }

        @TearDown(Level.Trial)
        public void tearDown() { pool.close(); }
    }

    @Benchmark
    @Group("vbuf")
    @GroupThreads(1)
    public void vbufProduce(VbufState s, Counters c) {
        Frame f = s.pool.tryAcquireFree();
        if (f == null) {
            c.full++;
            return;
        }
        f.segment().set(ValueLayout.JAVA_LONG, 0, 42L);
        f.submit();
        c.sent++;
    }

    @Benchmark
    @Group("vbuf")
    @GroupThreads(1)
    public long vbufConsume(VbufState s, Counters c) {
        Frame f = s.consumer.tryAcquireFilled();
        if (f == null) {
            c.empty++;
            return 0;
        }
        long v = f.segment().get(ValueLayout.JAVA_LONG, 0);
        f.release();
        c.frames++;
        return v;
    }

    // ---------------------------------------------------------------- seed 001: ArrayBlockingQueue pool

    @State(Scope.Group)
    public static class AbqState {
        Arena arena;
        ArrayBlockingQueue<MemorySegment> free, filled;

        @Setup(Level.Trial)
        public void setUp() {
            arena = Arena.ofShared();
            free = new ArrayBlockingQueue<>(COUNT);
            filled = new ArrayBlockingQueue<>(COUNT);
            for (MemorySegment b : Peers.buffers(arena, COUNT, BYTES)) free.add(b);
        }

        @TearDown(Level.Trial)
        public void tearDown() { arena.close(); }
    }

    @Benchmark
    @Group("arrayBlockingQueuePool")
    @GroupThreads(1)
    public void abqProduce(AbqState s, Counters c) {
        MemorySegment b = s.free.poll();
        if (b == null) {
            c.full++;
            return;
        }
        b.set(ValueLayout.JAVA_LONG, 0, 42L);
        s.filled.offer(b);
        c.sent++;
    }

    @Benchmark
    @Group("arrayBlockingQueuePool")
    @GroupThreads(1)
    public long abqConsume(AbqState s, Counters c) {
        MemorySegment b = s.filled.poll();
        if (b == null) {
            c.empty++;
            return 0;
        }
        long v = b.get(ValueLayout.JAVA_LONG, 0);
        s.free.offer(b);
        c.frames++;
        return v;
    }

    // ---------------------------------------------------------------- JCTools MpmcArrayQueue

    @State(Scope.Group)
    public static class JctoolsState {
        Arena arena;
        MpmcArrayQueue<MemorySegment> free, filled;

        @Setup(Level.Trial)
        public void setUp() {
            arena = Arena.ofShared();
            free = new MpmcArrayQueue<>(COUNT);
            filled = new MpmcArrayQueue<>(COUNT);
            for (MemorySegment b : Peers.buffers(arena, COUNT, BYTES)) free.offer(b);
        }

        @TearDown(Level.Trial)
        public void tearDown() { arena.close(); }
    }

    @Benchmark
    @Group("jctoolsMpmc")
    @GroupThreads(1)
    public void jctoolsProduce(JctoolsState s, Counters c) {
        MemorySegment b = s.free.poll();
        if (b == null) {
            c.full++;
            return;
        }
        b.set(ValueLayout.JAVA_LONG, 0, 42L);
        s.filled.offer(b);
        c.sent++;
    }

    @Benchmark
    @Group("jctoolsMpmc")
    @GroupThreads(1)
    public long jctoolsConsume(JctoolsState s, Counters c) {
        MemorySegment b = s.filled.poll();
        if (b == null) {
            c.empty++;
            return 0;
        }
        long v = b.get(ValueLayout.JAVA_LONG, 0);
        s.free.offer(b);
        c.frames++;
        return v;
    }

    // ---------------------------------------------------------------- Agrona ManyToManyConcurrentArrayQueue

    @State(Scope.Group)
    public static class AgronaState {
        Arena arena;
        ManyToManyConcurrentArrayQueue<MemorySegment> free, filled;

        @Setup(Level.Trial)
        public void setUp() {
            arena = Arena.ofShared();
            free = new ManyToManyConcurrentArrayQueue<>(COUNT);
            filled = new ManyToManyConcurrentArrayQueue<>(COUNT);
            for (MemorySegment b : Peers.buffers(arena, COUNT, BYTES)) free.offer(b);
        }

        @TearDown(Level.Trial)
        public void tearDown() { arena.close(); }
    }

    @Benchmark
    @Group("agronaManyToMany")
    @GroupThreads(1)
    public void agronaProduce(AgronaState s, Counters c) {
        MemorySegment b = s.free.poll();
        if (b == null) {
            c.full++;
            return;
        }
        b.set(ValueLayout.JAVA_LONG, 0, 42L);
        s.filled.offer(b);
        c.sent++;
    }

    @Benchmark
    @Group("agronaManyToMany")
    @GroupThreads(1)
    public long agronaConsume(AgronaState s, Counters c) {
        MemorySegment b = s.filled.poll();
        if (b == null) {
            c.empty++;
            return 0;
        }
        long v = b.get(ValueLayout.JAVA_LONG, 0);
        s.free.offer(b);
        c.frames++;
        return v;
    }

    // ---------------------------------------------------------------- LMAX Disruptor

    @State(Scope.Group)
    public static class DisruptorState {
        Arena arena;
        RingBuffer<Peers.FrameEvent> rb;
        /** The next sequence to hand to a consumer is work + 1 (WorkerPool's work sequence). */
        final Sequence work = new Sequence(-1);
        /** One gating sequence per consumer thread; unused ones stay at Long.MAX_VALUE (no constraint). */
        final Sequence[] consumers = new Sequence[MAX_CONSUMERS];
        final AtomicInteger registered = new AtomicInteger();

        @Setup(Level.Trial)
        public void setUp() {
            arena = Arena.ofShared();
            rb = Peers.fill(RingBuffer.createMultiProducer(Peers.FrameEvent::new, COUNT, new YieldingWaitStrategy()),
                    arena, BYTES);
            for (int i = 0; i < MAX_CONSUMERS; i++) consumers[i] = new Sequence(-1);
            rb.addGatingSequences(consumers);
            for (Sequence q : consumers) q.set(Long.MAX_VALUE);
        }

        @TearDown(Level.Trial)
        public void tearDown() { arena.close(); }
    }

    /** A consumer thread's claim on the Disruptor ring (WorkProcessor's loop, one step per call). */
    @State(Scope.Thread)
    public static class DisruptorConsumer {
        Sequence mine;
        long claimed = -1;

        @Setup(Level.Trial)
        public void setUp(DisruptorState s) {
            int i = s.registered.getAndIncrement();
            if (i >= MAX_CONSUMERS) throw new IllegalStateException("at most " + MAX_CONSUMERS + " consumer threads");
            mine = s.consumers[i];
            claim(s);
        }

        void claim(DisruptorState s) {
            long next;
            do {
                next = s.work.get() + 1;
                mine.set(next - 1);
            } while (!s.work.compareAndSet(next - 1, next));
            claimed = next;
        }
    }

    @Benchmark
    @Group("disruptor")
    @GroupThreads(1)
    public void disruptorProduce(DisruptorState s, Counters c) {
        long seq;
        try {
            seq = s.rb.tryNext();
        } catch (InsufficientCapacityException full) {
            c.full++;
            return;
        }
        s.rb.get(seq).buffer.set(ValueLayout.JAVA_LONG, 0, 42L);
        s.rb.publish(seq);
        c.sent++;
    }

    @Benchmark
    @Group("disruptor")
    @GroupThreads(1)
    public long disruptorConsume(DisruptorState s, DisruptorConsumer d, Counters c) {
        if (!s.rb.isAvailable(d.claimed)) {
            c.empty++;
            return 0;
        }
        long v = s.rb.get(d.claimed).buffer.get(ValueLayout.JAVA_LONG, 0);
        c.frames++;
        d.claim(s);
        return v;
    }

    // ---------------------------------------------------------------- Netty PooledByteBufAllocator

    @State(Scope.Group)
    public static class NettyState {
        final PooledByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
        MpmcArrayQueue<ByteBuf> filled;
        final AtomicInteger outstanding = new AtomicInteger();

        @Setup(Level.Trial)
        public void setUp() { filled = new MpmcArrayQueue<>(COUNT); }

        @TearDown(Level.Trial)
        public void tearDown() {
            ByteBuf b;
            while ((b = filled.poll()) != null) b.release();
        }
    }

    @Benchmark
    @Group("nettyPooledAllocator")
    @GroupThreads(1)
    public void nettyProduce(NettyState s, Counters c) {
        // at most COUNT buffers in flight, like the pools
        if (s.outstanding.incrementAndGet() > COUNT) {
            s.outstanding.decrementAndGet();
            c.full++;
            return;
        }
        ByteBuf b = s.alloc.directBuffer((int) BYTES, (int) BYTES);
        b.setLong(0, 42L);
        s.filled.offer(b);
        c.sent++;
    }

    @Benchmark
    @Group("nettyPooledAllocator")
    @GroupThreads(1)
    public long nettyConsume(NettyState s, Counters c) {
        ByteBuf b = s.filled.poll();
        if (b == null) {
            c.empty++;
            return 0;
        }
        long v = b.getLong(0);
        b.release();
        s.outstanding.decrementAndGet();
        c.frames++;
        return v;
    }
}
