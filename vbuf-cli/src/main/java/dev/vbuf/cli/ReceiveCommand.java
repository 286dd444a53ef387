package dev.vbuf.cli;

import dev.vbuf.bench.harness.Json;
import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.TestPattern;
import dev.vbuf.net.FrameReceiver;
import dev.vbuf.net.NetLink;
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

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static dev.vbuf.net.FrameReceiver.Counter.*;

/**
 * {@code vbuf receive --from CHANNEL}: takes the frames that {@code vbuf send} publishes into a pool
 * of this process. With {@code --shared NAME} the pool is shared and other processes read it
 * ({@code vbuf consume NAME}); without it, this process checks every frame against the test
 * pattern. The pool's layout is the stream's (read from its first frame) unless
 * {@code --size}/{@code --format} are given.
 */
@Command(name = "receive", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Receive frames that 'vbuf send' publishes on Aeron into a pool here: a shared one (--shared NAME)"
                + " that local consumers read as any other, or a private one whose frames are checked here.")
public final class ReceiveCommand implements Callable<Integer> {
    static final String VERIFY_GROUP = "verify";

    @Spec
    CommandSpec spec;

    @Option(names = "--from", required = true, paramLabel = "CHANNEL",
            description = "Aeron channel: aeron:udp?endpoint=ADDRESS:PORT (this machine's address the sender sends to),"
                    + " aeron:udp?endpoint=224.0.1.1:PORT|interface=ADDRESS (multicast), aeron:ipc (this machine)."
                    + " Unless the channel gives them: so-rcvbuf and rcv-wnd = net.core.rmem_max (up to 32 MiB).")
    String from;

    @Mixin
    IncomingPoolOptions target;

    @Option(names = "--frame-timeout", defaultValue = "1s",
            description = "A frame whose chunks stop for this long is dropped and counted lost, 1ms..1h. Default: ${DEFAULT-VALUE}.")
    String frameTimeout;

    @Option(names = "--frames", paramLabel = "N", description = "Stop after N frames, 1..1000000000 (default: until end of stream).")
    Long frames;

    @Option(names = "--timeout", defaultValue = "30s",
            description = "Give up when nothing comes for this long, 1ms..24h. Default: ${DEFAULT-VALUE}.")
    String timeout;

    @Option(names = "--simulate-loss", paramLabel = "FRACTION", defaultValue = "0",
            description = "Test aid: drop this fraction (0..0.9) of the data packets that arrive, in this process's"
                    + " media driver (Aeron's debug loss generator), to watch NAK and retransmit at work. Default: ${DEFAULT-VALUE}.")
    double simulateLoss;

    @Mixin
    FrameOptions frame;

    @Mixin
    PoolOptions pool;

    @Mixin
    NetOptions net;

    @Mixin
    JsonOption jsonOption;

