package dev.vbuf.bench.harness;

import java.util.Map;

/**
 * One transport at one frame size: what the pair measured, or why it failed.
 * Latencies in ns, CPU in seconds per frame, rates per second. {@code pacedIntervalNs}: the time
 * between frames in the paced (latency) phases, twice the throughput phase's time per frame.
 */
record Row(Transport transport, BenchSize size, int frames, int latencyFrames, int warmup, double fps, double gbps,
           long handoffP50, long handoffP99, long handoffP999,
           long fullP50, long fullP99, long fullP999,
           double producerCpuPerFrame, double consumerCpuPerFrame,
           double idleCpuPercent, long verified, long expectedVerified, long bad, long seqErrors, long received, long expected, String note,
           String error, long pacedIntervalNs) {

    static Row failed(Transport t, BenchSize size, String error) {
        return new Row(t, size, 0, 0, 0, Double.NaN, Double.NaN, 0, 0, 0, 0, 0, 0, Double.NaN, Double.NaN, Double.NaN, 0, 0, 0, 0, 0, 0,
                note(t, size), error, 0);
    }

    static Row of(BenchSpec spec, BenchSize size, PairRunner.Outcome o) {
        if (o.error() != null) return failed(spec.transport(), size, o.error());
        Map<String, Long> c = o.consumer();
        Map<String, Long> p = o.producer();
        long ns = c.get("tputNs");
        double fps = ns > 0 ? spec.frames() * 1e9 / ns : Double.NaN;
        // one process each: the whole process (GC, JIT, the Aeron driver); one process for both: each thread
        String cpuKey = spec.transport().singleProcess() ? "threadCpuNs" : "cpuNs";
        double pc = p.get(cpuKey) / 1e9 / spec.frames();
        double cc = c.get(cpuKey) / 1e9 / spec.frames();
        long expectedVerified = 2L * spec.warmup() + spec.frames() + spec.latencyFrames();
        return new Row(spec.transport(), size, spec.frames(), spec.latencyFrames(), spec.warmup(), fps, fps * size.payloadBytes() / 1e9,
                c.get("handoffP50"), c.get("handoffP99"), c.get("handoffP999"),
                c.get("fullP50"), c.get("fullP99"), c.get("fullP999"), pc, cc,
                spec.transport() == Transport.VBUF_SHM_FUTEX && c.get("idleWallNs") > 0
                        ? 100.0 * c.get("idleCpuNs") / c.get("idleWallNs") : Double.NaN,
                c.get("verified"), expectedVerified, c.get("bad"), c.get("seqErrors"), c.get("received"), spec.totalFrames(),
                note(spec.transport(), size),
                c.get("verified") != expectedVerified || c.get("bad") != 0 || c.get("seqErrors") != 0
                        || c.get("received") != spec.totalFrames()
                        ? "verified " + c.get("verified") + " of " + expectedVerified + ", bad " + c.get("bad")
                        + ", sequence errors " + c.get("seqErrors") + ", received " + c.get("received") + " of "
                        + spec.totalFrames() : null,
                p.getOrDefault("intervalNs", 0L));
    }

    private static String note(Transport t, BenchSize size) {
        if (t == Transport.AERON && AeronTransport.chunked(size.payloadBytes())) {
            long chunks = (size.payloadBytes() + AeronTransport.chunkPayload() - 1) / AeronTransport.chunkPayload();
            return "chunked: " + chunks + " messages of <= 16 MiB";
        }
        return "";
    }

    boolean ok() { return error == null; }
}
