package dev.vbuf.cli;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.media.MediaCounters;
import dev.vbuf.media.Pipeline;
import dev.vbuf.media.Sink;
import dev.vbuf.media.TestSource;
import dev.vbuf.media.sink.VerifySink;
import dev.vbuf.pool.FramePool;
import dev.vbuf.sizing.PoolPlan;
import dev.vbuf.sizing.PoolSizer;
import dev.vbuf.stats.PoolStats;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * {@code vbuf run}: a stream through a pool, through vbuf-media's {@link Pipeline} like every
 * other source. Without {@code --input/--output} the source is the paced test pattern
 * ({@link TestSource#paced}) and the sinks are verifier groups ({@link VerifySink}: verify,
 * sample, group3.., slow); with them, {@link MediaRun} picks the source and sink by name. A
 * status line shows progress once a second; a summary (text or one JSON object) ends the run.
 * Exit code 1 when a frame failed verification or a group's frames do not add up, 130 after
 * Ctrl-C or SIGTERM ({@link GracefulStop}: the summary is still printed).
 *
 * <h2>Pool size</h2>
 * {@code --pool N} if given; else {@code PoolSizer.plan(fps, latency, transfer, decode)} with a
 * minimum of {@code max(4, 2 x groups + 2)} frames: per group one held and one queued (so a
 * group that keeps up is never the oldest unheld frame's last reader when another group is
 * slow, even when the scheduler stalls it for a few frame periods), plus one being filled and
 * one spare. With {@code --fps 0} there is no rate to plan for, so the pool is that minimum. The
 * slow group counts as a group for the minimum, but its hold time is not fed to the sizer: it is
 * there to show what happens when a consumer is slower than the plan.
 */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Run a video stream through a frame pool: by default a paced, moving, sequence-stamped test pattern"
                + " read by consumer groups that verify every frame; with --input/--output real pictures from files or"
                + " devices. Reports rate, drops, hand-off latency and GC.")
public final class RunCommand implements Callable<Integer> {
    static final int MAX_FPS = (int) PoolSizer.MAX_FPS;
    static final long MAX_FRAMES = 1_000_000_000L;
    static final int MAX_SLOW_MS = 10_000;
    static final int MIN_POOL_FRAMES = 4;
    static final Duration MAX_DURATION = Duration.ofHours(24);
    /**
     * How long past {@code --duration} the run may go to finish the picture in hand before it is
     * stopped like Ctrl-C (a paced source that keeps up is done by then; see {@link #durationWatch}).
     */
    static final long DURATION_GRACE_NANOS = 250_000_000L;
    /** The group other processes read by default ('vbuf consume NAME'). */
    static final String REMOTE_GROUP = "consume";

    @Spec
    CommandSpec spec;

    @Mixin
    FrameOptions frame;

    @Option(names = "--duration", defaultValue = "10s",
            description = "How long to run (wall time, also when the producer waits for a full pool), greater than 0 and at most 24h"
                    + " (e.g. 10s, 500ms). Default: ${DEFAULT-VALUE}.")
    String duration;

    @Option(names = "--frames", paramLabel = "N",
            description = "Stop after N frames, 1..1000000000 (overrides --duration).")
    Long frames;

    @Mixin
    PoolOptions pool;

    @Option(names = "--groups", paramLabel = "N", defaultValue = "2",
            description = "Consumer groups, 1..16: verify, sample, then group3.. (verify every frame). Default: ${DEFAULT-VALUE}.")
    int groups;

    @Option(names = "--slow-consumer-ms", paramLabel = "MS",
            description = "Add a group 'slow' that holds each frame MS milliseconds, 1..10000.")
    Integer slowMs;

    @Mixin
    MemoryOption memory;

    @Mixin
    SizerOptions sizer;

    @Mixin
    JsonOption jsonOption;

    // ---- real media (vbuf-media; see MediaRun) ----
    @Option(names = "--input", paramLabel = "SRC", description = "testsrc (default), a file (.y4m, raw .yuv, .mkv, .mp4 ...), /dev/videoN, or aeron:udp?endpoint=ADDRESS:PORT"
            + " (frames another machine sends, see docs/NET.md).")
    String input;

