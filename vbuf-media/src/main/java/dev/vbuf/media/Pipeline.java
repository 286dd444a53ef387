package dev.vbuf.media;

import dev.vbuf.memory.AlignedAllocator;
import dev.vbuf.memory.Allocator;
import dev.vbuf.pool.Consumer;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import dev.vbuf.pool.Overflow;
import dev.vbuf.stats.PoolStats;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * Source → pool → sinks. The pool has one consumer group per sink ("sink0", "sink1" ...),
 * so every sink sees every picture; one thread runs the source, one thread per sink takes
 * frames and hands them to it. When {@code produce} returns, the pipeline submits one
 * end-of-stream frame (payload 0, {@code FLAG_END_OF_STREAM}); each sink thread then calls
 * {@code finish()}. Hand-off latency (submit → taken by the sink thread) is recorded per frame.
 *
 * <p>After an error anywhere the pipeline asks the source to stop; a sink that failed keeps
 * draining (releasing) its frames so the source is never blocked by a dead sink, and every
 * slot is back in the pool when {@link #run} returns.
 */
public final class Pipeline {
    /** Pool settings. {@code frames} null: sized from what the source and sinks may hold. */
    public record Options(String name, Integer frames, Overflow overflow, Allocator allocator) {
        public static Options defaults() {
            return new Options("vbuf-media", null, Overflow.BLOCK, new AlignedAllocator());
        }
    }

    /** The end of a run. */
    public record Result(PoolStats pool, int poolFrames, long bufferBytes, long wallNanos, Histogram handoff,
                         Histogram produce, Throwable sourceError, List<Throwable> sinkErrors, int slotsBack) {
        public boolean ok() {
            return sourceError == null && sinkErrors.isEmpty();
        }
    }

    private Pipeline() {}

    /** Minimum pool: what the source and the sinks may hold, plus one queued per sink and one spare. */
    public static int minimumFrames(Source source, List<Sink> sinks) {
        int held = source.maxHeldFrames();
        for (Sink s : sinks) held += s.maxHeldFrames() + 1;
        return Math.max(4, held + 2);
    }

    /**
     * Runs to the end.
     *
     * @param status called about once a second on the calling thread with the pool and the
     *               counters, for a status line; may be null
     */
    public static Result run(Source source, List<Sink> sinks, Options o, MediaCounters c,
                             BiConsumer<FramePool, MediaCounters> status) throws InterruptedException {
        StreamInfo info = source.info();
        int frames = Math.max(o.frames() == null ? 0 : o.frames(), minimumFrames(source, sinks));
        var groups = new ArrayList<String>();
        for (int i = 0; i < sinks.size(); i++) groups.add("sink" + i);
        FramePool pool = source.createPool(new PoolRequest(o.name(), frames, groups, o.overflow(), o.allocator()));
        if (pool == null) {
            pool = FramePool.builder().name(o.name()).layout(info.layout()).bufferSize(info.bufferBytes()).count(frames)
                    .groups(groups).overflow(o.overflow()).allocator(o.allocator()).recordTimestamps(true).build();
        }
        try (FramePool fp = pool) {
            return run(source, sinks, fp, c, status);
        }
    }

    private static Result run(Source source, List<Sink> sinks, FramePool pool, MediaCounters c,
                              BiConsumer<FramePool, MediaCounters> status) throws InterruptedException {
        Recorder handoff = new Recorder(60_000_000_000L, 3);
        Throwable[] sourceError = new Throwable[1];
        List<Throwable> sinkErrors = new ArrayList<>();
        var eosDone = new java.util.concurrent.atomic.AtomicBoolean();
        var threads = new ArrayList<Thread>();
        for (int i = 0; i < sinks.size(); i++) {
            Sink sink = sinks.get(i);
            Consumer cons = pool.consumer("sink" + i);
            threads.add(Thread.ofPlatform().name("vbuf-sink" + i).unstarted(() -> {
                boolean failed = false;
                try {
                    sink.open(source.info());
                } catch (Throwable e) {
                    failed = fail(sinkErrors, e, c);
                }
                while (true) {
                    Frame f = cons.acquireFilled(Duration.ofMillis(50));
                    if (f == null) {
                        if (eosDone.get() && cons.lag() == 0) break; // the end-of-stream frame could not be sent
                        if (pool.isClosed()) break;
                        continue;
                    }
                    long sub = f.submitTimeNs();
                    if (sub > 0) handoff.recordValue(Math.max(0, Math.min(System.nanoTime() - sub, 60_000_000_000L)));
                    if (f.isEndOfStream()) {
                        f.release();
                        break;
                    }
                    if (failed) {
                        f.release();
                        continue;
                    }
                    try {
                        sink.accept(f);
                    } catch (Throwable e) {
                        if (f.isOpen()) f.close();
                        failed = fail(sinkErrors, e, c);
                    }
                }
                if (!failed) {
                    try {
                        sink.finish();
                    } catch (Throwable e) {
                        fail(sinkErrors, e, c);
                    }
                }
            }));
        }
        Thread producer = Thread.ofPlatform().name("vbuf-source").unstarted(() -> {
            try {
                source.produce(pool, c);
            } catch (Throwable e) {
                sourceError[0] = e;
                c.requestStop();
            } finally {
                Frame eos = pool.acquireFree(Overflow.BLOCK, Duration.ofSeconds(10).toNanos());
                if (eos != null) {
                    eos.flags(Frame.FLAG_END_OF_STREAM).payloadSize(0).pts(-1).submit();
                } else {
                    eosDone.set(true);
                }
            }
        });
        threads.add(producer);
        long t0 = System.nanoTime();
        threads.forEach(Thread::start);
        try {
            for (Thread t : threads) {
                while (t.isAlive()) {
                    t.join(Duration.ofSeconds(1));
                    if (status != null && t.isAlive()) status.accept(pool, c);
                }
            }
        } catch (InterruptedException e) {
            c.requestStop();
            threads.forEach(Thread::interrupt);
            for (Thread t : threads) t.join();
            throw e;
        }
        long wall = System.nanoTime() - t0;
        Histogram produce = c.produceNanos.getIntervalHistogram();
        return new Result(pool.stats(), pool.getTotalCount(), pool.getBufferSize(), wall, handoff.getIntervalHistogram(),
                produce, sourceError[0], List.copyOf(sinkErrors), pool.getFreeCount());
    }

    private static boolean fail(List<Throwable> errors, Throwable e, MediaCounters c) {
        synchronized (errors) {
            errors.add(e);
        }
        c.requestStop();
        return true;
    }
}
