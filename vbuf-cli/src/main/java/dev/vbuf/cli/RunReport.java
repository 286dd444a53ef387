package dev.vbuf.cli;

import dev.vbuf.bench.harness.Json;
import dev.vbuf.format.FrameLayout;
import dev.vbuf.media.MediaCounters;
import dev.vbuf.media.Pipeline;
import dev.vbuf.media.TestSource;
import dev.vbuf.media.sink.VerifySink;
import dev.vbuf.pool.Overflow;
import dev.vbuf.stats.GroupStats;
import dev.vbuf.stats.PoolStats;
import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The end of a {@code vbuf run} of the test pattern: the checks (every frame verified, each
 * group's frames add up, counting the frames of a group that other processes took), the text
 * summary and the JSON object.
 */
final class RunReport {
    final RunCommand cmd;
    final RunCommand.Setup s;
    final List<VerifySink> sinks;
    final PoolStats ps;
    final long wallNanos, gcCount, gcMs, produced, skipped, verifyFailures;
    final double sourceSeconds, sourceFps;
    final boolean signalled;
    final List<String> errors = new ArrayList<>();

    RunReport(RunCommand cmd, RunCommand.Setup s, TestSource source, List<VerifySink> sinks, MediaCounters c,
              Pipeline.Result r, long wallNanos, long gcCount, long gcMs, boolean signalled) {
        this.cmd = cmd;
        this.s = s;
        this.sinks = sinks;
        this.ps = r.pool();
        this.wallNanos = wallNanos;
        this.gcCount = gcCount;
        this.gcMs = gcMs;
        this.signalled = signalled;
        this.produced = c.frames.sum();
        this.skipped = c.sourceDrops.sum();
        long first = source.firstSubmitNanos(), lastSubmit = source.lastSubmitNanos();
        this.sourceSeconds = lastSubmit > 0 ? (lastSubmit - source.startNanos()) / 1e9 : 0;
        this.sourceFps = produced < 2 || lastSubmit <= first ? 0 : (produced - 1) * 1e9 / (lastSubmit - first);
        if (r.sourceError() != null) errors.add("producer failed: " + Main.describe(r.sourceError()));
        for (Throwable t : r.sinkErrors()) errors.add("a consumer group failed: " + Main.describe(t));
        boolean broken = !errors.isEmpty();
        long failures = 0;
        for (VerifySink v : sinks) {
            GroupStats gs = group(ps, v.name());
            long bad = v.verifyFailures() + v.sequenceErrors();
            failures += bad;
            if (v.firstFailure() != null) errors.add("group " + v.name() + ": " + bad + " bad frame(s), first: " + v.firstFailure());
            if (broken) continue;
            if (gs.taken() + gs.dropped() != ps.published()) {
                errors.add("group " + v.name() + ": taken " + gs.taken() + " + dropped " + gs.dropped()
                        + " != published " + ps.published());
            }
            long others = gs.taken() - v.taken();
            long missing = v.gaps() + Math.max(0, ps.published() - 1 - v.lastSequence());
            if (missing != gs.dropped() + others) {
                errors.add("group " + v.name() + ": " + missing + " sequence number(s) never seen here but "
                        + gs.dropped() + " dropped and " + others + " taken by other processes");
            }
            if (!v.finished()) errors.add("group " + v.name() + " did not see the end of the stream");
        }
        this.verifyFailures = failures;
    }

    boolean ok() {
        return errors.isEmpty();
    }

    String text() {
        var b = new StringBuilder();
        FrameLayout l = s.layout();
        double fps = s.fps();
        b.append(String.format(Locale.ROOT, "vbuf run: %s %s, %s, policy %s, wait %s, %s%s%n", cmd.frame.size, l.format(),
                fps > 0 ? Units.plain(fps) + " fps" : "as fast as possible", cmd.pool.policyName(), cmd.pool.wait,
                cmd.frames != null ? cmd.frames + " frames" : "duration " + cmd.duration,
                signalled ? " (stopped by a signal)" : ""));
        b.append(String.format(Locale.ROOT, "  producer  %d frames in %.3f s = %.1f fps, skipped %d%s%n",
                produced, sourceSeconds, sourceFps, skipped,
                cmd.pool.policy == Overflow.FAIL ? " (frames whose buffer policy fail refused)" : ""));
        b.append(String.format(Locale.ROOT, "  %-9s %10s %10s %10s %9s %9s %10s %10s %10s %10s%n", "group", "produced",
                "consumed", "dropped", "verified", "failures", "p50 us", "p99 us", "p99.9 us", "max us"));
        for (VerifySink v : sinks) {
            GroupStats gs = group(ps, v.name());
            Histogram h = v.totalLatency();
            long others = gs.taken() - v.taken();
            b.append(String.format(Locale.ROOT, "  %-9s %10d %10d %10d %9d %9d %10s %10s %10s %10s%s%n", v.name(),
                    ps.published(), v.taken(), gs.dropped(), v.fullyVerified(),
                    v.verifyFailures() + v.sequenceErrors(), Units.micros(h.getValueAtPercentile(50)),
                    Units.micros(h.getValueAtPercentile(99)), Units.micros(h.getValueAtPercentile(99.9)),
                    Units.micros(h.getMaxValue()), others > 0 ? "  (+" + others + " taken by other processes)" : ""));
        }
        for (String name : s.remoteGroups()) {
            GroupStats gs = group(ps, name);
            b.append(String.format(Locale.ROOT, "  %-9s %10d %10d %10d %9s %9s   (read by other processes; %d still queued at close)%n",
                    gs.name(), ps.published(), gs.taken(), gs.dropped(), "-", "-", gs.lag()));
        }
        b.append(String.format(Locale.ROOT, "  pool      %d frames x %s bytes (%s) = %s bytes (%s); %s%n", ps.total(),
                Units.grouped(ps.bufferBytes()), Units.bytes(ps.bufferBytes()), Units.grouped(ps.totalBytes()),
                Units.bytes(ps.totalBytes()), s.poolSizing()));
        b.append(String.format(Locale.ROOT, "  backing   %s%n", ps.backing()));
        b.append(String.format(Locale.ROOT, "  gc        %d collections, %d ms during the run (%.3f s)%n", gcCount, gcMs,
                wallNanos / 1e9));
        b.append("  result    ").append(ok() ? "OK: every frame verified, every group's frames add up"
                : "FAILED: " + String.join("; ", errors)).append(System.lineSeparator());
        b.append(ps).append(System.lineSeparator());
        return b.toString();
    }

    String json() {
        Json j = new Json().begin()
                .put("ok", ok())
                .put("size", cmd.frame.size.toString())
                .put("format", s.layout().format().name())
                .put("fpsTarget", s.fps())
                .put("policy", cmd.pool.policyName())
                .put("wait", cmd.pool.wait.toString())
                .put("produced", produced)
                .put("producerSkipped", skipped)
                .put("fps", sourceFps, 1)
                .put("durationMs", wallNanos / 1e6, 1)
                .put("verifyFailures", verifyFailures)
                .put("dropped", ps.drops())
                .put("stopped", signalled);
        latency(j, sinks.getFirst().totalLatency());
        j.begin("groups");
        for (VerifySink v : sinks) {
            GroupStats gs = group(ps, v.name());
            j.begin(v.name())
                    .put("produced", ps.published())
                    .put("consumed", v.taken())
                    .put("takenByOthers", gs.taken() - v.taken())
                    .put("dropped", gs.dropped())
                    .put("verified", v.fullyVerified())
                    .put("failures", v.verifyFailures() + v.sequenceErrors());
            latency(j, v.totalLatency());
            j.end();
        }
        for (String name : s.remoteGroups()) {
            GroupStats gs = group(ps, name);
            j.begin(gs.name()).put("remote", true).put("produced", ps.published()).put("consumed", gs.taken())
                    .put("dropped", gs.dropped()).put("queuedAtClose", gs.lag()).end();
        }
        j.end()
                .put("poolFrames", ps.total())
                .put("poolSizing", s.poolSizing())
                .put("bytesPerFrame", ps.bufferBytes())
                .put("totalBytes", ps.totalBytes())
                .put("backing", ps.backing())
                .put("shared", cmd.shared)
                .put("gcCollections", gcCount)
                .put("gcTimeMs", gcMs)
                .begin("pool")
                .put("hot", ps.hot()).put("warm", ps.warm()).put("cold", ps.cold())
                .put("published", ps.published()).put("acquireWaits", ps.acquireWaits())
                .put("acquireTimeouts", ps.acquireTimeouts()).put("acquireFails", ps.acquireFails())
                .put("reclaims", ps.reclaims())
                .end();
        if (!errors.isEmpty()) j.put("errors", String.join("; ", errors));
        return j.end().toString();
    }

    private static void latency(Json j, Histogram h) {
        j.put("latencyP50Us", h.getValueAtPercentile(50) / 1e3, 1)
                .put("latencyP99Us", h.getValueAtPercentile(99) / 1e3, 1)
                .put("latencyP999Us", h.getValueAtPercentile(99.9) / 1e3, 1)
                .put("latencyMaxUs", h.getMaxValue() / 1e3, 1);
    }

    private static GroupStats group(PoolStats ps, String name) {
        for (GroupStats g : ps.groups()) if (g.name().equals(name)) return g;
        throw new IllegalStateException("the pool has no group '" + name + "'");
    }

    List<String> errors() {
        return errors;
    }
}