    @Option(names = "--output", paramLabel = "DST", description = "null, checksum, a file (.y4m, .yuv, .mkv, .mp4, .nut ...), /dev/fbN, or aeron:udp?endpoint=HOST:PORT"
            + " (frames to 'vbuf receive' or a 'vbuf run --input aeron:...' there)."
            + " With --input or --output the run moves real pictures through the pool (see docs/MEDIA.md).")
    String output;

    @Option(names = "--reader", defaultValue = "mmap", description = "Y4M/raw reader: mmap, direct (O_DIRECT) or io_uring; for /dev/videoN the buffer memory: mmap, userptr, dmabuf or expbuf. Default: ${DEFAULT-VALUE}.")
    String reader;

    @Option(names = "--threads", defaultValue = "1", description = "Reader threads for Y4M/raw input, 1..64. Default: ${DEFAULT-VALUE}.")
    int threads;

    @Option(names = "--loop", description = "Start the input again at its end (stop with --frames).")
    boolean loop;

    @Option(names = "--allow-truncated", description = "An input that ends early (a cut file, a damaged packet) is a counted"
            + " warning instead of an error; what decodes is written.")
    boolean allowTruncated;

    @Option(names = "--ffmpeg-log", paramLabel = "LEVEL", defaultValue = "warning",
            description = "Which of FFmpeg's own log lines to show (on standard error, through the same logger as vbuf's):"
                    + " quiet, error, warning, info, verbose, debug. Default: ${DEFAULT-VALUE}.")
    String ffmpegLog;

    @Option(names = "--shared", paramLabel = "NAME",
            description = "Put the pool in shared memory as /dev/shm/vbuf.NAME, so other processes attach to it"
                    + " ('vbuf consume NAME', 'vbuf inspect NAME', or C programs with include/vbuf_shm.h).")
    String shared;

    @Option(names = "--remote-groups", paramLabel = "G1,G2", split = ",", defaultValue = REMOTE_GROUP,
            description = "With --shared: consumer groups read by other processes (frames wait for them under the"
                    + " pool's policy). Default: ${DEFAULT-VALUE}.")
    List<String> remoteGroups;

    @Option(names = "--shared-mode", paramLabel = "MODE", defaultValue = "600",
            description = "With --shared: permission bits of the pool's file, octal 600..666. Default: ${DEFAULT-VALUE}.")
    String sharedMode;

    boolean json() {
        return jsonOption.json;
    }

    /** One verifier group of this process. */
    record Group(String name, VerifySink.Mode mode) {}

    /**
     * Everything validated, ready to run. {@code durationNanos} is the paced source's own limit
     * (checked between pictures, --fps 0 only); {@code durationLimitNanos} is --duration as wall
     * time for every rate, enforced by {@link #durationWatch}.
     */
    record Setup(FrameLayout layout, double fps, long maxFrames, long durationNanos, long durationLimitNanos, int poolFrames,
                         String poolSizing, List<Group> groups, List<String> remoteGroups, int sharedMode) {
        List<String> groupNames() {
            return groups.stream().map(Group::name).toList();
        }
    }

    @Override
    public Integer call() throws Exception {
        if (frames != null) Flags.range(spec, "--frames", frames, 1, MAX_FRAMES);
        if (MediaRun.applies(this)) return new MediaRun(this).call();
        Setup s = validate();
        MemorySpec memorySpec = memorySpec();
        TestSource source;
        try {
            source = TestSource.paced(s.layout, s.fps, s.durationNanos);
        } catch (IllegalArgumentException e) {
            throw Flags.bad(spec, "--size " + frame.size + " is too small for the test pattern: " + e.getMessage());
        }
        var sinks = new ArrayList<VerifySink>();
        for (Group g : s.groups) {
            sinks.add(new VerifySink(g.name, g.mode, g.mode == VerifySink.Mode.SLOW ? TimeUnit.MILLISECONDS.toNanos(slowMs) : 0));
        }
        MediaCounters counters = new MediaCounters(s.maxFrames);
        try (source; GracefulStop stop = GracefulStop.install("run", counters::requestStop);
             MemorySpec.Built mem = shared != null ? null : memorySpec.build(s.poolFrames, s.layout.frameBytes())) {
            try {
                source.warmUp();
                return run(s, source, sinks, counters, mem, memorySpec, stop);
            } finally {
                for (VerifySink v : sinks) v.close();
            }
        }
    }

