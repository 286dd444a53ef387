package dev.vbuf.bench;

import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;
import dev.vbuf.pool.Consumer;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.agrona.concurrent.ManyToManyConcurrentArrayQueue;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.jctools.queues.SpscArrayQueue;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
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

/**
 * One thread, one frame's whole life: take a free buffer, write a stamp into it, hand it over as
 * filled, take it as the consumer, read the stamp, give it back. vbuf against, in the same run,
 * seed 001's ArrayBlockingQueue pool, JCTools' SpscArrayQueue, Agrona's OneToOneRingBuffer
 * (claim/commit of the buffer index) and ManyToManyConcurrentArrayQueue, the LMAX Disruptor
 * (a ring of preallocated frames), and Netty's PooledByteBufAllocator (allocate and release a
 * frame-sized direct buffer: what a user without a pool does). Each peer has its own state, so
 * a benchmark allocates only what it uses.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
        "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
        "-Dio.netty.tryReflectionSetAccessible=true"})
public class RoundTripBenchmark {
    static final int COUNT = 8;
    static final long BYTES = 4096;

    @State(Scope.Thread)
    public static class VbufState {
        @Param({"1", "3"})
        int groups;
        /** mpmc: any number of producers and consumers; single: one producer, one consumer per group (declared). */
        @Param({"mpmc", "single"})
        String roles;
        FramePool pool;
        Consumer[] consumers;

        @Setup(Level.Trial)
        public void setUp() {
            String[] names = new String[groups];
            for (int i = 0; i < groups; i++) names[i] = "g" + i;
            boolean single = roles.equals("single");
            pool = FramePool.builder().count(COUNT).bufferSize(BYTES).groups(names).jmx(false)
                    .singleProducer(single).singleConsumers(single).build();
            consumers = new Consumer[groups];
            for (int i = 0; i < groups; i++) consumers[i] = pool.consumer(names[i]);
        }

        @TearDown(Level.Trial)
        public void tearDown() { pool.close(); }
    }

    @Benchmark
    public long vbuf(VbufState s) {
        Frame f = s.pool.tryAcquireFree();
        f.segment().set(ValueLayout.JAVA_LONG, 0, 42L);
        f.submit();
        long sum = 0;
        for (Consumer c : s.consumers) {
            Frame r = c.tryAcquireFilled();
            sum += r.segment().get(ValueLayout.JAVA_LONG, 0);
            r.release();
        }
        return sum;
    }

    /**
     * The same round trip through Frame's checked accessors (a use after release throws), to
     * measure what the check costs against {@link #vbuf} (raw segments) in the same run.
     */
    @Benchmark
    public long vbufChecked(VbufState s) {
        Frame f = s.pool.tryAcquireFree();
        f.setLong(0, 42L);
        f.submit();
        long sum = 0;
        for (Consumer c : s.consumers) {
            Frame r = c.tryAcquireFilled();
            sum += r.getLong(0);
            r.release();
        }
        return sum;
    }

    /** Seed 001's BufferPool: a free queue and a filled queue, each an ArrayBlockingQueue. */
    @State(Scope.Thread)
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
    public long arrayBlockingQueuePool(AbqState s) throws InterruptedException {
        MemorySegment b = s.free.take();
        b.set(ValueLayout.JAVA_LONG, 0, 42L);
        s.filled.put(b);
        MemorySegment r = s.filled.take();
        long v = r.get(ValueLayout.JAVA_LONG, 0);
        s.free.put(r);
        return v;
    }

    @State(Scope.Thread)
    public static class JctoolsState {
        Arena arena;
        SpscArrayQueue<MemorySegment> free, filled;

        @Setup(Level.Trial)
        public void setUp() {
            arena = Arena.ofShared();
            free = new SpscArrayQueue<>(COUNT);
            filled = new SpscArrayQueue<>(COUNT);
            for (MemorySegment b : Peers.buffers(arena, COUNT, BYTES)) free.offer(b);
        }

        @TearDown(Level.Trial)
        public void tearDown() { arena.close(); }
    }

    @Benchmark
    public long jctoolsSpsc(JctoolsState s) {
        MemorySegment b = s.free.poll();
        b.set(ValueLayout.JAVA_LONG, 0, 42L);
        s.filled.offer(b);
        MemorySegment r = s.filled.poll();
        long v = r.get(ValueLayout.JAVA_LONG, 0);
        s.free.offer(r);
        return v;
    }

    @State(Scope.Thread)
    public static class AgronaQueueState {
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
    public long agronaManyToManyQueue(AgronaQueueState s) {
        MemorySegment b = s.free.poll();
        b.set(ValueLayout.JAVA_LONG, 0, 42L);
        s.filled.offer(b);
        MemorySegment r = s.filled.poll();
        long v = r.get(ValueLayout.JAVA_LONG, 0);
        s.free.offer(r);
        return v;
    }

    /** Agrona OneToOneRingBuffer, claim/commit of the buffer index; a second ring returns it. */
    @State(Scope.Thread)
    public static class AgronaRingState implements MessageHandler {
        Arena arena;
        MemorySegment[] buffers;
        OneToOneRingBuffer free, filled;
        int taken;

        @Setup(Level.Trial)
        public void setUp() {
            arena = Arena.ofShared();
            buffers = Peers.buffers(arena, COUNT, BYTES);
            free = new OneToOneRingBuffer(Peers.ringBufferMemory(COUNT));
            filled = new OneToOneRingBuffer(Peers.ringBufferMemory(COUNT));
            for (int i = 0; i < COUNT; i++) offer(free, i);
        }

        static boolean offer(OneToOneRingBuffer rb, int index) {
            int at = rb.tryClaim(Peers.MSG, 4);
            if (at <= 0) return false;
            rb.buffer().putInt(at, index);
            rb.commit(at);
            return true;
        }

        /** The index read from a ring (the handler is this preallocated object). */
        int take(OneToOneRingBuffer rb) {
            taken = -1;
            rb.read(this, 1);
            return taken;
        }

        @Override
        public void onMessage(int msgTypeId, org.agrona.MutableDirectBuffer buffer, int index, int length) {
            taken = buffer.getInt(index);
        }

        @TearDown(Level.Trial)
        public void tearDown() { arena.close(); }
    }

    @Benchmark
    public long agronaOneToOneRingBuffer(AgronaRingState s) {
        int i = s.take(s.free);
        s.buffers[i].set(ValueLayout.JAVA_LONG, 0, 42L);
        AgronaRingState.offer(s.filled, i);
        int r = s.take(s.filled);
        long v = s.buffers[r].get(ValueLayout.JAVA_LONG, 0);
        AgronaRingState.offer(s.free, r);
        return v;
    }

    /** The Disruptor: the ring's slots are the frames; a gating sequence stands for the consumer. */
    @State(Scope.Thread)
    public static class DisruptorState {
        Arena arena;
        RingBuffer<Peers.FrameEvent> rb;
        Sequence consumed = new Sequence(-1);

        @Setup(Level.Trial)
        public void setUp() {
            arena = Arena.ofShared();
            rb = Peers.fill(RingBuffer.createSingleProducer(Peers.FrameEvent::new, COUNT, new BusySpinWaitStrategy()),
                    arena, BYTES);
            rb.addGatingSequences(consumed);
        }

        @TearDown(Level.Trial)
        public void tearDown() { arena.close(); }
    }

    @Benchmark
    public long disruptor(DisruptorState s) {
        long seq = s.rb.next();
        s.rb.get(seq).buffer.set(ValueLayout.JAVA_LONG, 0, 42L);
        s.rb.publish(seq);
        long n = s.consumed.get() + 1;
        long v = s.rb.isAvailable(n) ? s.rb.get(n).buffer.get(ValueLayout.JAVA_LONG, 0) : -1;
        s.consumed.set(n);
        return v;
    }

    /**
     * Netty's pooled allocator: allocate a direct buffer of a frame's size, write, read, release.
     * 4096 B is served from the thread's cache; 1080p NV12 (3,110,400 B) fits a 4 MiB chunk;
     * 4K NV12 (12,441,600 B) is over the chunk size, so Netty allocates and frees it unpooled.
     */
    @State(Scope.Thread)
    public static class NettyState {
        @Param({"4096", "3110400", "12441600"})
        int frameBytes;
        PooledByteBufAllocator alloc;

        @Setup(Level.Trial)
        public void setUp() { alloc = PooledByteBufAllocator.DEFAULT; }
    }

    @Benchmark
    public long nettyPooledAllocator(NettyState s) {
        ByteBuf b = s.alloc.directBuffer(s.frameBytes, s.frameBytes);
        b.setLong(0, 42L);
        long v = b.getLong(0);
        b.release();
        return v;
    }
}