    @Override
    public Integer call() throws InterruptedException {
        if (frames != null) Flags.range(spec, "--frames", frames, 1, RunCommand.MAX_FRAMES);
        Duration idleLimit = Flags.duration(spec, "--timeout", timeout, Duration.ZERO, true, Duration.ofHours(24));
        Duration frameLimit = Flags.duration(spec, "--frame-timeout", frameTimeout, Duration.ZERO, true, Duration.ofHours(1));
        Integer poolFrames = pool.frames();
        int count = poolFrames == null ? 8 : poolFrames;
        String channel = net.channel("--from", from);
        target.check();
        if (frame.given("--fps")) {
            throw Flags.bad(spec, "--fps does not apply to vbuf receive: frames come at the sender's pace");
        }
        boolean givenLayout = frame.given("--size") || frame.given("--format");
        if (givenLayout && (frame.size == null || frame.format == null)) {
            throw Flags.bad(spec, "give both --size and --format, or neither (the stream's own layout is used)");
        }
        boolean json = jsonOption.json;
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        var stopRequested = new AtomicBoolean();
        try (GracefulStop stop = GracefulStop.install("receive", () -> stopRequested.set(true));
             NetLink link = net.link(checkedLoss())) {
            Subscription sub = link.subscription(channel, net.stream);
            StatusLine status = new StatusLine(json ? err : out, StatusLine.isTerminal());
            FrameLayout layout;
            if (givenLayout) {
                layout = frame.layout();
            } else {
                if (!json) status.note("vbuf receive: waiting on " + channel + " stream " + net.stream + " for the first frame");
                StreamFormat sf = StreamFormat.probe(sub, idleLimit.toNanos(), () -> !stopRequested.get());
                if (sf == null) {
                    sub.close();
                    err.println("vbuf receive: no frame on " + channel + " stream " + net.stream + " within " + timeout
                            + (stopRequested.get() ? " (stopped by a signal)" : "; is 'vbuf send' running and sending to this address?"));
                    err.flush();
                    return stopRequested.get() ? GracefulStop.EXIT_CODE : 1;
                }
                try {
                    layout = sf.layout();
                } catch (IllegalArgumentException e) {
                    throw Flags.bad(spec, e.getMessage());
                }
            }
            List<String> groups = target.isShared() ? target.remoteGroups : List.of(VERIFY_GROUP);
            PoolBuilder b = FramePool.builder().layout(layout).count(count).overflow(pool.policy).groups(groups)
                    .waitStrategy(pool.wait.strategy()).recordTimestamps(true).jmx(false);
            if (target.isShared()) b.shared(target.shared);
            try (FramePool p = b.build()) {
                var receiver = new FrameReceiver(p, sub, frameLimit.toNanos());
                if (!json) {
                    status.note(String.format(Locale.ROOT, "vbuf receive: %s stream %d -> %s pool '%s' (%s, %d frames, policy %s)",
                            channel, net.stream, target.isShared() ? "shared" : "private", p.name(), layout, count, pool.policyName()));
                }
                // without --shared this process checks the frames, as vbuf consume does
                var verified = new AtomicLong();
                var failures = new AtomicLong();
                var firstFailure = new AtomicReference<String>();
                var verifying = new AtomicBoolean(true);
                Thread checker = null;
                if (!target.isShared()) {
                    Consumer group = p.consumer(VERIFY_GROUP);
                    checker = Thread.ofPlatform().name("vbuf-receive-verify").start(() ->
                            verify(group, layout, verifying, verified, failures, firstFailure));
                }
                var c = receiver.counters();
                long t0 = System.nanoTime(), nextStatus = t0 + 1_000_000_000L;
                long[] lastProgress = {t0, 0};
                boolean timedOut;
                try (receiver) {
                    receiver.run(() -> {
                        long now = System.nanoTime();
                        long seen = c.get(CHUNKS) + c.get(STRAY_CHUNKS) + c.get(STALLS);
                        if (seen != lastProgress[1]) {
                            lastProgress[1] = seen;
                            lastProgress[0] = now;
                        }
                        return !stopRequested.get() && (frames == null || c.get(FRAMES) < frames)
                                && now - lastProgress[0] < idleLimit.toNanos();
                    });
                    long now = System.nanoTime();
                    timedOut = !receiver.endOfStream() && !stopRequested.get() && (frames == null || c.get(FRAMES) < frames)
                            && now - lastProgress[0] >= idleLimit.toNanos();
                    if (!receiver.endOfStream()) p.markEndOfStream();
                    // let local readers finish the frames in the pool before it closes
                    IncomingPoolOptions.awaitReaders(p, groups, System.nanoTime() + idleLimit.toNanos(), stopRequested::get);
                    verifying.set(false);
                    if (checker != null) checker.join();
                }
                long wall = System.nanoTime() - t0;
                status.finish();
                var lat = receiver.latency();
                double secs = wall / 1e9;
                boolean ok = failures.get() == 0 && !timedOut;
                boolean stopped = stopRequested.get();
                if (json) {
                    var j = new Json().begin().put("ok", ok).put("channel", channel).put("stream", net.stream)
                            .put("pool", p.name()).put("shared", target.isShared());
                    for (var e : c.toMap().entrySet()) j.put(e.getKey(), e.getValue());
                    j.put("lost", receiver.lost()).put("naksSent", link.naksSent());
                    if (!target.isShared()) j.put("verified", verified.get()).put("verifyFailures", failures.get());
                    out.println(j.put("endOfStream", receiver.endOfStream()).put("timedOut", timedOut).put("stopped", stopped)
                            .put("durationMs", wall / 1e6, 1).put("gbPerSecond", c.get(BYTES) / secs / 1e9, 3)
                            .put("latencyP50Us", lat.valueAt(50) / 1e3, 1).put("latencyP99Us", lat.valueAt(99) / 1e3, 1)
                            .put("lastRefusal", receiver.lastRefusal() == null ? "" : receiver.lastRefusal()).end());
                } else {
                    out.printf(Locale.ROOT, "vbuf receive: %d frames (%s) in %.3f s = %.1f fps, %.3f GB/s, %d chunks, %d NAKs sent;"
                                    + " lost %d (%s)%s, end of stream %s%n", c.get(FRAMES), Units.bytes(c.get(BYTES)), secs,
                            c.get(FRAMES) / secs, c.get(BYTES) / secs / 1e9, c.get(CHUNKS), link.naksSent(), receiver.lost(),
                            causes(c.toMap()),
                            !target.isShared() ? String.format(Locale.ROOT, ", verified %d, failures %d", verified.get(), failures.get()) : "",
                            receiver.endOfStream() ? "yes" : stopped ? "no (stopped by a signal)" : "no");
                    out.printf(Locale.ROOT, "  latency sender submit -> pool submit here p50 %s us, p99 %s us (one clock:"
                                    + " meaningful on one machine)%n", Units.micros(lat.valueAt(50)), Units.micros(lat.valueAt(99)));
                }
                out.flush();
                if (receiver.lastRefusal() != null) err.println("vbuf receive: last refused message: " + receiver.lastRefusal());
                if (firstFailure.get() != null) err.println("vbuf receive: first failure: " + firstFailure.get());
                if (timedOut) err.println("vbuf receive: nothing for " + timeout + " and no end of stream; is the sender running?");
                err.flush();
                if (stopped) return GracefulStop.EXIT_CODE;
                return ok ? 0 : 1;
            }
        }
    }

