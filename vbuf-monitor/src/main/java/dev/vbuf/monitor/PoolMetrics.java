package dev.vbuf.monitor;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Every pool's counters and gauges as Prometheus metrics, named {@code vbuf_*} and labelled by
 * {@code pool} (its id: the shared pool's name, or a private pool's name and file) and
 * {@code kind}, group metrics also by {@code group}. Built as the Prometheus Java client's
 * snapshots and written by its text-format writer (the format Prometheus scrapes).
 *
 * <p>Counters (suffix {@code _total} in the output) are the pool's own, exact; gauges are read
 * at the last sample; rates and latency are the monitor's (see {@link PoolTracker}).
 */
public final class PoolMetrics {
    private PoolMetrics() {}

    /** The content type of {@link #write}. */
    public static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

    private record Def<T>(String name, String help, boolean counter, ToDoubleFunction<T> value) {}

    private static final List<Def<PoolView>> POOL = List.of(
            new Def<>("vbuf_published", "Frames submitted to the pool", true, PoolView::published),
            new Def<>("vbuf_acquire_waits", "Producer acquires that had to wait for a free buffer", true, PoolView::acquireWaits),
            new Def<>("vbuf_acquire_timeouts", "Producer acquires that gave up after their timeout", true, PoolView::acquireTimeouts),
            new Def<>("vbuf_acquire_fails", "Producer acquires refused at once (overflow policy FAIL)", true, PoolView::acquireFails),
            new Def<>("vbuf_reclaims", "Frames taken back from consumers by the overflow policy (drop-oldest, adaptive)", true, PoolView::reclaims),
            new Def<>("vbuf_peer_recoveries", "Dead processes whose slots were recovered", true, PoolView::peerRecoveries),
            new Def<>("vbuf_slots_recovered", "Slots recovered from dead processes", true, PoolView::slotsRecovered),
            new Def<>("vbuf_buffers", "Buffers in the pool", false, PoolView::buffers),
            new Def<>("vbuf_buffer_bytes", "Bytes per buffer", false, PoolView::bufferBytes),
            new Def<>("vbuf_bytes", "Bytes of buffer memory in all", false, PoolView::bytes),
            new Def<>("vbuf_control_bytes", "Bytes of the control block (metadata of all buffers)", false, PoolView::controlBytes),
            new Def<>("vbuf_references", "Buffers a producer's reference (a decoder's reference picture) holds, whatever their groups do",
                    false, PoolView::references),
            new Def<>("vbuf_fps_in", "Frames submitted per second over the last second", false, PoolView::fpsIn),
            new Def<>("vbuf_fps_out", "Frames taken per second by the slowest group over the last second", false, PoolView::fpsOut),
            new Def<>("vbuf_stale", "1 when no live process uses the pool", false, v -> v.stale() ? 1 : 0),
            new Def<>("vbuf_end_of_stream", "1 when the producer closed the pool", false, v -> v.endOfStream() ? 1 : 0));

    private static final List<Def<PoolView.GroupView>> GROUP = List.of(
            new Def<>("vbuf_group_taken", "Frames the group's consumers acquired", true, PoolView.GroupView::taken),
            new Def<>("vbuf_group_dropped", "Frames dropped for the group, all causes", true, PoolView.GroupView::dropped),
            new Def<>("vbuf_group_queue_full_drops", "Drops because the group's queue was full (it stopped reading)", true, PoolView.GroupView::queueFull),
            new Def<>("vbuf_group_lost_to_crash", "Drops because a consumer of the group died holding the frame", true, PoolView.GroupView::lostToCrash),
            new Def<>("vbuf_group_stale_skipped", "Queue entries skipped because the frame had been taken back", true, PoolView.GroupView::staleSkipped),
            new Def<>("vbuf_group_acquire_waits", "Consumer acquires that found nothing and waited", true, PoolView.GroupView::acquireWaits),
            new Def<>("vbuf_group_acquire_timeouts", "Consumer acquires that gave up after their timeout", true, PoolView.GroupView::timeouts),
            new Def<>("vbuf_group_lag", "Frames published to the group and not yet taken or dropped", false, PoolView.GroupView::lag),
            new Def<>("vbuf_group_held", "Frames the group's consumers hold now", false, PoolView.GroupView::held),
            new Def<>("vbuf_group_fps", "Frames the group took per second over the last second", false, PoolView.GroupView::fps),
            new Def<>("vbuf_group_oldest_held_seconds", "Age of the oldest frame the group holds (-1: none)", false,
                    g -> g.oldestHeldMs() < 0 ? -1 : g.oldestHeldMs() / 1e3),
            new Def<>("vbuf_group_latency_p50_seconds", "Sampled submit-to-take latency over the window, median (-1: no samples)", false,
                    g -> g.latencyP50Ms() < 0 ? -1 : g.latencyP50Ms() / 1e3),
            new Def<>("vbuf_group_latency_p99_seconds", "Sampled submit-to-take latency over the window, 99th percentile (-1: no samples)", false,
                    g -> g.latencyP99Ms() < 0 ? -1 : g.latencyP99Ms() / 1e3));

