package dev.vbuf.monitor;

import dev.vbuf.pool.PoolReader;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * Watches every pool on the machine from outside: every shared pool file and every private
 * pool's statistics file in /dev/shm, each read through a read-only {@link PoolReader} (no
 * process entry, nothing written, nothing signalled). One daemon thread reads the slot words
 * every {@code slotPeriod} (for ages and the sampled latency, see {@link PoolTracker}) and the
 * counters every {@code samplePeriod}, looks for new and gone pools every second, and
 * publishes an immutable list of {@link PoolView}s; readers ({@code vbuf top}, the web server)
 * take the latest list or wait for the next one.
 *
 * <p>A file that is not a valid pool is not read: it is listed in {@link #problems()} with the
 * validator's message, and tried again at the next look.
 */
public final class Monitor implements AutoCloseable {
    /**
     * How the monitor samples.
     *
     * @param slotPeriod    how often slot words are read (ages, sampled latency), 1 ms..1 s
     * @param samplePeriod  how often counters are read and views published, 10 ms..10 s
     * @param latencyWindow over how long the latency percentiles are computed, 1 s..10 min
     */
    public record Options(Duration slotPeriod, Duration samplePeriod, Duration latencyWindow) {
        public Options {
            check("slot period", slotPeriod, Duration.ofMillis(1), Duration.ofSeconds(1));
            check("sample period", samplePeriod, Duration.ofMillis(10), Duration.ofSeconds(10));
            check("latency window", latencyWindow, Duration.ofSeconds(1), Duration.ofMinutes(10));
        }

        /** 5 ms slot reads, 250 ms counter samples, 5 s latency window. */
        public static Options defaults() {
            return new Options(Duration.ofMillis(5), Duration.ofMillis(250), Duration.ofSeconds(5));
        }

        private static void check(String what, Duration d, Duration lo, Duration hi) {
            if (d == null || d.compareTo(lo) < 0 || d.compareTo(hi) > 0) {
                throw new IllegalArgumentException(what + " " + d + " is outside " + lo.toMillis() + " ms.." + hi.toMillis() + " ms");
            }
        }
    }

    private static final long RESCAN_NANOS = 1_000_000_000L;

    private final Options options;
    private final Map<Path, PoolTracker> trackers = new LinkedHashMap<>();
    private volatile List<PoolView> views = List.of();
    private volatile Map<String, String> problems = Map.of();
    private final Object changed = new Object();
    private long version;
    private volatile boolean running;
    private Thread thread;

    public Monitor(Options options) {
        this.options = options;
    }

    /** The upper bounds (ms) of the latency histogram buckets in {@link PoolView.GroupView#histogram()}; the last is infinite. */
    public static double[] latencyBucketsMs() { return PoolTracker.BUCKETS_MS.clone(); }

    /** Starts the sampling thread (a daemon); views appear after the first sample. */
    public synchronized Monitor start() {
        if (thread != null) return this;
        running = true;
        thread = Thread.ofPlatform().daemon().name("vbuf-monitor").start(this::loop);
        return this;
    }

    private void loop() {
        long slotNanos = options.slotPeriod().toNanos(), sampleNanos = options.samplePeriod().toNanos();
        long nextScan = System.nanoTime(), nextSample = nextScan;
        while (running) {
            long now = System.nanoTime();
            if (now - nextScan >= 0) {
                rescan();
                nextScan = now + RESCAN_NANOS;
            }
            watchSlots();
            if (now - nextSample >= 0) {
                publish();
                nextSample = now + sampleNanos;
            }
            LockSupport.parkNanos(slotNanos);
        }
    }

    /** Looks for new, gone and replaced pool files. */
    void rescan() {
        List<PoolReader.Found> found;
        var newProblems = new LinkedHashMap<String, String>();
        try {
            found = PoolReader.discover();
        } catch (RuntimeException e) {
            newProblems.put("(directory)", e.getMessage());
            problems = newProblems;
            return;
        }
        var seen = new HashMap<Path, PoolReader.Found>();
        for (PoolReader.Found f : found) seen.put(f.path(), f);
        trackers.keySet().removeIf(p -> !seen.containsKey(p));
        for (PoolReader.Found f : found) {
            if (trackers.containsKey(f.path())) continue;
            try {
                trackers.put(f.path(), new PoolTracker(PoolReader.open(f), options.latencyWindow().toNanos()));
            } catch (RuntimeException e) {
                newProblems.put(f.path().toString(), e.getMessage());
            }
        }
        problems = newProblems;
    }

    private void watchSlots() {
        for (var it = trackers.values().iterator(); it.hasNext(); ) {
            PoolTracker t = it.next();
            try {
                t.watchSlots();
            } catch (RuntimeException e) {
                it.remove(); // gone or damaged: the next scan says which
            }
        }
    }

    /** Reads every pool's counters and publishes new views. */
    void publish() {
        var list = new ArrayList<PoolView>(trackers.size());
        for (var it = trackers.values().iterator(); it.hasNext(); ) {
            PoolTracker t = it.next();
            try {
                t.sample();
                PoolView v = t.view();
                if (v != null) list.add(v);
            } catch (RuntimeException e) {
                it.remove();
            }
        }
        list.sort(Comparator.comparing(PoolView::id));
        views = List.copyOf(list);
        synchronized (changed) {
            version++;
            changed.notifyAll();
        }
    }

    /** The latest views, sorted by pool id. */
    public List<PoolView> views() { return views; }

    /** Files that look like pools but could not be read, each with why (the validator's message). */
    public Map<String, String> problems() { return problems; }

    /** How many times views were published. */
    public long version() {
        synchronized (changed) {
            return version;
        }
    }

    /**
     * Waits until views newer than {@code seen} are published, or {@code timeout} passes;
     * returns the version then.
     */
    public long awaitNewer(long seen, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (changed) {
            while (version <= seen) {
                long left = deadline - System.nanoTime();
                if (left <= 0) break;
                changed.wait(Math.max(1, left / 1_000_000));
            }
            return version;
        }
    }

    /**
     * One-shot: reads every pool for {@code span} (at least two counter samples, so rates are
     * over that span) and returns the views; no thread is started.
     */
    public static Snapshot once(Options options, Duration span) throws InterruptedException {
        Monitor m = new Monitor(options);
        m.rescan();
        m.publish();
        long end = System.nanoTime() + span.toNanos();
        long slot = options.slotPeriod().toNanos();
        while (System.nanoTime() - end < 0) {
            m.watchSlots();
            Thread.sleep(Duration.ofNanos(slot));
        }
        m.publish();
        return new Snapshot(m.views(), m.problems());
    }

    /**
     * One shared pool watched for {@code span} (rates over that span, ages, sampled latency): what
     * {@code vbuf inspect} adds to the control block's counters.
     */
    public static PoolView watchShared(String name, Options options, Duration span) throws InterruptedException {
        PoolTracker t = new PoolTracker(PoolReader.openShared(name), options.latencyWindow().toNanos());
        t.sample();
        long end = System.nanoTime() + span.toNanos();
        while (System.nanoTime() - end < 0) {
            t.watchSlots();
            Thread.sleep(options.slotPeriod());
        }
        t.sample();
        return t.view();
    }

    /**
     * What {@link #once} read.
     *
     * @param pools    the pools
     * @param problems files that could not be read, with why
     */
    public record Snapshot(List<PoolView> pools, Map<String, String> problems) {
        /** As JSON: {@code {"pools":[...],"problems":[{"file":...,"error":...}],"latencyBucketsMs":[...]}}. */
        public String toJson() { return Monitor.toJson(pools, problems); }
    }

    /** Views and problems as one JSON object. */
    public static String toJson(List<PoolView> pools, Map<String, String> problems) {
        JsonWriter j = new JsonWriter().begin().put("epochMillis", System.currentTimeMillis());
        j.array("latencyBucketsMs");
        for (double b : PoolTracker.BUCKETS_MS) j.raw(Double.isInfinite(b) ? "null" : Double.toString(b));
        j.endArray().array("pools");
        for (PoolView v : pools) v.write(j);
        j.endArray().array("problems");
        for (var e : problems.entrySet()) j.begin().put("file", e.getKey()).put("error", e.getValue()).end();
        return j.endArray().end().toString();
    }

    @Override
    public void close() {
        running = false;
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t != null) {
            LockSupport.unpark(t);
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