    private double checkedLoss() {
        if (!(simulateLoss >= 0 && simulateLoss <= 0.9)) {
            throw Flags.bad(spec, "--simulate-loss " + simulateLoss + " is out of range: give a fraction from 0 to 0.9"
                    + " (0.05 drops 5% of the arriving data packets)");
        }
        return simulateLoss;
    }

    /** "gap 1, timeout 2": the non-zero loss and refusal counters. */
    private static String causes(java.util.Map<String, Long> counters) {
        var parts = new ArrayList<String>();
        for (var e : counters.entrySet()) {
            if (e.getValue() != 0 && (e.getKey().startsWith("lost") || e.getKey().startsWith("refused"))) {
                parts.add(e.getKey() + " " + e.getValue());
            }
        }
        return parts.isEmpty() ? "none" : String.join(", ", parts);
    }

    /** The private pool's reader: every frame against the test pattern of its pts, pts increasing. */
    private static void verify(Consumer group, FrameLayout layout, AtomicBoolean running, AtomicLong verified,
                               AtomicLong failures, AtomicReference<String> firstFailure) {
        try (TestPattern pattern = new TestPattern(layout)) {
            long last = -1;
            while (running.get() || group.lag() > 0) {
                Frame f = group.acquireFilled(Duration.ofMillis(50));
                if (f == null) continue;
                try {
                    if (f.isEndOfStream() && f.payloadSize() == 0) continue;
                    long pts = f.pts();
                    long bad = pattern.verify(f.segment(), pts);
                    String why = bad >= 0 ? "frame " + pts + ": byte at offset " + bad + " differs from the pattern"
                            : pts <= last ? "frame " + pts + " after " + last + " (not increasing)" : null;
                    if (why != null) {
                        failures.incrementAndGet();
                        firstFailure.compareAndSet(null, why);
                    }
                    last = Math.max(last, pts);
                    verified.incrementAndGet();
                } finally {
                    group.releaseFilled(f);
                }
            }
        }
    }
}
