package dev.vbuf.cli;

import dev.vbuf.bench.harness.Json;
import dev.vbuf.format.TestPattern;
import dev.vbuf.pool.Consumer;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.PoolBuilder;
import dev.vbuf.pool.FramePool;
import dev.vbuf.pool.WaitStrategy;
import dev.vbuf.stats.GroupStats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code vbuf consume NAME}: attaches to a shared pool from another process and reads one
 * consumer group, checking every frame as the {@code verify} group of {@code vbuf run} does
 * (every byte against the test pattern of the frame's number, sequence numbers increasing).
 * Frames are read in place in the shared mapping: nothing is copied.
 */
@Command(name = "consume", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Attach to a shared pool (vbuf run --shared NAME) from this process, or create one (--create), and"
                + " verify every frame one consumer group gets, in place, without a copy.")
public final class ConsumeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", description = "The shared pool's name (see 'vbuf shm ls').")
    String name;

    @Option(names = "--group", defaultValue = RunCommand.REMOTE_GROUP,
            description = "Consumer group to read (the pool's groups are listed by 'vbuf inspect NAME'). Default: ${DEFAULT-VALUE}.")
    String group;

    @Option(names = "--frames", paramLabel = "N", description = "Stop after N frames, 1..1000000000 (default: until end of stream).")
    Long frames;

    @Option(names = "--wait", converter = Converters.WaitConverter.class,
            description = "How to wait for frames: futex (sleep in the kernel, woken by the producer), spin, yield or park."
                    + " Default: ${DEFAULT-VALUE}.")
    Converters.Wait waitKind;

    @Option(names = "--timeout", defaultValue = "30s",
            description = "Give up when no frame comes for this long, 1ms..24h. Default: ${DEFAULT-VALUE}.")
    String timeout;

    @Option(names = "--hold-ms", paramLabel = "MS", description = "Hold each frame MS milliseconds before releasing it, 1..10000.")
    Integer holdMs;

    @Option(names = "--check", defaultValue = "pattern",
            description = "What every frame is checked against: pattern (every byte against the test pattern of its number, as"
                    + " 'vbuf run' writes it) or capture (frames of 'vbuf capture --shared': not empty, not all zero bytes, numbers"
                    + " and capture times increasing; a CRC-32 of every frame's bytes, folded into one, to compare with the"
                    + " capturing process's). Default: ${DEFAULT-VALUE}.")
    String check;

    @Option(names = "--create", paramLabel = "WxH", converter = SizeConverter.Create.class,
            description = "Create the shared pool NAME (frames of this size, group --group) instead of attaching to one, and"
                    + " read it: for a producer that attaches to a pool, such as GStreamer's vbufsink. Use --check capture for"
                    + " frames that are not vbuf's test pattern.")
    FrameSize create;

    @Option(names = "--format", converter = Converters.Format.class, defaultValue = "nv12",
            description = "With --create: the frames' pixel format. Default: ${DEFAULT-VALUE}.")
    dev.vbuf.format.PixelFormat format;

    @Option(names = "--count", paramLabel = "N", defaultValue = "8",
            description = "With --create: frames in the pool, 2..1024. Default: ${DEFAULT-VALUE}.")
    int count;

    @Mixin
    JsonOption jsonOption;

    @Override
    public Integer call() {
        if (frames != null) Flags.range(spec, "--frames", frames, 1, RunCommand.MAX_FRAMES);
        if (holdMs != null) Flags.range(spec, "--hold-ms", holdMs, 1, RunCommand.MAX_SLOW_MS);
        if (!check.equals("pattern") && !check.equals("capture")) throw Flags.bad(spec, "--check " + check + " is not pattern or capture");
        Duration wait = Flags.duration(spec, "--timeout", timeout, Duration.ZERO, true, Duration.ofHours(24));
        boolean json = jsonOption.json;
        WaitStrategy strategy = waitKind.strategy();
        String waitName = waitKind.toString();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        FramePool attached;
        if (create != null) {
            Flags.range(spec, "--count", count, 2, 1024);
            attached = FramePool.builder().shared(name).layout(dev.vbuf.format.FrameLayout.of(format, create.width(), create.height()))
                    .count(count).groups(group).waitStrategy(strategy).jmx(false).build();
            err.println("consume: created shared pool " + name + " (" + create + " " + format + ", " + count
                    + " frames, group '" + group + "'); waiting for a producer to attach");
            err.flush();
        } else {
            attached = FramePool.attach(name, new PoolBuilder.AttachOptions().waitStrategy(strategy).jmx(false));
        }
        // Ctrl-C / SIGTERM: finish the frame in hand, print the summary, detach cleanly, exit 130
        var stopRequested = new java.util.concurrent.atomic.AtomicBoolean();
        try {
            return consume(attached, stopRequested, strategy, waitName, wait, json, out, err);
        } catch (InternalError fault) {
            // SIGBUS on the mapping (the JVM's error for an access past the end of a truncated
            // file), in the loop or while detaching: say what happened, exit 1
            throw dev.vbuf.shm.PoolFile.vanished(name, fault);
        }
    }

    /** The pool's memory and each buffer's kind, whether it came by fd and is sealed, and its DMA-BUF fd (-1: none). */
    static void memoryJson(Json j, FramePool pool) {
        dev.vbuf.shm.SharedMemoryInfo m = pool.sharedMemory();
        j.put("memory", m.kind()).put("byFd", m.byFd()).put("sealed", m.sealedAgainstTruncate()).put("seals", m.sealText());
        j.array("buffers");
        for (int i = 0; i < pool.getTotalCount(); i++) {
            j.begin().put("id", i).put("memory", m.bufferKind()).put("byFd", m.byFd()).put("sealed", m.sealedAgainstTruncate())
                    .put("fd", m.bufferFds() == null ? -1 : m.bufferFds()[i]).end();
        }
        j.endArray();
    }

    /** The same as text: the pool's memory, then one line per run of buffers that read the same. */
    static String memoryText(FramePool pool) {
        dev.vbuf.shm.SharedMemoryInfo m = pool.sharedMemory();
        var b = new StringBuilder("  memory: ").append(m.byFd() ? m.kind() + (m.sealedAgainstTruncate() ? " sealed " + m.sealText()
                : " NOT sealed") + ", received by fd (SCM_RIGHTS) over " + m.path() : "file " + m.path() + ", opened by path, not sealed")
                .append(System.lineSeparator());
        int n = pool.getTotalCount();
        for (int i = 0; i < n; ) {
            String t = m.bufferShort(i);
            int k = i + 1;
            while (k < n && m.bufferShort(k).equals(t)) k++;
            b.append(String.format(Locale.ROOT, "  buffer%s %s%n", k - i == 1 ? " " + i + ":" : "s " + i + ".." + (k - 1) + ":", t));
            i = k;
        }
        return b.toString();
    }

    private int consume(FramePool attached, java.util.concurrent.atomic.AtomicBoolean stopRequested, WaitStrategy strategy,
                        String waitName, Duration wait, boolean json, PrintWriter out, PrintWriter err) {
        try (GracefulStop stop = GracefulStop.install("consume", () -> stopRequested.set(true)); FramePool pool = attached) {
            Consumer consumer;
            try {
                consumer = pool.consumer(group);
            } catch (IllegalArgumentException e) {
                throw Flags.bad(spec, "--group " + group + ": " + e.getMessage());
            }
            boolean capture = check.equals("capture");
            var crc = new java.util.zip.CRC32();
            var fold = new java.util.zip.CRC32();
            byte[] crcBytes = new byte[4];
            long lastCaptureNs = Long.MIN_VALUE;
            if (pool.layout() == null && !capture) {
                throw new IllegalStateException("shared pool '" + name + "' has no frame layout, so its frames cannot"
                        + " be checked against the test pattern");
            }
            StatusLine status = new StatusLine(json ? err : out, StatusLine.isTerminal());
            var latency = new LatencyStats();
            long taken = 0, verified = 0, failures = 0, gaps = 0, last = -1, first = -1;
            boolean eos = false, timedOut = false, stopped = false;
            String firstFailure = null;
            long t0 = System.nanoTime(), nextStatus = t0 + 1_000_000_000L;
            try (TestPattern pattern = capture ? null : new TestPattern(pool.layout())) {
                long idleSince = System.nanoTime();
                while (frames == null || taken < frames) {
                    if (stopRequested.get()) {
                        stopped = true;
                        break;
                    }
                    // short waits, so that a stop request is seen within 100 ms
                    Frame f = consumer.acquireFilled(Duration.ofMillis(Math.min(100, wait.toMillis() + 1)));
                    if (f == null) {
                        if (pool.endOfStream() && consumer.lag() == 0) break;
                        if (System.nanoTime() - idleSince >= wait.toNanos()) {
                            timedOut = !pool.endOfStream();
                            break;
                        }
                        continue;
                    }
                    idleSince = System.nanoTime();
                    if (f.isEndOfStream() && f.payloadSize() == 0) { // an empty end-of-stream marker frame
                        consumer.releaseFilled(f);
                        eos = true;
                        break;
                    }
                    try {
                        long now = System.nanoTime();
                        if (f.submitTimeNs() != 0) latency.record(now - f.submitTimeNs());
                        long seq = f.pts();
                        taken++;
                        if (first < 0) first = seq;
                        if (seq <= last) {
                            failures++;
                            if (firstFailure == null) firstFailure = "frame " + seq + " after " + last + " (not increasing)";
                        } else {
                            if (last >= 0) gaps += seq - last - 1;
                            last = seq;
                        }
                        f.beginCpuAccess(Frame.CPU_READ); // DMA_BUF_IOCTL_SYNC for a DMA-BUF pool, nothing otherwise
                        long bad;
                        String problem = null;
                        try {
                            if (capture) {
                                bad = -1;
                                long payload = f.payloadSize();
                                if (payload <= 0 || payload > f.size() || CaptureCommand.allZero(f.segment(), payload)) {
                                    problem = "frame " + seq + " is empty (payload " + payload + " of " + f.size() + " bytes)";
                                } else {
                                    crc.reset();
                                    crc.update(f.segment().asSlice(0, payload).asByteBuffer());
                                    int v = (int) crc.getValue();
                                    crcBytes[0] = (byte) (v >>> 24); crcBytes[1] = (byte) (v >>> 16); crcBytes[2] = (byte) (v >>> 8); crcBytes[3] = (byte) v;
                                    fold.update(crcBytes);
                                }
                                if (problem == null && f.captureTimeNs() < lastCaptureNs) {
                                    problem = "frame " + seq + " was captured before the frame ahead of it";
                                }
                                lastCaptureNs = f.captureTimeNs();
                            } else {
                                bad = pattern.verify(f.segment(), seq);
                                if (bad >= 0) problem = "frame " + seq + ": byte at offset " + bad + " differs from the pattern";
                            }
                        } finally {
                            f.endCpuAccess(Frame.CPU_READ);
                        }
                        verified++;
                        if (problem != null) {
                            failures++;
                            if (firstFailure == null) firstFailure = problem;
                        }
                        if (holdMs != null) java.util.concurrent.locks.LockSupport.parkNanos(holdMs * 1_000_000L);
                        eos = f.isEndOfStream();
                        if (now >= nextStatus) {
                            status.show(String.format(Locale.ROOT, "%s/%s: frames %d  verified %d  failures %d  missed %d",
                                    name, group, taken, verified, failures, gaps));
                            nextStatus = now + 1_000_000_000L;
                        }
                    } finally {
                        consumer.releaseFilled(f);
                    }
                    if (eos) break;
                }
            }
            long wall = System.nanoTime() - t0;
            status.finish();
            GroupStats gs = pool.stats().groups().get(consumer.groupIndex());
            var h = latency.total();
            double fps = taken < 2 ? 0 : taken * 1e9 / wall;
            if (!eos && !stopped && !timedOut && pool.endOfStream()) eos = true;
            boolean ok = failures == 0 && !timedOut;
            if (json) {
                Json j = new Json().begin().put("ok", ok).put("pool", name).put("group", group).put("frames", taken)
                        .put("verified", verified).put("verifyFailures", failures).put("missed", gaps)
                        .put("firstSequence", first).put("lastSequence", last).put("endOfStream", eos)
                        .put("timedOut", timedOut).put("stopped", stopped).put("fps", fps, 1).put("durationMs", wall / 1e6, 1)
                        .put("latencyP50Us", h.getValueAtPercentile(50) / 1e3, 1)
                        .put("latencyP99Us", h.getValueAtPercentile(99) / 1e3, 1)
                        .put("groupDropped", gs.dropped()).put("wait", waitName)
                        .put("copies", 0).put("check", check);
                if (capture) j.put("crc", String.format(Locale.ROOT, "%08x", fold.getValue()));
                memoryJson(j, pool);
                out.println(j.end());
            } else {
                out.printf(Locale.ROOT, "vbuf consume %s, group %s: %d frames (%d..%d) in %.3f s = %.1f fps, verified %d,"
                                + " failures %d, missed %d (before attach, or dropped for the group: %d), end of stream %s%n",
                        name, group, taken, first, last, wall / 1e9, fps, verified, failures, gaps, gs.dropped(),
                        eos ? "yes" : stopped ? "no (stopped by a signal)" : "no");
                out.printf(Locale.ROOT, "  hand-off latency p50 %s us, p99 %s us (submit in the producer process ->"
                        + " this process has the frame)%n", Units.micros(h.getValueAtPercentile(50)),
                        Units.micros(h.getValueAtPercentile(99)));
                if (capture) out.printf(Locale.ROOT, "  CRC-32 of the frames' CRC-32s: %08x%n", fold.getValue());
                out.print(memoryText(pool));
            }
            out.flush();
            if (firstFailure != null) err.println("vbuf consume: first failure: " + firstFailure);
            if (timedOut) err.println("vbuf consume: no frame for " + timeout + " and no end of stream; is the producer running?");
            err.flush();
            if (stopped) return GracefulStop.EXIT_CODE;
            return ok ? 0 : 1;
        }
    }
}