    /** The metrics of {@code pools} as the client's snapshots. */
    public static MetricSnapshots snapshots(List<PoolView> pools) {
        var out = new ArrayList<MetricSnapshot>();
        for (Def<PoolView> d : POOL) {
            var pts = new LinkedHashMap<Labels, Double>();
            for (PoolView v : pools) pts.put(Labels.of("kind", v.kind(), "pool", v.id()), d.value().applyAsDouble(v));
            out.add(snapshot(d.name(), d.help(), d.counter(), pts));
        }
        var slots = new LinkedHashMap<Labels, Double>();
        for (PoolView v : pools) {
            Object[][] states = {{"IDLE", v.idle()}, {"LOCKED_BY_PRODUCER", v.producerLocked()}, {"READY_FOR_CONSUME", v.ready()},
                    {"LOCKED_BY_CONSUMER", v.consumerLocked()}, {"RETIRED", v.retired()}, {"HELD_BY_DECODER", v.decoderHeld()}};
            for (Object[] s : states) {
                slots.put(Labels.of("kind", v.kind(), "pool", v.id(), "state", (String) s[0]), ((Integer) s[1]).doubleValue());
            }
        }
        out.add(snapshot("vbuf_slots", "Buffers per state (IDLE = COLD free, LOCKED_BY_* and HELD_BY_DECODER = HOT, READY_FOR_CONSUME = WARM queued)",
                false, slots));
        var procs = new LinkedHashMap<Labels, Double>();
        for (PoolView v : pools) {
            for (PoolView.ProcessView p : v.processes()) {
                procs.put(Labels.of("kind", v.kind(), "pool", v.id(), "pid", Long.toString(p.pid()), "role", p.role(),
                        "alive", Boolean.toString(p.alive())), (double) p.frames());
            }
        }
        out.add(snapshot("vbuf_process_frames", "Frames a process using the pool is filling or holding now", false, procs));
        for (Def<PoolView.GroupView> d : GROUP) {
            var pts = new LinkedHashMap<Labels, Double>();
            for (PoolView v : pools) {
                for (PoolView.GroupView g : v.groups()) {
                    pts.put(Labels.of("group", g.name(), "kind", v.kind(), "pool", v.id()), d.value().applyAsDouble(g));
                }
            }
            out.add(snapshot(d.name(), d.help(), d.counter(), pts));
        }
        return new MetricSnapshots(out);
    }

    private static MetricSnapshot snapshot(String name, String help, boolean counter, Map<Labels, Double> points) {
        if (counter) {
            var b = CounterSnapshot.builder().name(name).help(help);
            points.forEach((l, v) -> b.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().labels(l).value(v).build()));
            return b.build();
        }
        var b = GaugeSnapshot.builder().name(name).help(help);
        points.forEach((l, v) -> b.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(l).value(v).build()));
        return b.build();
    }

    /** Writes the metrics of {@code pools} in the Prometheus text format. */
    public static void write(OutputStream out, List<PoolView> pools) throws IOException {
        PrometheusTextFormatWriter.create().write(out, snapshots(pools));
    }

    /** The metrics of {@code pools} in the Prometheus text format, as a string. */
    public static String text(List<PoolView> pools) {
        var b = new ByteArrayOutputStream();
        try {
            write(b, pools);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return b.toString(StandardCharsets.UTF_8);
    }
}
