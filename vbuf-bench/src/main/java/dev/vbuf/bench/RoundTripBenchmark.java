package dev.vbuf.bench;

import dev.vbuf.pool.Consumer;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
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
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One thread, one frame's whole life: acquireFree, submitFilled, acquireFilled, releaseFilled.
 * The peer in the same run is seed 001's design: a free queue and a filled queue of buffers,
 * each an ArrayBlockingQueue (a mutex and two condition variables).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class RoundTripBenchmark {
    @Param({"1", "3"})
    int groups;

    FramePool pool;
    Consumer[] consumers;

    ArrayBlockingQueue<MemorySegment> free;
    ArrayBlockingQueue<MemorySegment> filled;
    Arena arena;

    @Setup(Level.Trial)
    public void setUp() {
        String[] names = new String[groups];
        for (int i = 0; i < groups; i++) names[i] = "g" + i;
        pool = FramePool.builder().count(8).bufferSize(4096).groups(names).jmx(false).build();
        consumers = new Consumer[groups];
        for (int i = 0; i < groups; i++) consumers[i] = pool.consumer(names[i]);
        arena = Arena.ofShared();
        free = new ArrayBlockingQueue<>(8);
        filled = new ArrayBlockingQueue<>(8);
        for (int i = 0; i < 8; i++) free.add(arena.allocate(4096, 4096));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        arena.close();
    }

    @Benchmark
    public long vbuf() {
        Frame f = pool.tryAcquireFree();
        f.submit();
        long s = 0;
        for (Consumer c : consumers) {
            Frame r = c.tryAcquireFilled();
            s += r.sequence();
            r.release();
        }
        return s;
    }

    /** Seed 001's BufferPool: ArrayBlockingQueue free and filled queues (one consumer group). */
    @Benchmark
    public long arrayBlockingQueuePool() throws InterruptedException {
        MemorySegment b = free.take();
        filled.put(b);
        MemorySegment r = filled.take();
        free.put(r);
        return r.address();
    }
}