    /**
     * --memory; with --shared the base kind chooses the shared pool's memory: anon (the default) a
     * /dev/shm file, memfd a sealed memfd, hugepages a sealed memfd in explicit huge pages, dmaheap
     * and udmabuf one DMA-BUF per buffer; the last four are passed to other processes by fd.
     */
    MemorySpec memorySpec() {
        MemorySpec m = memory.memory;
        if (shared != null && m.zone() != null) {
            throw Flags.bad(spec, "--memory " + m.text() + " cannot be combined with --shared: a zone is private to this"
                    + " process; with --shared give anon, memfd, hugepages, dmaheap or udmabuf, with numa:N and/or locked");
        }
        return m;
    }

    /** The shared pool's memory for --memory's base kind. */
    static dev.vbuf.pool.PoolBuilder.SharedMemory sharedMemory(MemorySpec m) {
        return switch (m.base()) {
            case "memfd" -> dev.vbuf.pool.PoolBuilder.SharedMemory.MEMFD;
            case "hugepages" -> dev.vbuf.pool.PoolBuilder.SharedMemory.HUGEPAGES;
            case "dmaheap" -> dev.vbuf.pool.PoolBuilder.SharedMemory.DMA_HEAP;
            case "udmabuf" -> dev.vbuf.pool.PoolBuilder.SharedMemory.UDMABUF;
            default -> dev.vbuf.pool.PoolBuilder.SharedMemory.FILE;
        };
    }

    private Setup validate() {
        FrameLayout layout = frame.layout();
        double fps = frame.fps("0 = as fast as possible");
        Duration d = Flags.duration(spec, "--duration", duration, Duration.ZERO, true, MAX_DURATION);
        Integer poolFrames = pool.frames();
        List<String> remote = List.of();
        int mode = 0600;
        if (shared != null) {
            try {
                dev.vbuf.shm.ShmNames.check(shared);
            } catch (IllegalArgumentException e) {
                throw Flags.bad(spec, "--shared: " + e.getMessage());
            }
            remote = List.copyOf(remoteGroups);
            try {
                mode = Integer.parseInt(sharedMode, 8);
            } catch (NumberFormatException e) {
                mode = -1;
            }
            if (mode < 0600 || mode > 0666 || (mode & 0600) != 0600) {
                throw Flags.bad(spec, "--shared-mode " + sharedMode + " is not octal permission bits 600..666"
                        + " (the owner needs read and write; 600 keeps other users out)");
            }
        }
        Flags.range(spec, "--groups", groups, 1, FramePool.MAX_GROUPS);
        if (slowMs != null) {
            Flags.range(spec, "--slow-consumer-ms", slowMs, 1, MAX_SLOW_MS);
            if (groups + 1 > FramePool.MAX_GROUPS) {
                throw Flags.bad(spec, "--groups " + groups + " with --slow-consumer-ms makes " + (groups + 1)
                        + " groups; a pool has 1.." + FramePool.MAX_GROUPS + ", so use --groups 1.." + (FramePool.MAX_GROUPS - 1));
            }
        }
        Duration lat = sizer.latency(), tr = sizer.transfer(), dec = sizer.decode();

        var local = new ArrayList<Group>();
        for (int g = 0; g < groups; g++) {
            local.add(new Group(g == 0 ? "verify" : g == 1 ? "sample" : "group" + (g + 1),
                    g == 1 ? VerifySink.Mode.SAMPLE : VerifySink.Mode.VERIFY));
        }
        if (slowMs != null) local.add(new Group("slow", VerifySink.Mode.SLOW));
        var names = local.stream().map(Group::name).toList();
        for (String r : remote) {
            if (names.contains(r) || r.isEmpty()) {
                throw Flags.bad(spec, "--remote-groups " + String.join(",", remote) + ": '" + r + "' is empty or already"
                        + " a group of this process (" + String.join(",", names) + ")");
            }
        }
        if (names.size() + remote.size() > FramePool.MAX_GROUPS) {
            throw Flags.bad(spec, (names.size() + remote.size()) + " consumer groups (" + names.size() + " here, "
                    + remote.size() + " remote) is over the pool's " + FramePool.MAX_GROUPS);
        }
        int minimum = Math.max(MIN_POOL_FRAMES, 2 * (names.size() + remote.size()) + 2);
        int count;
        String sizing;
        if (poolFrames != null) {
            count = poolFrames;
            sizing = "--pool " + poolFrames;
        } else if (fps > 0) {
            PoolPlan plan = PoolSizer.plan(fps, lat, tr, dec, layout.frameBytes(), minimum);
            count = plan.frames();
            sizing = plan.frames() > plan.base() + plan.safety() + plan.producer()
                    ? "minimum " + minimum + " (max(4, 2 x groups + 2); the sizer gave " + (plan.base() + plan.safety() + plan.producer()) + ")"
                    : "sizer: base " + plan.base() + " + safety " + plan.safety() + " + producer " + plan.producer();
        } else {
            count = minimum;
            sizing = "minimum " + minimum + " (max(4, 2 x groups + 2); --fps 0 has no rate to plan for)";
        }
        long maxFrames;
        long durationNanos = 0;
        if (frames != null) maxFrames = frames;
        else if (fps > 0) maxFrames = Math.max(1, (long) Math.ceil(d.toNanos() * fps / 1e9));
        else {
            maxFrames = -1;
            durationNanos = d.toNanos();
        }
        return new Setup(layout, fps, maxFrames, durationNanos, d.toNanos(), count, sizing, List.copyOf(local), remote, mode);
    }

