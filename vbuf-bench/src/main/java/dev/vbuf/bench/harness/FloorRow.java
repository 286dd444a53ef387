package dev.vbuf.bench.harness;

import java.util.List;
import java.util.Map;

/**
 * One measurement of a {@link Floor}, or why it failed. For the cache line, the percentiles are
 * one way (half the round trip; {@code roundTripP50} keeps the round trip); for the futex, from
 * the waker's stamp to the sleeper running. {@code when}: "start" or "end" of the run.
 * {@code notAsleep}: futex wakes that found the sleeper still awake (not in the percentiles).
 * {@code note}: why a measurement that ran is not used as a floor (too few samples), or null.
 */
record FloorRow(Floor floor, String when, long p50, long p99, long p999, long min, long count, long roundTripP50,
                long notAsleep, String note, String error) {

    static FloorRow of(Floor floor, String when, PairRunner.Outcome o) {
        if (o.error() != null) return new FloorRow(floor, when, 0, 0, 0, 0, 0, 0, 0, null, o.error());
        if (floor == Floor.CACHE_LINE) {
            Map<String, Long> p = o.producer(); // the pinger times the round trips
            long count = p.get("count");
            return new FloorRow(floor, when, p.get("p50") / 2, p.get("p99") / 2, p.get("p999") / 2, p.get("min") / 2,
                    count, p.get("p50"), 0, count < Floor.MIN_SAMPLES
                    ? "only " + count + " exchanges in " + java.util.concurrent.TimeUnit.NANOSECONDS.toSeconds(Floor.PING_PONG_NS)
                    + " s (the two processes seldom ran at the same time): not used as the floor" : null, null);
        }
        Map<String, Long> c = o.consumer(); // the sleeper times its wakes
        long count = c.get("count");
        return new FloorRow(floor, when, c.get("p50"), c.get("p99"), c.get("p999"), c.get("min"), count, 0,
                c.get("notAsleep"), count < Floor.MIN_SAMPLES / 10
                ? "only " + count + " wakes found the sleeper asleep: not used as the floor" : null, null);
    }

    boolean ok() { return error == null; }

    /** Ran, and with enough samples to be a floor. */
    boolean usable() { return error == null && note == null; }

    /** The lowest p50 of {@code floor} among {@code rows} (the strictest reference), or null. */
    static FloorRow best(List<FloorRow> rows, Floor floor) {
        FloorRow best = null;
        for (FloorRow r : rows) if (r.floor() == floor && r.usable() && (best == null || r.p50() < best.p50())) best = r;
        return best;
    }
}
