package dev.vbuf.bench.harness;


import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The table and the JSON object of a {@code vbuf bench} run. */
final class Report {
    private final Machine machine;
    private final List<Row> rows;
    private final List<FloorRow> floors;
    private final int frames, latencyFrames, warmup;
    private final boolean quick;

    Report(Machine machine, List<Row> rows, List<FloorRow> floors, int frames, int latencyFrames, int warmup, boolean quick) {
        this.machine = machine;
        this.rows = rows;
        this.floors = floors;
        this.frames = frames;
        this.latencyFrames = latencyFrames;
        this.warmup = warmup;
        this.quick = quick;
    }

    boolean allOk() { return rows.stream().allMatch(Row::ok) && floors.stream().allMatch(FloorRow::ok); }

    /** The floor a row's hand-off is compared with (the lowest of the run's measurements), or null. */
    static FloorRow floorOf(List<FloorRow> floors, Row r) {
        Floor f = r.transport().floor();
        return f == null || !r.ok() ? null : FloorRow.best(floors, f);
    }

    /** The row's hand-off p50 as a multiple of its floor's p50 (NaN when it has none). */
    static double timesFloor(List<FloorRow> floors, Row r) {
        FloorRow f = floorOf(floors, r);
        return f == null || f.p50() <= 0 ? Double.NaN : (double) r.handoffP50() / f.p50();
    }

    /** Which vbuf row ratios are taken against, best first: the shared pool with its default (futex) waiting. */
    static final List<Transport> REFERENCE_ORDER = List.of(Transport.VBUF_SHM_FUTEX, Transport.VBUF_SHM, Transport.VBUF_THREADS);

    /** The vbuf row of the same size that ratios are taken against (see {@link #REFERENCE_ORDER}). */
    static Row reference(List<Row> rows, BenchSize size) {
        for (Transport t : REFERENCE_ORDER) {
            for (Row r : rows) if (r.size().equals(size) && r.transport() == t && r.ok()) return r;
        }
        return null;
    }

    /** frames/s of this row over frames/s of vbuf at the same size (NaN without a vbuf row). */
    static double ratio(List<Row> rows, Row r) {
        Row ref = reference(rows, r.size());
        return ref == null || !r.ok() ? Double.NaN : r.fps() / ref.fps();
    }

