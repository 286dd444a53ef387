package dev.vbuf.monitor;

import dev.vbuf.pool.FrameState;
import dev.vbuf.pool.PoolReader;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What the monitor knows of one pool: its reader, the last full sample, the counter history
 * from which rates are computed, and what the fast slot sampler saw (frames taken, for the
 * sampled latency, and how long frames have been queued or held).
 *
 * <h2>Sampled latency</h2>
 * The pool records no acquire time; it records each frame's submit time (when it records
 * timestamps). The tracker reads every slot word every few milliseconds; the first time it
 * sees group g's held bit set on a slot's generation, it records {@code now - submitNanos} as
 * one latency value of g. Each value is therefore late by at most one sampling period, and a
 * frame taken and released between two reads is not seen at all: the figures describe frames
 * held at least one period, which are the ones that matter when a pipeline stutters.
 *
 * <p>Not thread-safe: one {@link Monitor} thread drives it; views are immutable copies.
 */
final class PoolTracker {
    /** Upper bounds (ms) of the latency histogram's buckets; the last one is open. */
    static final double[] BUCKETS_MS = {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, Double.POSITIVE_INFINITY};
    private static final long RATE_WINDOW = 1_000_000_000L;
    private static final long HISTORY_KEEP = 1_500_000_000L;

    final PoolReader reader;
    final long latencyWindowNanos;
    private final int slots;
    private final int groups;
    private final long[] words;
    private final long[] submit;
    /** Per slot and group: the generation last seen held (-1 none). */
    private final long[][] seenHeld;
    /** Per slot: the generation first seen published and when. */
    private final long[] firstSeenGen;
    private final long[] firstSeenNanos;
    private final ArrayDeque<long[]>[] latency; // per group: {nanos, latencyNanos}
    private final ArrayDeque<Point> history = new ArrayDeque<>();
    private PoolReader.Sample last;
    private String error;

    private record Point(long nanos, long published, long[] taken, long[] dropped) {}

    @SuppressWarnings("unchecked")
    PoolTracker(PoolReader reader, long latencyWindowNanos) {
        this.reader = reader;
        this.latencyWindowNanos = latencyWindowNanos;
        this.slots = reader.slotCount();
        this.groups = reader.groups().size();
        this.words = new long[slots];
        this.submit = new long[slots];
        this.seenHeld = new long[slots][groups];
        for (long[] a : seenHeld) Arrays.fill(a, -1);
        this.firstSeenGen = new long[slots];
        Arrays.fill(firstSeenGen, -1);
        this.firstSeenNanos = new long[slots];
        this.latency = new ArrayDeque[groups];
        for (int g = 0; g < groups; g++) latency[g] = new ArrayDeque<>();
    }

    /** The fast read: slot words only, for latency and ages. */
    void watchSlots() {
        long now = reader.readSlots(words, submit);
        for (int s = 0; s < slots; s++) {
            long w = words[s];
            FrameState st = reader.stateOf(w);
            if (st != FrameState.READY_FOR_CONSUME && st != FrameState.LOCKED_BY_CONSUMER) continue;
            long gen = PoolReader.generationOf(w);
            if (firstSeenGen[s] != gen) {
                firstSeenGen[s] = gen;
                firstSeenNanos[s] = now;
            }
            int held = PoolReader.heldOf(w);
            for (int g = 0; g < groups; g++) {
                if ((held & (1 << g)) == 0 || seenHeld[s][g] == gen) continue;
                seenHeld[s][g] = gen;
                long lat = now - submit[s];
                if (submit[s] != 0 && lat >= 0 && lat < 60_000_000_000L) latency[g].addLast(new long[] {now, lat});
            }
        }
        for (ArrayDeque<long[]> q : latency) {
            while (!q.isEmpty() && now - q.peekFirst()[0] > latencyWindowNanos) q.removeFirst();
        }
    }

    /** The full read: counters, processes, liveness. */
    void sample() {
        PoolReader.Sample s = reader.sample();
        last = s;
        long[] taken = new long[groups], dropped = new long[groups];
        for (int g = 0; g < groups; g++) {
            taken[g] = s.groups().get(g).taken();
            dropped[g] = s.groups().get(g).dropped();
        }
        history.addLast(new Point(s.nanos(), s.published(), taken, dropped));
        while (history.size() > 2 && s.nanos() - history.peekFirst().nanos() > HISTORY_KEEP) history.removeFirst();
    }

