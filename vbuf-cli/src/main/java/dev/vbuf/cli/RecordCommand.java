package dev.vbuf.cli;

import dev.vbuf.bench.harness.Json;
import dev.vbuf.net.FrameArchive;
import dev.vbuf.net.NetLink;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.File;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code vbuf record --from CHANNEL --dir DIR}: records the frames that {@code vbuf send} (or
 * {@code vbuf run --output aeron:...}) publishes, with Aeron Archive, until the sender's end of
 * stream; {@code vbuf replay} plays them back into a pool.
 */
@Command(name = "record", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Record the frames 'vbuf send' publishes on Aeron to disk (Aeron Archive), with each frame's"
                + " checksum; 'vbuf replay' plays them back into a pool.")
public final class RecordCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--from", required = true, paramLabel = "CHANNEL",
            description = "Aeron channel the sender sends to: aeron:udp?endpoint=ADDRESS:PORT (this machine's address),"
                    + " or a multicast group with |interface=ADDRESS.")
    String from;

    @Option(names = "--dir", required = true, paramLabel = "DIR",
            description = "Directory of the recordings (made if missing; recordings there are kept).")
    File dir;

    @Option(names = "--stream", paramLabel = "ID", defaultValue = "1001",
            description = "Aeron stream id, 1..2147483647, as the sender's. Default: ${DEFAULT-VALUE}.")
    int stream;

    @Option(names = "--timeout", defaultValue = "30s",
            description = "Wait this long for the sender, and stop when nothing comes for this long, 1ms..24h. Default: ${DEFAULT-VALUE}.")
    String timeout;

    @Mixin
    JsonOption jsonOption;

    @Override
    public Integer call() {
        Flags.range(spec, "--stream", stream, 1, Integer.MAX_VALUE);
        Duration idle = Flags.duration(spec, "--timeout", timeout, Duration.ZERO, true, Duration.ofHours(24));
        String channel;
        try {
            channel = NetLink.checkChannel(from, "--from");
        } catch (IllegalArgumentException e) {
            throw Flags.bad(spec, e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        var stopRequested = new AtomicBoolean();
        FrameArchive opened;
        try {
            opened = FrameArchive.open(dir);
        } catch (IllegalArgumentException e) {
            throw Flags.bad(spec, e.getMessage());
        }
        try (GracefulStop stop = GracefulStop.install("record", () -> stopRequested.set(true)); FrameArchive archive = opened) {
            if (!jsonOption.json) {
                out.printf(Locale.ROOT, "vbuf record: recording %s stream %d into %s%n", channel, stream, dir);
                out.flush();
            }
            long t0 = System.nanoTime();
            FrameArchive.Recorded r = archive.record(channel, stream, idle.toNanos(), idle.toNanos(), () -> !stopRequested.get());
            double secs = (System.nanoTime() - t0) / 1e9;
            if (r == null) {
                err.println("vbuf record: no sender on " + channel + " stream " + stream + " within " + timeout
                        + (stopRequested.get() ? " (stopped by a signal)" : "; is 'vbuf send' sending to this address?"));
                err.flush();
                return stopRequested.get() ? GracefulStop.EXIT_CODE : 1;
            }
            String sum = String.format(Locale.ROOT, "%08x", r.streamChecksum());
            if (jsonOption.json) {
                out.println(new Json().begin().put("ok", r.endOfStream()).put("recording", r.recordingId())
                        .put("dir", dir.getPath()).put("frames", r.frames()).put("bytes", r.bytes())
                        .put("streamChecksum", sum).put("strayChunks", r.strayChunks()).put("endOfStream", r.endOfStream())
                        .put("stopped", stopRequested.get()).put("durationMs", secs * 1e3, 1).end());
            } else {
                out.printf(Locale.ROOT, "vbuf record: recording %d in %s: %d frames (%s) in %.3f s, stream checksum %s,"
                                + " end of stream %s%n", r.recordingId(), dir, r.frames(), Units.bytes(r.bytes()), secs, sum,
                        r.endOfStream() ? "yes" : stopRequested.get() ? "no (stopped by a signal)" : "no (timed out)");
                out.printf(Locale.ROOT, "  replay it: vbuf replay --dir %s --recording %d%n", dir, r.recordingId());
            }
            out.flush();
            if (stopRequested.get()) return GracefulStop.EXIT_CODE;
            return r.endOfStream() ? 0 : 1;
        }
    }
}
