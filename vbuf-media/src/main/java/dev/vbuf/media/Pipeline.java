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

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Source → pool → sinks: the one way frames flow in vbuf, for files, devices and the paced
 * test pattern of {@code vbuf run} alike.
 *
 * <h2>Overview</h2>
 * The pool has one consumer group per sink (named by {@link Options#groups()}, by default
 * "sink0", "sink1" ...), so every sink sees every picture, plus the {@link Options#remoteGroups()
 * remote groups} that other processes read from a shared pool. One thread runs the source, one
 * thread per sink takes its group's frames and hands them to it. When {@code produce} returns,
 * the pipeline marks the end of the stream on the pool ({@link FramePool#markEndOfStream()}):
 * each sink thread takes what is still queued for its group, then calls {@code finish()}; a
 * consumer in another process sees the same end. Hand-off latency (submit → taken by the sink
 * thread) is recorded per frame for all sinks together (a sink that wants its own records it
 * from {@code Frame.submitTimeNs()}, as {@code VerifySink} does).
 *
 * <h2>Opening</h2>
 * Every sink is {@linkplain Sink#open opened} before the pool is built and before the source
 * produces anything: an output that cannot be written fails the run at once with an
 * {@link OpenException} naming which sink, not after the whole input has been read.
 *
 * <h2>Stopping</h2>
 * {@link MediaCounters#requestStop()} (an error, a frame limit, Ctrl-C in the CLI) makes the
 * source return after the picture in hand; a source thread waiting for a free buffer is
 * interrupted so that it notices. The sinks then drain what was submitted, so a stopped run
 * still ends with every frame accounted for. After an error in a sink the pipeline asks the
 * source to stop; a sink that failed keeps draining (releasing) its frames so the source is
 * never blocked by a dead sink, and every slot is back in the pool when {@link #run} returns.
 */
public final class Pipeline {
    /**
     * Pool settings.
     *
     * @param name         pool name (statistics, JMX, JFR; a shared pool's name is its factory's business)
     * @param frames       buffers; null: the minimum of {@link #minimumFrames}
     * @param overflow     policy when no buffer is free
     * @param allocator    memory for the default pool (ignored when a factory or the source builds it)
     * @param groups       one consumer group name per sink, in sink order; null: sink0, sink1 ...
     * @param remoteGroups further groups, read by other processes (a shared pool); never null
     * @param poolFactory  builds the pool for a request when the source does not (a shared pool,
     *                     a wait strategy); null: an ordinary pool of the stream's layout
     */
    public record Options(String name, Integer frames, Overflow overflow, Allocator allocator, List<String> groups,
                          List<String> remoteGroups, Function<PoolRequest, FramePool> poolFactory) {
        public Options {
            groups = groups == null ? null : List.copyOf(groups);
            remoteGroups = remoteGroups == null ? List.of() : List.copyOf(remoteGroups);
        }

        public Options(String name, Integer frames, Overflow overflow, Allocator allocator) {
            this(name, frames, overflow, allocator, null, List.of(), null);
        }

        public static Options defaults() {
            return new Options("vbuf-media", null, Overflow.BLOCK, new AlignedAllocator());
        }

        /** The group each sink reads, in sink order. */
        List<String> groupsFor(int sinks) {
            if (groups != null) {
                if (groups.size() != sinks) {
                    throw new IllegalArgumentException(groups.size() + " group names " + groups + " for " + sinks + " sinks");
                }
                return groups;
            }
            var g = new ArrayList<String>();
            for (int i = 0; i < sinks; i++) g.add("sink" + i);
            return g;
        }
    }

    /**
     * The end of a run.
     *
     * @param pool        the pool's statistics when the run ended (before it was closed)
     * @param stopped     true when a stop was requested (by the caller, or after an error) rather
     *                    than the input or the frame limit ending the run
     */
    public record Result(PoolStats pool, int poolFrames, long bufferBytes, long wallNanos, Histogram handoff,
                         Histogram produce, Throwable sourceError, List<Throwable> sinkErrors, int slotsBack,
                         boolean stopped) {
        public boolean ok() {
            return sourceError == null && sinkErrors.isEmpty();
        }
    }

    /** A sink could not open its output; nothing was produced. */
    public static final class OpenException extends IOException {
        private final int sink;

        OpenException(int sink, Throwable cause) {
            super(cause.getMessage() != null ? cause.getMessage() : "the writer gave no reason", cause);
            this.sink = sink;
        }

        /** Which sink (index into the list given to {@link #run}). */
        public int sink() {
            return sink;
        }
    }

    /** How long a sink thread waits for a frame before it looks at the end of stream again. */
    private static final long POLL_NANOS = 50_000_000L;

    private Pipeline() {}

    /** Minimum pool: what the source and the sinks may hold, plus one queued per sink and one spare. */
    public static int minimumFrames(Source source, List<Sink> sinks) {
        int held = source.maxHeldFrames();
        for (Sink s : sinks) held += s.maxHeldFrames() + 1;
        return Math.max(4, held + 2);
    }

    /**
     * Opens the sinks, builds the pool, runs to the end (or a stop) and closes the pool.
     *
     * @param status called about once a second on the calling thread with the pool and the
     *               counters, for a status line; may be null
     * @throws OpenException when a sink cannot open its output (before anything was produced)
     */
    public static Result run(Source source, List<Sink> sinks, Options o, MediaCounters c,
                             BiConsumer<FramePool, MediaCounters> status) throws InterruptedException, OpenException {
        StreamInfo info = source.info();
        for (int i = 0; i < sinks.size(); i++) {
            try {
                sinks.get(i).open(info);
            } catch (Exception | LinkageError e) {
                throw new OpenException(i, e);
            }
        }
        Recorder handoff = new Recorder(60_000_000_000L, 3); // before the pool: nothing big is allocated once it runs
        int frames = o.frames() != null ? o.frames() : minimumFrames(source, sinks);
        List<String> sinkGroups = o.groupsFor(sinks.size());
        var groups = new ArrayList<>(sinkGroups);
        groups.addAll(o.remoteGroups());
        var request = new PoolRequest(o.name(), frames, groups, o.overflow(), o.allocator());
        FramePool pool = source.createPool(request);
        if (pool == null && o.poolFactory() != null) pool = o.poolFactory().apply(request);
        if (pool == null) {
            pool = FramePool.builder().name(o.name()).layout(info.layout()).bufferSize(info.bufferBytes()).count(frames)
                    .groups(groups).overflow(o.overflow()).allocator(o.allocator()).recordTimestamps(true).build();
        }
        try (FramePool fp = pool) {
            return run(source, sinks, sinkGroups, fp, c, status, handoff);
        }
    }

    private static Result run(Source source, List<Sink> sinks, List<String> sinkGroups, FramePool pool, MediaCounters c,
                              BiConsumer<FramePool, MediaCounters> status, Recorder handoff) throws InterruptedException {
        Throwable[] sourceError = new Throwable[1];
        List<Throwable> sinkErrors = new ArrayList<>();
        var threads = new ArrayList<Thread>();
        for (int i = 0; i < sinks.size(); i++) {
            Sink sink = sinks.get(i);
            Consumer cons = pool.consumer(sinkGroups.get(i));
            threads.add(Thread.ofPlatform().name("vbuf-" + sinkGroups.get(i)).unstarted(() -> {
                boolean failed = false;
                while (true) {
                    Frame f;
                    try {
                        f = cons.acquireFilled(POLL_NANOS); // no Duration per call: the loop allocates nothing
                    } catch (Throwable e) { // e.g. a shared pool's file truncated under it: record, never die uncaught
                        fail(sinkErrors, e, c);
                        return;
                    }
                    if (f == null) {
                        // the end: the source is done and nothing is left for this group (another
                        // process reading the same group may have taken the last frames)
                        if (pool.endOfStream() && cons.lag() == 0) break;
                        if (pool.isClosed()) break;
                        continue;
                    }
                    long sub = f.submitTimeNs();
                    if (sub > 0) {
                        long v = Math.max(0, Math.min(System.nanoTime() - sub, 60_000_000_000L));
                        handoff.recordValue(v);
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
            } catch (InterruptedException e) {
                if (!c.stopRequested()) sourceError[0] = e; // interrupted to make it notice a stop: not an error
            } catch (Throwable e) {
                sourceError[0] = e;
                c.requestStop();
            } finally {
                try {
                    pool.markEndOfStream();
                } catch (Throwable e) { // a shared pool's file truncated under it
                    if (sourceError[0] == null) sourceError[0] = e;
                }
            }
        });
        threads.add(producer);
        long t0 = System.nanoTime();
        threads.forEach(Thread::start);
        boolean interrupted = false;
        try {
            long nextStatus = t0 + 1_000_000_000L;
            for (Thread t : threads) {
                while (t.isAlive()) {
                    t.join(Duration.ofMillis(50));
                    if (c.stopRequested() && producer.isAlive() && !interrupted) {
                        producer.interrupt(); // breaks a wait for a free buffer; the picture in hand is finished
                        interrupted = true;
                    }
                    if (status != null && t.isAlive() && System.nanoTime() >= nextStatus) {
                        status.accept(pool, c);
                        nextStatus += 1_000_000_000L;
                    }
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
                produce, sourceError[0], List.copyOf(sinkErrors), pool.getFreeCount(), c.stopRequested());
    }

    private static boolean fail(List<Throwable> errors, Throwable e, MediaCounters c) {
        synchronized (errors) {
            errors.add(e);
        }
        c.requestStop();
        return true;
    }
}