    void fail(String why) { this.error = why; }
    String error() { return error; }
    PoolReader.Sample last() { return last; }

    /** The point of the history closest to one rate window before the newest. */
    private Point base() {
        Point newest = history.peekLast(), best = history.peekFirst();
        for (Point p : history) {
            if (newest.nanos() - p.nanos() >= RATE_WINDOW) best = p;
            else break;
        }
        return best;
    }

    private static double rate(long delta, long nanos) {
        return nanos <= 0 ? 0 : delta * 1e9 / nanos;
    }

    /** An immutable view of everything known now (null before the first full sample). */
    PoolView view() {
        PoolReader.Sample s = last;
        if (s == null) return null;
        Point newest = history.peekLast(), base = base();
        long span = newest.nanos() - base.nanos();
        long now = s.nanos();
        var gv = new ArrayList<PoolView.GroupView>(groups);
        double slowest = Double.POSITIVE_INFINITY;
        for (int g = 0; g < groups; g++) {
            PoolReader.Group gr = s.groups().get(g);
            double fps = rate(newest.taken()[g] - base.taken()[g], span);
            slowest = Math.min(slowest, fps);
            double dropRate = rate(newest.dropped()[g] - base.dropped()[g], span);
            long oldest = -1;
            for (PoolReader.Slot sl : s.slots()) {
                if ((sl.held() & (1 << g)) == 0) continue;
                long age = sl.submitNanos() != 0 ? now - sl.submitNanos()
                        : firstSeenGen[sl.index()] == sl.generation() ? now - firstSeenNanos[sl.index()] : -1;
                oldest = Math.max(oldest, age);
            }
            long[] lat = latency[g].stream().mapToLong(a -> a[1]).sorted().toArray();
            long[] hist = new long[BUCKETS_MS.length];
            for (long l : lat) {
                double ms = l / 1e6;
                int b = 0;
                while (ms > BUCKETS_MS[b]) b++;
                hist[b]++;
            }
            gv.add(new PoolView.GroupView(gr.name(), gr.lag(), fps, gr.taken(), gr.dropped(), dropRate, gr.fullPops(),
                    gr.lostToCrash(), gr.staleSkipped(), gr.acquireWaits(), gr.timeouts(), gr.held(),
                    oldest < 0 ? -1 : oldest / 1e6, percentile(lat, 0.50), percentile(lat, 0.99), lat.length, hist));
        }
        var pv = new ArrayList<PoolView.ProcessView>();
        for (PoolReader.Process p : s.processes()) {
            pv.add(new PoolView.ProcessView(p.index(), p.pid(), p.role(), p.alive(), p.filling(), p.holding()));
        }
        var sv = new ArrayList<PoolView.SlotView>(s.slots().size());
        for (PoolReader.Slot sl : s.slots()) {
            sv.add(new PoolView.SlotView(sl.index(), sl.state(), Integer.bitCount(sl.pending()), sl.held(), sl.generation(),
                    sl.sequence()));
        }
        int total = s.slots().size();
        return new PoolView(s.kind().name().toLowerCase(), s.name(), s.file(), s.backing(), s.layout(), total, s.bufferBytes(),
                total * s.bufferBytes(), s.controlBytes(), s.stale(), s.staleReason(), s.endOfStream(),
                s.count(FrameState.IDLE), s.count(FrameState.LOCKED_BY_PRODUCER), s.count(FrameState.READY_FOR_CONSUME),
                s.count(FrameState.LOCKED_BY_CONSUMER), s.count(FrameState.RETIRED), s.count(FrameState.HELD_BY_DECODER), s.references(), s.published(),
                rate(newest.published() - base.published(), span), groups == 0 || slowest == Double.POSITIVE_INFINITY ? 0 : slowest,
                s.acquireWaits(), s.acquireTimeouts(), s.acquireFails(), s.reclaims(), s.peerRecoveries(), s.slotsRecovered(),
                latencyWindowNanos / 1e9, List.copyOf(gv), List.copyOf(pv), List.copyOf(sv), System.currentTimeMillis());
    }

    /** Nearest-rank percentile of sorted values, in ms; -1 when there are none. */
    static double percentile(long[] sorted, double q) {
        if (sorted.length == 0) return -1;
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))] / 1e6;
    }
}