    String table() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%nvbuf bench%s: %d frames per size in the throughput phase (more for small"
                        + " sizes, fewer for the largest, see frames), %d per paced latency phase (more for small frames, see lat),"
                        + " %d warm-up before each phase (more for small frames, see warm);"
                        + " every byte written and read%n",
                quick ? " --quick" : "", frames, latencyFrames, warmup));
        sb.append("machine: ").append(machine).append("\n\n");
        sb.append("floors of this machine, measured in this run (two processes each):\n");
        sb.append(String.format(Locale.ROOT, "  %-36s %-6s %-25s %8s%n", "floor", "when", "p50/p99/p99.9 us", "samples"));
        for (FloorRow f : floors) {
            String name = f.floor() == Floor.CACHE_LINE ? "cache-line ping-pong, one way"
                    : "futex wake every " + Math.round(Floor.WAKE_INTERVAL_NS / 1000.0) + " us, store -> runs";
            if (!f.ok()) {
                sb.append(String.format(Locale.ROOT, "  %-36s %-6s FAILED: %s%n", name, f.when(), f.error()));
                continue;
            }
            sb.append(String.format(Locale.ROOT, "  %-36s %-6s %-25s %8d%s%n", name, f.when(), us3(f.p50(), f.p99(), f.p999()),
                    f.count(), (f.floor() == Floor.CACHE_LINE
                            ? String.format(Locale.ROOT, "  (round trip p50 %s us)", fmt3(f.roundTripP50()))
                            : f.notAsleep() > 0 ? "  (" + f.notAsleep() + " wakes found it awake: not counted)" : "")
                            + (f.note() == null ? "" : "  " + f.note())));
        }
        sb.append('\n');
        sb.append(String.format(Locale.ROOT, "%-12s %-13s %6s %5s %5s %9s %7s %8s | %-25s | %-9s | %-25s | %-15s | %s%n",
                "size", "transport", "frames", "lat", "warm", "frames/s", "GB/s", "vs vbuf",
                "hand-off p50/p99/p99.9 us", "x floor", "+write+read p50/p99/99.9", "CPU ms/frame P/C", "verified  note"));
        for (Row r : rows) {
            if (!r.ok() && r.fps() != r.fps()) {
                sb.append(String.format(Locale.ROOT, "%-12s %-13s FAILED: %s%n", r.size().label(), r.transport().id, r.error()));
                continue;
            }
            double xf = timesFloor(floors, r);
            sb.append(String.format(Locale.ROOT, "%-12s %-13s %6d %5d %5d %9.1f %7.2f %8s | %-25s | %-9s | %-25s | %-15s | %d/%d %s%s%n",
                    r.size().label(), r.transport().id, r.frames(), r.latencyFrames(), r.warmup(), r.fps(), r.gbps(), ratioText(ratio(rows, r)),
                    us3(r.handoffP50(), r.handoffP99(), r.handoffP999()), xf != xf ? "-" : ChartWriter.times(xf),
                    us(r.fullP50(), r.fullP99(), r.fullP999()),
                    String.format(Locale.ROOT, "%.2f / %.2f", r.producerCpuPerFrame() * 1e3, r.consumerCpuPerFrame() * 1e3),
                    r.verified(), r.expectedVerified(), note(r), r.ok() ? "" : "  FAILED: " + r.error()));
        }
        sb.append("\nvs vbuf: frames/s of the transport / frames/s of ").append(referenceName())
                .append(" at the same size. CPU: producer / consumer process CPU time in the throughput phase"
                        + " per frame (for vbuf-threads: each thread's).\nx floor: hand-off p50 / p50 of the floor"
                        + " measured in this run (the lower of start and end): vbuf-shm against the cache-line one-way floor,"
                        + " vbuf-shm-futex against the futex wake.\n");
        return sb.toString();
    }

    private String referenceName() {
        for (Transport t : REFERENCE_ORDER) {
            for (Row r : rows) if (r.transport() == t && r.ok()) return t.id;
        }
        return "vbuf (not run)";
    }

    private static String note(Row r) {
        String idle = r.idleCpuPercent() == r.idleCpuPercent()
                ? String.format(Locale.ROOT, "idle consumer %.2f%% of a core", r.idleCpuPercent()) : "";
        return r.note().isEmpty() ? idle : idle.isEmpty() ? r.note() : r.note() + "; " + idle;
    }

    private static String ratioText(double r) {
        return r != r ? "-" : String.format(Locale.ROOT, "%.2fx", r);
    }

    private static String us(long p50, long p99, long p999) {
        return String.format(Locale.ROOT, "%s / %s / %s", fmt(p50), fmt(p99), fmt(p999));
    }

    /** Microseconds with 3 significant digits down to 0.001 (floors and hand-offs are sub-microsecond). */
    private static String us3(long p50, long p99, long p999) {
        return String.format(Locale.ROOT, "%s / %s / %s", fmt3(p50), fmt3(p99), fmt3(p999));
    }

    static String fmt3(long ns) {
        double us = ns / 1e3;
        if (us >= 100) return String.format(Locale.ROOT, "%.0f", us);
        if (us >= 10) return String.format(Locale.ROOT, "%.1f", us);
        if (us >= 1) return String.format(Locale.ROOT, "%.2f", us);
        return String.format(Locale.ROOT, "%.3f", us);
    }

    private static String fmt(long ns) {
        double us = ns / 1e3;
        return us >= 100 ? String.format(Locale.ROOT, "%.0f", us) : String.format(Locale.ROOT, "%.1f", us);
    }

    String json() {
        Json j = new Json().begin();
        j.put("command", "vbuf bench").put("quick", quick);
        j.begin("machine").put("cores", machine.cores()).put("cpu", machine.cpu()).put("jdk", machine.jdk())
                .put("os", machine.os()).put("date", machine.date()).put("loadAverage", machine.load()).end();
        j.begin("settings").put("frames", frames).put("latencyFrames", latencyFrames).put("warmup", warmup).end();
        j.put("reference", referenceName());
        j.array("floors");
        for (FloorRow f : floors) {
            j.begin().put("floor", f.floor().label).put("description", f.floor().description).put("when", f.when()).put("ok", f.ok());
            if (f.ok()) {
                j.begin(f.floor() == Floor.CACHE_LINE ? "oneWayNs" : "wakeNs").put("p50", f.p50()).put("p99", f.p99())
                        .put("p999", f.p999()).put("min", f.min()).end().put("samples", f.count());
                if (f.floor() == Floor.CACHE_LINE) j.put("roundTripP50Ns", f.roundTripP50());
                else j.put("wakesFoundAwake", f.notAsleep()).put("wakeIntervalNs", Floor.WAKE_INTERVAL_NS);
                j.put("usedAsFloor", f.usable());
                if (f.note() != null) j.put("note", f.note());
            } else {
                j.put("error", f.error());
            }
            j.end();
        }
        j.endArray();
        j.array("results");
        for (Row r : rows) {
            j.begin().put("size", r.size().label()).put("width", r.size().width()).put("height", r.size().height())
                    .put("format", r.size().format().name()).put("payloadBytes", r.size().payloadBytes())
                    .put("transport", r.transport().id).put("ok", r.ok()).put("frames", r.frames())
                    .put("latencyFrames", r.latencyFrames()).put("warmup", r.warmup())
                    .put("framesPerSecond", r.fps(), 2).put("gbPerSecond", r.gbps(), 3)
                    .put("ratioToVbuf", ratio(rows, r), 3)
                    .begin("handoffNs").put("p50", r.handoffP50()).put("p99", r.handoffP99()).put("p999", r.handoffP999()).end()
                    .put("pacedIntervalNs", r.pacedIntervalNs())
                    .put("handoffFloor", floorOf(floors, r) == null ? null : floorOf(floors, r).floor().label)
                    .put("handoffP50TimesFloor", timesFloor(floors, r), 2)
                    .begin("writeReadNs").put("p50", r.fullP50()).put("p99", r.fullP99()).put("p999", r.fullP999()).end()
                    .put("producerCpuSecondsPerFrame", r.producerCpuPerFrame(), 6)
                    .put("consumerCpuSecondsPerFrame", r.consumerCpuPerFrame(), 6)
                    .put("idleConsumerCpuPercent", r.idleCpuPercent(), 3)
                    .put("verified", r.verified()).put("checksummed", r.expectedVerified()).put("bad", r.bad()).put("sequenceErrors", r.seqErrors())
                    .put("received", r.received()).put("note", r.note());
            if (r.error() != null) j.put("error", r.error());
            j.end();
        }
        j.endArray();
        // vbuf's advantage over each transport: vbuf frames/s / transport frames/s, per size
        Map<String, Map<String, Double>> adv = new LinkedHashMap<>();
        for (Row r : rows) {
            double x = ratio(rows, r);
            if (!r.transport().isVbuf() && x == x) adv.computeIfAbsent(r.size().label(), k -> new LinkedHashMap<>())
                    .put(r.transport().id, 1 / x);
        }
        j.begin("vbufSpeedup");
        for (var e : adv.entrySet()) {
            j.begin(e.getKey());
            for (var t : e.getValue().entrySet()) j.put(t.getKey(), t.getValue(), 3);
            j.end();
        }
        j.end();
        j.put("ok", allOk());
        return j.end().toString();
    }
}
