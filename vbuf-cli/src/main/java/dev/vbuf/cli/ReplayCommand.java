package dev.vbuf.cli;

import dev.vbuf.bench.harness.Json;
import dev.vbuf.format.FrameLayout;
import dev.vbuf.net.FrameArchive;
import dev.vbuf.net.FrameReceiver;
import dev.vbuf.net.StreamFormat;
import dev.vbuf.pool.Consumer;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import dev.vbuf.pool.PoolBuilder;
import io.aeron.Subscription;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.File;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.zip.CRC32C;

/**
 * {@code vbuf replay --dir DIR}: plays a recording of {@code vbuf record} back into a pool, frame
 * for frame, as fast as possible or at the original pace, and compares every frame's checksum
 * with the one taken when it was recorded.
 */
@Command(name = "replay", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Play a recording of 'vbuf record' back into a pool (a shared one with --shared NAME), frame for"
                + " frame, and compare every frame's checksum with the recorded one.")
public final class ReplayCommand implements Callable<Integer> {
    static final String CHECK_GROUP = "replay-check";

    @Spec
    CommandSpec spec;

    @Option(names = "--dir", required = true, paramLabel = "DIR", description = "Directory of the recordings ('vbuf record --dir').")
    File dir;

    @Option(names = "--recording", paramLabel = "ID", description = "Recording to play (default: the newest).")
    Long recording;

    @Option(names = "--pace", paramLabel = "original|fast", defaultValue = "fast",
            description = "original: frames at the times they were captured; fast: as fast as the pool takes them."
                    + " Default: ${DEFAULT-VALUE}.")
    String pace;

    @Mixin
    IncomingPoolOptions target;

    @Mixin
    PoolOptions pool;

    @Mixin
    JsonOption jsonOption;

