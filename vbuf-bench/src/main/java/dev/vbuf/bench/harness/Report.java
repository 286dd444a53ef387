package dev.vbuf.bench.harness;


import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The table and the JSON object of a {@code vbuf bench} run. */
final class Report {
    private final Machine machine;
    private final List<Row> rows;
    private final int frames, latencyFrames, warmup;
    private final boolean quick;

    Report(Machine machine, List<Row> rows, int frames, int latencyFrames, int warmup, boolean quick) {
        this.machine = machine;
        this.rows = rows;
        this.frames = frames;
        this.latencyFrames = latencyFrames;
        this.warmup = warmup;
        this.quick = quick;
    }

    boolean allOk() { return rows.stream().allMatch(Row::ok); }

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
        sb.append(String.format(Locale.ROOT, "%nvbuf bench%s: %d frames per size in the throughput phase (fewer for the"
                        + " largest sizes, see frames), %d per paced latency phase, %d warm-up; every byte written and read%n",
                quick ? " --quick" : "", frames, latencyFrames, warmup));
        sb.append("machine: ").append(machine).append("\n\n");
        sb.append(String.format(Locale.ROOT, "%-11s %-13s %6s %9s %7s %8s | %-25s | %-25s | %-15s | %s%n",
                "size", "transport", "frames", "frames/s", "GB/s", "vs vbuf",
                "hand-off p50/p99/p99.9 us", "+write+read p50/p99/99.9", "CPU ms/frame P/C", "verified  note"));
        for (Row r : rows) {
            if (!r.ok() && r.fps() != r.fps()) {
                sb.append(String.format(Locale.ROOT, "%-11s %-13s FAILED: %s%n", r.size().label(), r.transport().id, r.error()));
                continue;
            }
            sb.append(String.format(Locale.ROOT, "%-11s %-13s %6d %9.1f %7.2f %8s | %-25s | %-25s | %-15s | %d/%d %s%s%n",
                    r.size().label(), r.transport().id, r.frames(), r.fps(), r.gbps(), ratioText(ratio(rows, r)),
                    us(r.handoffP50(), r.handoffP99(), r.handoffP999()), us(r.fullP50(), r.fullP99(), r.fullP999()),
                    String.format(Locale.ROOT, "%.2f / %.2f", r.producerCpuPerFrame() * 1e3, r.consumerCpuPerFrame() * 1e3),
                    r.verified(), r.expectedVerified(), note(r), r.ok() ? "" : "  FAILED: " + r.error()));
        }
        sb.append("\nvs vbuf: frames/s of the transport / frames/s of ").append(referenceName())
                .append(" at the same size. CPU: producer / consumer process CPU time in the throughput phase"
                        + " per frame (for vbuf-threads: each thread's).\n");
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
        j.array("results");
        for (Row r : rows) {
            j.begin().put("size", r.size().label()).put("width", r.size().width()).put("height", r.size().height())
                    .put("format", r.size().format().name()).put("payloadBytes", r.size().payloadBytes())
                    .put("transport", r.transport().id).put("ok", r.ok()).put("frames", r.frames())
                    .put("framesPerSecond", r.fps(), 2).put("gbPerSecond", r.gbps(), 3)
                    .put("ratioToVbuf", ratio(rows, r), 3)
                    .begin("handoffNs").put("p50", r.handoffP50()).put("p99", r.handoffP99()).put("p999", r.handoffP999()).end()
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
