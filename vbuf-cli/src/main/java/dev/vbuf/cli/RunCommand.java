package dev.vbuf.cli;

import dev.vbuf.pool.PoolBuilder;
import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.format.TestPattern;
import dev.vbuf.pool.FramePool;
import dev.vbuf.pool.Overflow;
import dev.vbuf.pool.WaitStrategy;
import dev.vbuf.sizing.PoolPlan;
import dev.vbuf.sizing.PoolSizer;
import dev.vbuf.stats.GroupStats;
import dev.vbuf.stats.PoolStats;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
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

/**
 * {@code vbuf run}: a synthetic stream through a pool. One producer thread writes the moving
 * test pattern at the chosen size, format and rate; one reader thread per consumer group checks
 * what it gets (see {@link GroupReader}); a status line shows progress once a second; a summary
 * (text or one JSON object) ends the run. Exit code 1 when a frame failed verification or a
 * group's frames do not add up (taken + dropped != published, or gaps in its sequence numbers
 * that its drops do not explain).
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
        description = "Run a synthetic video stream (moving, sequence-stamped test pattern) through a frame pool"
                + " read by consumer groups that verify every frame; report rate, drops, hand-off latency and GC.")
public final class RunCommand implements Callable<Integer> {
    static final int MAX_FPS = (int) PoolSizer.MAX_FPS;
    static final long MAX_FRAMES = 1_000_000_000L;
    static final int MAX_SLOW_MS = 10_000;
    static final int MIN_POOL_FRAMES = 4;
    static final Duration MAX_DURATION = Duration.ofHours(24);
    /** The group other processes read by default ('vbuf consume NAME'). */
    static final String REMOTE_GROUP = "consume";

    @Spec
    CommandSpec spec;

    @Option(names = "--size", paramLabel = "WxH", converter = SizeConverter.class, defaultValue = "3840x2160",
            description = "Frame size in pixels, 1..16384 each (or 720p, 1080p, 4k, 8k). Default: ${DEFAULT-VALUE}.")
    FrameSize size;

    @Option(names = "--format", defaultValue = "nv12",
            description = "Pixel format (nv12, i420, p010, yuyv, rgba, rgb24, gray8, ... or a V4L2 fourcc). Default: ${DEFAULT-VALUE}.")
    String format;

    @Option(names = "--fps", defaultValue = "60",
            description = "Frames per second, 0..1000 (0: as fast as the pool lets the producer go). Default: ${DEFAULT-VALUE}.")
    double fps;

    @Option(names = "--duration", defaultValue = "10s",
            description = "How long to run, greater than 0 and at most 24h (e.g. 10s, 500ms). Default: ${DEFAULT-VALUE}.")
    String duration;

    @Option(names = "--frames", paramLabel = "N",
            description = "Stop after N frames, 1..1000000000 (overrides --duration).")
    Long frames;

    @Option(names = "--pool", paramLabel = "N",
            description = "Pool size in frames, 1..65536 (default: PoolSizer's plan, at least max(4, 2 x groups + 2)).")
    Integer pool;

    @Option(names = "--policy", defaultValue = "block",
            description = "When no buffer is free: block, fail (skip the frame), drop-oldest or adaptive. Default: ${DEFAULT-VALUE}.")
    String policy;

    @Option(names = "--groups", paramLabel = "N", defaultValue = "2",
            description = "Consumer groups, 1..16: verify, sample, then group3.. (verify every frame). Default: ${DEFAULT-VALUE}.")
    int groups;

    @Option(names = "--slow-consumer-ms", paramLabel = "MS",
            description = "Add a group 'slow' that holds each frame MS milliseconds, 1..10000.")
    Integer slowMs;

    @Option(names = "--memory", defaultValue = "aligned",
            description = "Buffer memory: anon/aligned (off-heap, 4 KiB aligned, pre-faulted), memfd (shared memory,"
                    + " one exportable file descriptor per buffer), udmabuf (memfd exported as DMA-BUFs), dmaheap"
                    + " (DMA-BUF heap, falling back to memfd then anon), hugepages (2 MiB pages: explicit, else"
                    + " transparent, as read back from /proc/self/smaps) or zone:NAME (a buddy-allocated zone);"
                    + " add numa:N to bind to a node and locked to mlock (e.g. hugepages,locked,numa:0)."
                    + " The backing obtained shows in the summary. Default: ${DEFAULT-VALUE}.")
    String memory;

    @Option(names = "--wait", defaultValue = "park",
            description = "How waiting threads wait: spin, yield or park. Default: ${DEFAULT-VALUE}.")
    String waitName;

    @Option(names = "--latency", defaultValue = "16ms",
            description = "Sizer input: longest hold downstream, greater than 0 and at most 60s. Default: ${DEFAULT-VALUE}.")
    String latency;

    @Option(names = "--transfer", defaultValue = "2ms", description = "Sizer input: transfer time, 0..60s. Default: ${DEFAULT-VALUE}.")
    String transfer;

    @Option(names = "--decode", defaultValue = "3ms", description = "Sizer input: decode time, 0..60s. Default: ${DEFAULT-VALUE}.")
    String decode;

    @Option(names = "--json", description = "Print the summary as one JSON object on stdout (status lines go to stderr).")
    boolean json;

    // ---- real media (vbuf-media; see MediaRun) ----
    @Option(names = "--input", paramLabel = "SRC", description = "testsrc (default), a file (.y4m, raw .yuv, .mkv, .mp4 ...) or /dev/videoN.")
    String input;

    @Option(names = "--output", paramLabel = "DST", description = "null, checksum, a file (.y4m, .yuv, .mkv, .mp4, .nut ...) or /dev/fbN."
            + " With --input or --output the run moves real pictures through the pool (see docs/MEDIA.md).")
    String output;

    @Option(names = "--reader", defaultValue = "mmap", description = "Y4M/raw reader: mmap, direct (O_DIRECT) or io_uring; for /dev/videoN the buffer memory: mmap, userptr, dmabuf or expbuf. Default: ${DEFAULT-VALUE}.")
    String reader;

    @Option(names = "--threads", defaultValue = "1", description = "Reader threads for Y4M/raw input, 1..64. Default: ${DEFAULT-VALUE}.")
    int threads;

    @Option(names = "--loop", description = "Start the input again at its end (stop with --frames).")
    boolean loop;

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

    /** Everything validated, ready to run. */
    private record Setup(FrameLayout layout, Overflow overflow, String policyName, WaitStrategy waitStrategy, long ticks,
                         long durationNanos, long periodNanos, int poolFrames, String poolSizing,
                         List<String> groupNames, List<GroupReader.Mode> modes, List<String> remoteGroups, int sharedMode) {
        /** Groups read in this process, then groups read by other processes. */
        List<String> allGroups() {
            var all = new ArrayList<>(groupNames);
            all.addAll(remoteGroups);
            return all;
        }
    }

    /**
     * Compiles the pattern's write and verify paths before the clock starts, on a small frame of
     * the same format and then on up to 400 MiB of frames of the real size: interpreted, verifying one 4K frame takes tens of milliseconds, enough for
     * a group that keeps up in steady state to fall a pool's worth of frames behind in the first
     * second and lose frames that a real, warmed-up pipeline would not.
     */
    static void warmUp(FrameLayout layout, TestPattern pattern) {
        FrameLayout small = FrameLayout.of(layout.format(), 320, 240);
        try (TestPattern p = new TestPattern(small); java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            java.lang.foreign.MemorySegment frame = arena.allocate(small.frameBytes(), 4096);
            long bad = 0;
            for (int i = 0; i < 3000; i++) {
                p.write(frame, i);
                bad += p.verify(frame, i) + 1 + (p.readSequence(frame) == i ? 0 : 1);
            }
            // then the real size, so the compiled code has seen the real trip counts
            java.lang.foreign.MemorySegment full = arena.allocate(layout.frameBytes(), 4096);
            int rounds = (int) Math.max(4, Math.min(50, (400L << 20) / layout.frameBytes()));
            for (int i = 0; i < rounds; i++) {
                pattern.write(full, i);
                bad += pattern.verify(full, i) + 1;
            }
            if (bad != 0) throw new IllegalStateException("test pattern failed its own check while warming up");
        }
    }

    @Override
    public Integer call() throws Exception {
        if (MediaRun.applies(this) && shared != null) {
            throw Flags.bad(spec, "--shared works with the synthetic run only, not with --input/--output (yet)");
        }
        if (MediaRun.applies(this)) return new MediaRun(this).call();
        Setup s = validate();
        MemorySpec memorySpec = memorySpec();
        TestPattern pattern;
        try {
            pattern = new TestPattern(s.layout);
        } catch (IllegalArgumentException e) {
            throw Flags.bad(spec, "--size " + size + " is too small for the test pattern: " + e.getMessage());
        }
        warmUp(s.layout, pattern);
        PoolBuilder b = FramePool.builder()
                .name(shared != null ? shared : "vbuf-run")
                .layout(s.layout)
                .count(s.poolFrames)
                .groups(s.allGroups())
                .overflow(s.overflow)
                .waitStrategy(s.waitStrategy)
                .recordTimestamps(true);
        try (pattern; MemorySpec.Built mem = shared != null ? null : memorySpec.build(s.poolFrames, s.layout.frameBytes());
             FramePool fp = (shared != null
                     ? b.shared(shared).sharedMode(s.sharedMode).sharedNumaNode(memorySpec.node()).sharedLocked(memorySpec.locked())
                     : b.allocator(mem.allocator())).build()) {
            // SIGTERM / Ctrl-C: close the shared pool (end of stream for consumers, file removed)
            Thread hook = shared == null ? null : new Thread(fp::close, "vbuf-close-" + shared);
            if (hook != null) Runtime.getRuntime().addShutdownHook(hook);
            try {
                return runShared(s, fp, pattern);
            } finally {
                if (hook != null) {
                    try {
                        Runtime.getRuntime().removeShutdownHook(hook);
                    } catch (IllegalStateException shuttingDown) {
                        // the hook is running
                    }
                }
            }
        }
    }

    private int runShared(Setup s, FramePool fp, TestPattern pattern) throws InterruptedException {
        if (shared != null && !json) {
            spec.commandLine().getOut().printf("vbuf run: shared pool '%s' (%s), groups for other processes: %s;"
                    + " attach with 'vbuf consume %s'%n", shared, fp.backing(), String.join(",", s.remoteGroups), shared);
            spec.commandLine().getOut().flush();
        }
        return run(s, fp, pattern);
    }

    /** --memory, parsed by {@link MemorySpec}; a shared pool's buffers live in its /dev/shm file. */
    MemorySpec memorySpec() {
        MemorySpec m;
        try {
            m = MemorySpec.parse(memory);
        } catch (IllegalArgumentException e) {
            throw Flags.bad(spec, e.getMessage());
        }
        if (shared != null && (!m.base().equals("anon") || m.zone() != null)) {
            throw Flags.bad(spec, "--memory " + memory + " cannot be combined with --shared: a shared pool's buffers"
                    + " live in its /dev/shm file; with --shared give numa:N and/or locked only");
        }
        return m;
    }

    private Setup validate() {
        PixelFormat pf = Flags.format(spec, format);
        FrameLayout layout = Flags.layout(spec, size, pf);
        Flags.fps(spec, fps, true, MAX_FPS, "0 = as fast as possible");
        Duration d = Flags.duration(spec, "--duration", duration, Duration.ZERO, true, MAX_DURATION);
        if (frames != null) Flags.range(spec, "--frames", frames, 1, MAX_FRAMES);
        if (pool != null) Flags.range(spec, "--pool", pool, 1, FramePool.MAX_BUFFERS);
        Overflow overflow = switch (policy.toLowerCase(Locale.ROOT)) {
            case "block" -> Overflow.BLOCK;
            case "fail" -> Overflow.FAIL;
            case "drop-oldest" -> Overflow.DROP_OLDEST;
            case "adaptive" -> Overflow.ADAPTIVE;
            default -> throw Flags.bad(spec, "--policy " + policy + " is not one of block, fail, drop-oldest, adaptive");
        };
        WaitStrategy wait = switch (waitName.toLowerCase(Locale.ROOT)) {
            case "spin", "yield", "park", "futex" -> WaitStrategy.parse(waitName);
            default -> throw Flags.bad(spec, "--wait " + waitName + " is not one of spin, yield, park, futex");
        };
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
        Duration lat = Flags.duration(spec, "--latency", latency, Duration.ZERO, true, PoolSizer.MAX_LATENCY);
        Duration tr = Flags.duration(spec, "--transfer", transfer, Duration.ZERO, false, PoolSizer.MAX_LATENCY);
        Duration dec = Flags.duration(spec, "--decode", decode, Duration.ZERO, false, PoolSizer.MAX_LATENCY);

        var names = new ArrayList<String>();
        var modes = new ArrayList<GroupReader.Mode>();
        for (int g = 0; g < groups; g++) {
            names.add(g == 0 ? "verify" : g == 1 ? "sample" : "group" + (g + 1));
            modes.add(g == 1 ? GroupReader.Mode.SAMPLE : GroupReader.Mode.VERIFY);
        }
        if (slowMs != null) {
            names.add("slow");
            modes.add(GroupReader.Mode.SLOW);
        }
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
        int poolFrames;
        String sizing;
        if (pool != null) {
            poolFrames = pool;
            sizing = "--pool " + pool;
        } else if (fps > 0) {
            PoolPlan plan = PoolSizer.plan(fps, lat, tr, dec, layout.frameBytes(), minimum);
            poolFrames = plan.frames();
            sizing = plan.frames() > plan.base() + plan.safety() + plan.producer()
                    ? "minimum " + minimum + " (max(4, 2 x groups + 2); the sizer gave " + (plan.base() + plan.safety() + plan.producer()) + ")"
                    : "sizer: base " + plan.base() + " + safety " + plan.safety() + " + producer " + plan.producer();
        } else {
            poolFrames = minimum;
            sizing = "minimum " + minimum + " (max(4, 2 x groups + 2); --fps 0 has no rate to plan for)";
        }
        long period = fps > 0 ? Math.round(1e9 / fps) : 0;
        long ticks;
        if (frames != null) ticks = frames;
        else if (fps > 0) ticks = Math.max(1, (long) Math.ceil(d.toNanos() * fps / 1e9));
        else ticks = -1;
        return new Setup(layout, overflow, policy.toLowerCase(Locale.ROOT), wait, ticks, d.toNanos(), period,
                poolFrames, sizing, List.copyOf(names), List.copyOf(modes), remote, mode);
    }

    private int run(Setup s, FramePool fp, TestPattern pattern) throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter statusOut = json ? spec.commandLine().getErr() : out;
        StatusLine status = new StatusLine(statusOut, StatusLine.isTerminal());

        var readers = new ArrayList<GroupReader>();
        var threads = new ArrayList<Thread>();
        for (int g = 0; g < s.groupNames.size(); g++) {
            String name = s.groupNames.get(g);
            long hold = s.modes.get(g) == GroupReader.Mode.SLOW ? TimeUnit.MILLISECONDS.toNanos(slowMs) : 0;
            var r = new GroupReader(name, s.modes.get(g), fp.consumer(name), pattern, hold);
            readers.add(r);
            threads.add(Thread.ofPlatform().name("vbuf-" + name).unstarted(r));
        }
        var source = new SyntheticSource(fp, pattern, s.overflow, s.periodNanos, s.ticks, s.durationNanos);
        Thread producer = Thread.ofPlatform().name("vbuf-producer").unstarted(source);
        threads.add(producer);

        long[] gc0 = gcTotals();
        long t0 = System.nanoTime();
        threads.forEach(Thread::start);
        long nextStatus = t0 + TimeUnit.SECONDS.toNanos(1);
        long lastPublished = 0;
        long lastTime = t0;
        boolean stopping = false;
        while (!joinAll(threads, nextStatus)) {
            if (!stopping && (source.error != null || readers.stream().anyMatch(r -> r.error != null))) {
                stopping = true;
                threads.forEach(Thread::interrupt);
            }
            long now = System.nanoTime();
            PoolStats ps = fp.stats();
            double rate = (ps.published() - lastPublished) * 1e9 / Math.max(1, now - lastTime);
            status.show(statusText(ps, rate, source.skipped, readers.getFirst()));
            lastPublished = ps.published();
            lastTime = now;
            nextStatus += TimeUnit.SECONDS.toNanos(1);
        }
        long t1 = System.nanoTime();
        long[] gc1 = gcTotals();
        status.finish();

        PoolStats ps = fp.stats();
        Report report = new Report(s, source, readers, ps, t1 - t0, gc1[0] - gc0[0], gc1[1] - gc0[1]);
        if (json) {
            out.println(report.json());
        } else {
            out.print(report.text());
        }
        out.flush();
        for (String e : report.errors) spec.commandLine().getErr().println("vbuf run: " + e);
        spec.commandLine().getErr().flush();
        return report.ok() ? 0 : 1;
    }

    /** Joins every thread until {@code deadline}; true when all have ended. */
    private static boolean joinAll(List<Thread> threads, long deadline) throws InterruptedException {
        for (Thread t : threads) {
            long left = deadline - System.nanoTime();
            if (left <= 0) break;
            t.join(Duration.ofNanos(left));
        }
        for (Thread t : threads) if (t.isAlive()) return false;
        return true;
    }

    private static String statusText(PoolStats ps, double rate, long skipped, GroupReader verify) {
        Histogram h = verify.latency.interval();
        String lat = h.getTotalCount() == 0 ? verify.name + " p50 - p99 -"
                : verify.name + " p50 " + Units.micros(h.getValueAtPercentile(50)) + "us p99 "
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

    /** The end of a run: checks, text and JSON. */
    private final class Report {
        final Setup s;
        final SyntheticSource source;
        final List<GroupReader> readers;
        final PoolStats ps;
        final long wallNanos;
        final long gcCount;
        final long gcMs;
        final List<String> errors = new ArrayList<>();
        final long verifyFailures;

        Report(Setup s, SyntheticSource source, List<GroupReader> readers, PoolStats ps, long wallNanos, long gcCount, long gcMs) {
            this.s = s;
            this.source = source;
            this.readers = readers;
            this.ps = ps;
            this.wallNanos = wallNanos;
            this.gcCount = gcCount;
            this.gcMs = gcMs;
            long failures = 0;
            if (source.error != null) errors.add("producer failed: " + describe(source.error));
            for (int g = 0; g < readers.size(); g++) {
                GroupReader r = readers.get(g);
                GroupStats gs = ps.groups().get(g);
                failures += r.verifyFailures + r.sequenceErrors;
                if (r.error != null) errors.add("group " + r.name + " failed: " + describe(r.error));
                if (r.firstFailure != null) {
                    errors.add("group " + r.name + ": " + (r.verifyFailures + r.sequenceErrors) + " bad frame(s), first: " + r.firstFailure);
                }
                if (source.error != null || r.error != null || source.interrupted) continue;
                if (r.taken + gs.dropped() != ps.published()) {
                    errors.add("group " + r.name + ": taken " + r.taken + " + dropped " + gs.dropped() + " != published " + ps.published());
                }
                long missing = r.gaps + Math.max(0, ps.published() - 1 - r.lastSequence);
                if (missing != gs.dropped()) {
                    errors.add("group " + r.name + ": " + missing + " sequence number(s) never seen but " + gs.dropped() + " dropped");
                }
                if (!r.sawEndOfStream) errors.add("group " + r.name + " did not see the end-of-stream frame");
            }
            this.verifyFailures = failures;
        }

        boolean ok() {
            return errors.isEmpty();
        }

        String text() {
            var b = new StringBuilder();
            FrameLayout l = s.layout;
            b.append(String.format(Locale.ROOT, "vbuf run: %s %s, %s, policy %s, wait %s, %s%n", size, l.format(),
                    fps > 0 ? Units.plain(fps) + " fps" : "as fast as possible", s.policyName, waitName.toLowerCase(Locale.ROOT),
                    frames != null ? frames + " frames" : "duration " + duration));
            b.append(String.format(Locale.ROOT, "  producer  %d frames in %.3f s = %.1f fps, skipped %d%s%n",
                    source.submitted, (source.endNanos - source.startNanos) / 1e9, source.fps(), source.skipped,
                    s.overflow == Overflow.FAIL ? " (ticks whose buffer policy fail refused)" : ""));
            b.append(String.format(Locale.ROOT, "  %-9s %10s %10s %10s %9s %9s %10s %10s %10s %10s%n", "group", "produced",
                    "consumed", "dropped", "verified", "failures", "p50 us", "p99 us", "p99.9 us", "max us"));
            for (int g = 0; g < readers.size(); g++) {
                GroupReader r = readers.get(g);
                Histogram h = r.latency.total();
                b.append(String.format(Locale.ROOT, "  %-9s %10d %10d %10d %9d %9d %10s %10s %10s %10s%n", r.name,
                        ps.published(), r.taken, ps.groups().get(g).dropped(), r.fullyVerified,
                        r.verifyFailures + r.sequenceErrors, Units.micros(h.getValueAtPercentile(50)),
                        Units.micros(h.getValueAtPercentile(99)), Units.micros(h.getValueAtPercentile(99.9)),
                        Units.micros(h.getMaxValue())));
            }
            for (int g = readers.size(); g < ps.groups().size(); g++) {
                GroupStats gs = ps.groups().get(g);
                b.append(String.format(Locale.ROOT, "  %-9s %10d %10d %10d %9s %9s   (read by other processes; %d still queued at close)%n",
                        gs.name(), ps.published(), gs.taken(), gs.dropped(), "-", "-", gs.lag()));
            }
            b.append(String.format(Locale.ROOT, "  pool      %d frames x %s bytes (%s) = %s bytes (%s); %s%n", ps.total(),
                    Units.grouped(ps.bufferBytes()), Units.bytes(ps.bufferBytes()), Units.grouped(ps.totalBytes()),
                    Units.bytes(ps.totalBytes()), s.poolSizing));
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
                    .put("size", size.toString())
                    .put("format", s.layout.format().name())
                    .put("fpsTarget", fps)
                    .put("policy", s.policyName)
                    .put("wait", waitName.toLowerCase(Locale.ROOT))
                    .put("produced", source.submitted)
                    .put("producerSkipped", source.skipped)
                    .put("fps", source.fps(), 1)
                    .put("durationMs", wallNanos / 1e6, 1)
                    .put("verifyFailures", verifyFailures)
                    .put("dropped", ps.drops());
            Histogram first = readers.getFirst().latency.total();
            latency(j, first);
            j.begin("groups");
            for (int g = 0; g < readers.size(); g++) {
                GroupReader r = readers.get(g);
                j.begin(r.name)
                        .put("produced", ps.published())
                        .put("consumed", r.taken)
                        .put("dropped", ps.groups().get(g).dropped())
                        .put("verified", r.fullyVerified)
                        .put("failures", r.verifyFailures + r.sequenceErrors);
                latency(j, r.latency.total());
                j.end();
            }
            for (int g = readers.size(); g < ps.groups().size(); g++) {
                GroupStats gs = ps.groups().get(g);
                j.begin(gs.name()).put("remote", true).put("produced", ps.published()).put("consumed", gs.taken())
                        .put("dropped", gs.dropped()).put("queuedAtClose", gs.lag()).end();
            }
            j.end()
                    .put("poolFrames", ps.total())
                    .put("poolSizing", s.poolSizing)
                    .put("bytesPerFrame", ps.bufferBytes())
                    .put("totalBytes", ps.totalBytes())
                    .put("backing", ps.backing())
                    .put("shared", shared)
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

        private static String describe(Throwable t) {
            return t.getClass().getSimpleName() + ": " + t.getMessage();
        }
    }
}
