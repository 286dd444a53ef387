package dev.vbuf.bench.harness;

import java.util.List;
import java.util.Map;

/**
 * One measurement of a {@link Floor}, or why it failed. For the cache line, the percentiles are
 * one way (half the round trip; {@code roundTripP50} keeps the round trip); for the futex, from
 * the waker's stamp to the sleeper running. {@code when}: "start" or "end" of the run.
 * {@code notAsleep}: futex wakes that found the sleeper still awake (not in the percentiles).
 */
record FloorRow(Floor floor, String when, long p50, long p99, long p999, long min, long count, long roundTripP50,
                long notAsleep, String error) {

    static FloorRow of(Floor floor, String when, PairRunner.Outcome o) {
        if (o.error() != null) return new FloorRow(floor, when, 0, 0, 0, 0, 0, 0, 0, o.error());
        if (floor == Floor.CACHE_LINE) {
            Map<String, Long> p = o.producer(); // the pinger times the round trips
            return new FloorRow(floor, when, p.get("p50") / 2, p.get("p99") / 2, p.get("p999") / 2, p.get("min") / 2,
                    p.get("count"), p.get("p50"), 0, null);
        }
        Map<String, Long> c = o.consumer(); // the sleeper times its wakes
        long count = c.get("count");
        return new FloorRow(floor, when, c.get("p50"), c.get("p99"), c.get("p999"), c.get("min"), count, 0,
                c.get("notAsleep"), count == 0 ? "the sleeper was never asleep when woken" : null);
    }

    boolean ok() { return error == null; }

    /** The lowest p50 of {@code floor} among {@code rows} (the strictest reference), or null. */
    static FloorRow best(List<FloorRow> rows, Floor floor) {
        FloorRow best = null;
        for (FloorRow r : rows) if (r.floor() == floor && r.ok() && (best == null || r.p50() < best.p50())) best = r;
        return best;
    }
}