    private int run(Setup s, TestSource source, List<VerifySink> sinks, MediaCounters counters, MemorySpec.Built mem,
                    MemorySpec memorySpec, GracefulStop stop) throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter statusOut = json() ? spec.commandLine().getErr() : out;
        StatusLine status = new StatusLine(statusOut, StatusLine.isTerminal());
        if (shared != null && !json()) {
            out.printf("vbuf run: shared pool '%s', groups for other processes: %s; attach with 'vbuf consume %s'%n",
                    shared, String.join(",", s.remoteGroups), shared);
            out.flush();
        }
        long[][] gc0 = {gcTotals()};
        var built = new AtomicReference<FramePool>();
        var options = new Pipeline.Options(shared != null ? shared : "vbuf-run", s.poolFrames, pool.policy,
                mem == null ? null : mem.allocator(), s.groupNames(), s.remoteGroups, request -> {
            var b = FramePool.builder().name(request.name()).layout(s.layout).count(request.frames())
                    .groups(request.groups()).overflow(request.overflow()).waitStrategy(pool.wait.strategy())
                    .recordTimestamps(true);
            FramePool fp = (shared != null ? b.shared(shared).sharedMemory(sharedMemory(memorySpec)).sharedMode(s.sharedMode).sharedNumaNode(memorySpec.node())
                    .sharedLocked(memorySpec.locked()) : b.allocator(request.allocator())).build();
            gc0[0] = gcTotals(); // the run's GC figures start here, after the pool (and its MBean) exist
            built.set(fp);
            return fp;
        });
        RemoteWatch watch = shared == null ? null : new RemoteWatch(shared, s.remoteGroups, pool.policy);
        long[] last = {0, System.nanoTime()};
        var timedOut = new AtomicBoolean();
        Thread durationWatch = frames == null ? durationWatch(source, s.durationLimitNanos, counters, () -> {
            FramePool fp = built.get();
            return fp != null && !fp.endOfStream();
        }, timedOut) : null;
        Pipeline.Result r;
        try {
            r = Pipeline.run(source, List.<Sink>copyOf(sinks), options, counters, (fp, c) -> {
                long now = System.nanoTime();
                PoolStats ps = fp.stats();
                double rate = (ps.published() - last[0]) * 1e9 / Math.max(1, now - last[1]);
                last[0] = ps.published();
                last[1] = now;
                status.show(statusText(ps, rate, c.sourceDrops.sum(), sinks.getFirst()));
                if (watch != null) {
                    for (String note : watch.check(fp, ps, rate)) status.note(note);
                }
            });
        } catch (Pipeline.OpenException e) {
            throw new IllegalStateException("a verifier could not start: " + e.getMessage(), e);
        } catch (InternalError fault) {
            // SIGBUS on the shared mapping (its file truncated under this process), while closing the pool
            if (shared == null) throw fault;
            throw dev.vbuf.shm.PoolFile.vanished(shared, fault);
        } finally {
            if (durationWatch != null) durationWatch.interrupt();
        }
        long wall = r.wallNanos(); // from the source's start: building the pool is not part of the run
        long[] gc1 = gcTotals();
        status.finish();
        if (timedOut.get()) {
            spec.commandLine().getErr().println("vbuf run: stopped at --duration " + duration + " with " + counters.frames.sum()
                    + (s.maxFrames > 0 ? " of " + s.maxFrames : "") + " frames made: the producer was held up waiting for"
                    + " a free buffer (the pool was full; see the notes above)");
            spec.commandLine().getErr().flush();
        }
        RunReport report = new RunReport(this, s, source, sinks, counters, r, wall, gc1[0] - gc0[0][0], gc1[1] - gc0[0][1], stop.signalled());
        if (json()) {
            out.println(report.json());
        } else {
            out.print(report.text());
        }
        out.flush();
        for (String e : report.errors()) spec.commandLine().getErr().println("vbuf run: " + e);
        spec.commandLine().getErr().flush();
        if (stop.signalled()) return GracefulStop.EXIT_CODE;
        return report.ok() ? 0 : 1;
    }

    /**
     * Stops the run (as Ctrl-C does: the picture in hand is finished, the sinks drain, the
     * summary is printed) once {@code durationNanos} plus {@link #DURATION_GRACE_NANOS} have
     * passed since the source started. The paced source checks its limit only between pictures;
     * under BLOCK or ADAPTIVE a producer whose pool is full of frames kept for a group nobody
     * reads (a remote group with no process attached) waits inside {@code acquireFree} and would
     * never get there. With --fps N the limit is N x duration frames, which such a producer
     * never reaches either, and one that fell behind would run past the duration catching up.
     */
    static Thread durationWatch(TestSource source, long durationNanos, MediaCounters counters, BooleanSupplier producing,
                                AtomicBoolean fired) {
        return Thread.ofPlatform().daemon().name("vbuf-run-duration").start(() -> {
            while (source.startNanos() == 0) { // the clock starts with the source, after warm-up and the pool
                LockSupport.parkNanos(5_000_000L);
                if (Thread.interrupted()) return;
            }
            long deadline = source.startNanos() + durationNanos + DURATION_GRACE_NANOS;
            for (long left = deadline - System.nanoTime(); left > 0; left = deadline - System.nanoTime()) {
                LockSupport.parkNanos(left);
                if (Thread.interrupted()) return;
            }
            if (!counters.stopRequested() && producing.getAsBoolean()) { // not when only the sinks are still draining
                fired.set(true);
                counters.requestStop();
            }
        });
    }

    private static String statusText(PoolStats ps, double rate, long skipped, VerifySink verify) {
        Histogram h = verify.intervalLatency();
        String lat = h.getTotalCount() == 0 ? verify.name() + " p50 - p99 -"
                : verify.name() + " p50 " + Units.micros(h.getValueAtPercentile(50)) + "us p99 "
                + Units.micros(h.getValueAtPercentile(99)) + "us";
        return String.format(Locale.ROOT, "frames %d  fps %.1f  drops %d%s  HOT %d WARM %d COLD %d  %s",
                ps.published(), rate, ps.drops(), skipped > 0 ? "  skipped " + skipped : "",
                ps.hot(), ps.warm(), ps.cold(), lat);
    }

    /** Collections and collection time (ms) summed over the garbage collectors. */
    private static long[] gcTotals() {
        long count = 0, time = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            count += Math.max(0, gc.getCollectionCount());
            time += Math.max(0, gc.getCollectionTime());
        }
        return new long[] {count, time};
    }

}