    @Override
    public Integer call() throws InterruptedException {
        boolean paced = switch (pace.strip().toLowerCase(Locale.ROOT)) {
            case "original" -> true;
            case "fast" -> false;
            default -> throw Flags.bad(spec, "--pace " + pace + " is not one of original, fast");
        };
        if (!dir.isDirectory()) throw Flags.bad(spec, "--dir " + dir + " is not a directory of recordings ('vbuf record --dir')");
        target.check();
        Integer poolFrames = pool.frames();
        int count = poolFrames == null ? 8 : poolFrames;
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        var stopRequested = new AtomicBoolean();
        try (GracefulStop stop = GracefulStop.install("replay", () -> stopRequested.set(true));
             FrameArchive archive = FrameArchive.open(dir)) {
            long id = recording != null ? recording : archive.lastRecordingId();
            if (id < 0) throw Flags.bad(spec, "--dir " + dir + " holds no recording; make one with 'vbuf record --dir " + dir + "'");
            Map<Long, Integer> recorded = archive.checksums(id);
            FrameLayout layout;
            try (Subscription probe = archive.replay(id)) {
                StreamFormat sf = StreamFormat.probe(probe, 30_000_000_000L, () -> !stopRequested.get());
                if (sf == null) throw Flags.bad(spec, "recording " + id + " in " + dir + " holds no frame");
                try {
                    layout = sf.layout();
                } catch (IllegalArgumentException e) {
                    throw Flags.bad(spec, "recording " + id + ": " + e.getMessage());
                }
            } catch (IllegalArgumentException e) {
                throw Flags.bad(spec, e.getMessage());
            }
            var groups = new ArrayList<String>();
            groups.add(CHECK_GROUP);
            if (target.isShared()) groups.addAll(target.remoteGroups);
            PoolBuilder b = FramePool.builder().layout(layout).count(count).overflow(pool.policy).groups(groups)
                    .waitStrategy(pool.wait.strategy()).recordTimestamps(true).jmx(false);
            if (target.isShared()) b.shared(target.shared);
            try (FramePool p = b.build()) {
                if (!jsonOption.json) {
                    out.printf(Locale.ROOT, "vbuf replay: recording %d of %s (%s) -> %s pool '%s', %s pace%n", id, dir, layout,
                            target.isShared() ? "shared" : "private", p.name(), paced ? "original" : "fast");
                    out.flush();
                }
                var seen = new LinkedHashMap<Long, Integer>();
                long[] duplicates = {0};
                Consumer check = p.consumer(CHECK_GROUP);
                Thread checker = Thread.ofPlatform().name("vbuf-replay-check").start(() -> {
                    var crc = new CRC32C();
                    while (true) {
                        Frame f = check.acquireFilled(Duration.ofMillis(50));
                        if (f == null) {
                            if (p.endOfStream() && check.lag() == 0) return;
                            continue;
                        }
                        try {
                            if (f.isEndOfStream() && f.payloadSize() == 0) continue;
                            crc.reset();
                            crc.update(f.segment().asSlice(0, f.payloadSize()).asByteBuffer());
                            if (seen.put(f.pts(), (int) crc.getValue()) != null) duplicates[0]++;
                        } finally {
                            check.releaseFilled(f);
                        }
                    }
                });
                long t0 = System.nanoTime();
                FrameReceiver r = archive.replayInto(id, p, paced, () -> !stopRequested.get());
                checker.join();
                // local readers of a shared pool finish before it closes
                IncomingPoolOptions.awaitReaders(p, groups.stream().filter(g -> !g.equals(CHECK_GROUP)).toList(),
                        System.nanoTime() + 30_000_000_000L, stopRequested::get);
                r.close();
                double secs = (System.nanoTime() - t0) / 1e9;
                long equal = 0, differ = 0, missing = 0;
                if (recorded != null) {
                    for (var e : recorded.entrySet()) {
                        Integer got = seen.get(e.getKey());
                        if (got == null) missing++;
                        else if (got.equals(e.getValue())) equal++;
                        else differ++;
                    }
                }
                boolean ok = recorded != null && differ == 0 && missing == 0 && duplicates[0] == 0 && r.endOfStream();
                String sum = String.format(Locale.ROOT, "%08x", FrameArchive.streamChecksum(seen));
                var c = r.counters();
                if (jsonOption.json) {
                    out.println(new Json().begin().put("ok", ok).put("recording", id).put("pool", p.name())
                            .put("shared", target.isShared()).put("pace", paced ? "original" : "fast")
                            .put("frames", c.get(FrameReceiver.Counter.FRAMES)).put("bytes", c.get(FrameReceiver.Counter.BYTES))
                            .put("checksumsEqual", equal).put("checksumsDiffer", differ).put("missing", missing)
                            .put("duplicates", duplicates[0]).put("lost", r.lost()).put("streamChecksum", sum)
                            .put("endOfStream", r.endOfStream()).put("stopped", stopRequested.get())
                            .put("durationMs", secs * 1e3, 1).put("fps", c.get(FrameReceiver.Counter.FRAMES) / secs, 1).end());
                } else {
                    out.printf(Locale.ROOT, "vbuf replay: %d frames (%s) in %.3f s = %.1f fps, stream checksum %s;"
                                    + " checksums equal to the recording's: %d of %d (differ %d, missing %d, twice %d), end of stream %s%n",
                            c.get(FrameReceiver.Counter.FRAMES), Units.bytes(c.get(FrameReceiver.Counter.BYTES)), secs,
                            c.get(FrameReceiver.Counter.FRAMES) / secs, sum, equal, recorded == null ? 0 : recorded.size(),
                            differ, missing, duplicates[0], r.endOfStream() ? "yes" : "no");
                }
                out.flush();
                if (recorded == null) {
                    err.println("vbuf replay: recording " + id + " has no checksums file (not made by 'vbuf record'): nothing to compare");
                    err.flush();
                }
                if (stopRequested.get()) return GracefulStop.EXIT_CODE;
                return ok ? 0 : 1;
            }
        }
    }
}
