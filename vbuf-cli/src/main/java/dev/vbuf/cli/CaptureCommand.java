package dev.vbuf.cli;

import dev.vbuf.format.PixelFormat;
import dev.vbuf.media.v4l2.DmaBufAllocator;
import dev.vbuf.media.v4l2.V4l2Capture;
import dev.vbuf.media.v4l2.V4l2Device;
import dev.vbuf.media.v4l2.V4l2Format;
import dev.vbuf.pool.Consumer;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.Overflow;
import dev.vbuf.pool.PoolBuilder;
import dev.vbuf.shm.Peer;
import dev.vbuf.stats.GroupStats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * {@code vbuf capture}: V4L2 capture into a pool with each memory type asked for, one after the
 * other on the same device, with a checking consumer: every frame non-empty (bytesused > 0 and
 * not all zero bytes), driver sequence numbers strictly increasing, capture timestamps
 * increasing. Exit 1 when a check fails. This is what scripts/guest-checks/v4l2.sh runs.
 */
@Command(name = "capture", mixinStandardHelpOptions = true,
        description = "Capture frames from a V4L2 device into a pool with each memory type (mmap, userptr, dmabuf, expbuf) and check them.")
public final class CaptureCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--device", defaultValue = "/dev/video0", description = "V4L2 capture device. Default: ${DEFAULT-VALUE}.")
    String device;

    @Option(names = "--memory", defaultValue = "mmap", split = ",",
            description = "Memory types to capture with, in turn: mmap, userptr, dmabuf, expbuf (comma-separated; dmabuf:heap or"
                    + " dmabuf:udmabuf names where the DMA-BUF pool memory comes from). Default: ${DEFAULT-VALUE}.")
    List<String> memory;

    @Option(names = "--frames", defaultValue = "100", description = "Frames to capture per memory type, 1..1000000. Default: ${DEFAULT-VALUE}.")
    int frames;

    @Option(names = "--size", paramLabel = "WxH", converter = SizeConverter.class, defaultValue = "640x480",
            description = "Capture size asked of the device (it may adjust). Default: ${DEFAULT-VALUE}.")
    FrameSize size;

    @Option(names = "--format", defaultValue = "yuyv", converter = Converters.Format.class,
            description = "Pixel format asked of the device. Default: ${DEFAULT-VALUE}.")
    PixelFormat format;

    @Option(names = "--buffers", defaultValue = "4", description = "Buffers to ask for, 1..32 (the budget and the driver may change it). Default: ${DEFAULT-VALUE}.")
    int buffers;

    @Option(names = "--budget", defaultValue = "256MiB", description = "Memory the capture buffers may take (bytes, KiB, MiB, GiB). Default: ${DEFAULT-VALUE}.")
    String budget;

    @Option(names = "--policy", defaultValue = "block", converter = Converters.Policy.class,
            description = "Pool overflow policy: block, fail, drop-oldest, adaptive. Default: ${DEFAULT-VALUE}.")
    Overflow policy;

    @Option(names = "--timeout", defaultValue = "5s", description = "Longest wait for one frame before the run fails. Default: ${DEFAULT-VALUE}.")
    String timeout;

    @Option(names = "--shared", paramLabel = "NAME",
            description = "Capture into a shared pool NAME that other processes attach to and receive by descriptor: with"
                    + " --memory expbuf the driver's buffers exported as DMA-BUFs; with --memory dmabuf (or dmabuf:heap) the"
                    + " pool's DMA-BUFs (udmabuf, or a DMA-BUF heap) queued to the driver by fd; with --memory userptr a sealed"
                    + " memfd the driver writes into. Waits for a process in"
                    + " --remote-group ('vbuf consume NAME --check capture'), then captures --frames and ends the stream.")
    String shared;

    @Option(names = "--remote-group", defaultValue = RunCommand.REMOTE_GROUP,
            description = "With --shared: the consumer group another process reads. Default: ${DEFAULT-VALUE}.")
    String remoteGroup;

    @Option(names = "--wait-reader", defaultValue = "120s",
            description = "With --shared: longest wait for the other process to attach, 1s..1h. Default: ${DEFAULT-VALUE}.")
    String waitReader;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PixelFormat pf = format;
        Flags.range(spec, "--frames", frames, 1, 1_000_000);
        Flags.range(spec, "--buffers", buffers, 1, V4l2Capture.MAX_BUFFERS);
        long budgetBytes = parseBytes(budget);
        Overflow overflow = policy;
        Duration wait = Flags.duration(spec, "--timeout", timeout, Duration.ZERO, true, Duration.ofMinutes(10));
        List<V4l2Capture.Memory> types = new ArrayList<>();
        List<DmaBufAllocator.Source> sources = new ArrayList<>();
        for (String m : memory) {
            String[] parts = m.split(":", 2);
            try {
                types.add(V4l2Capture.Memory.parse(parts[0]));
                DmaBufAllocator.Source src = DmaBufAllocator.Source.AUTO;
                if (parts.length == 2) {
                    if (!parts[0].strip().equalsIgnoreCase("dmabuf")) throw new IllegalArgumentException("only dmabuf takes a source");
                    String name = parts[1].strip().toUpperCase(java.util.Locale.ROOT);
                    if (!List.of("AUTO", "HEAP", "UDMABUF").contains(name)) {
                        throw new IllegalArgumentException("DMA-BUF source '" + parts[1] + "' is not auto, heap or udmabuf");
                    }
                    src = DmaBufAllocator.Source.valueOf(name);
                }
                sources.add(src);
            } catch (IllegalArgumentException e) {
                throw Flags.bad(spec, "--memory " + m + ": " + e.getMessage() + " (dmabuf may name its source: dmabuf:heap, dmabuf:udmabuf)");
            }
        }
        if (shared != null && types.size() != 1) {
            throw Flags.bad(spec, "--shared " + shared + " captures with one memory type; give --memory expbuf, dmabuf, dmabuf:heap or userptr");
        }
        PoolBuilder.SharedMemory sharedMemory = null;
        if (shared != null) {
            try {
                sharedMemory = V4l2Capture.sharedMemoryFor(types.get(0), sources.get(0) == DmaBufAllocator.Source.HEAP);
            } catch (IllegalArgumentException e) {
                throw Flags.bad(spec, "--memory " + memory.get(0) + " with --shared: " + e.getMessage());
            }
            if (remoteGroup.equals("check")) throw Flags.bad(spec, "--remote-group check is the capturing process's own group; name another");
        }
        readerWait = shared == null ? Duration.ZERO : Flags.duration(spec, "--wait-reader", waitReader, Duration.ofSeconds(1), false, Duration.ofHours(1));
        this.sharedMemory = sharedMemory;
        boolean ok = true;
        try (V4l2Device dev = V4l2Device.open(Path.of(device))) {
            out.println(dev + ", driver version " + dev.capability().versionString());
            out.println("offers: " + dev.offered());
            V4l2Format got = dev.setFormat(pf, size.width(), size.height());
            out.println("format: " + got + (got.width() != size.width() || got.height() != size.height()
                    ? " (device adjusted the asked " + size + ")" : ""));
            for (int i = 0; i < types.size(); i++) {
                ok &= runOne(out, dev, types.get(i), sources.get(i), budgetBytes, overflow, (int) Math.min(Integer.MAX_VALUE, wait.toMillis()));
            }
        }
        out.println(ok ? "capture: all checks passed" : "capture: FAILED");
        out.flush();
        return ok ? 0 : 1;
    }

    private Duration readerWait;
    private PoolBuilder.SharedMemory sharedMemory;

    private boolean runOne(PrintWriter out, V4l2Device dev, V4l2Capture.Memory m, DmaBufAllocator.Source src, long budgetBytes,
                           Overflow overflow, int timeoutMs) throws InterruptedException {
        var opts = V4l2Capture.Options.defaults().withName("cap-" + m.lower()).withCount(buffers).withBudget(budgetBytes)
                .withOverflow(overflow).withGroups(shared == null ? List.of("check") : List.of("check", remoteGroup))
                .withAllocator(m == V4l2Capture.Memory.DMABUF && shared == null ? new DmaBufAllocator(src) : null);
        if (shared != null) opts = opts.withShared(shared, sharedMemory);
        var crc = new java.util.zip.CRC32();
        var fold = new java.util.zip.CRC32();
        long t0 = System.nanoTime();
        try (V4l2Capture cap = V4l2Capture.open(dev, m, opts)) {
            out.println(m.lower() + ": " + cap.describe() + (cap.notes().isEmpty() ? "" : "; " + cap.notes()));
            Consumer check = cap.pool().consumer("check");
            if (shared != null) {
                out.println(m.lower() + ": shared pool '" + shared + "': " + cap.pool().backing());
                out.println(m.lower() + ": waiting up to " + waitReader + " for a process in group " + remoteGroup
                        + " ('vbuf consume " + shared + " --check capture')");
                out.flush();
                long deadline = System.nanoTime() + readerWait.toNanos();
                while (cap.pool().peers().stream().filter(Peer::alive).count() < 2) {
                    if (System.nanoTime() > deadline) {
                        out.println(m.lower() + ": FAIL no process attached to shared pool '" + shared + "' within " + waitReader);
                        out.flush();
                        return false;
                    }
                    Thread.sleep(20);
                }
            }
            AtomicLong seen = new AtomicLong(), empty = new AtomicLong(), badOrder = new AtomicLong(), withFd = new AtomicLong();
            AtomicReference<String> firstProblem = new AtomicReference<>();
            Thread reader = Thread.ofPlatform().name("capture-check").start(() -> {
                long lastSeq = -1, lastTs = Long.MIN_VALUE;
                while (true) {
                    Frame f = check.acquireFilled(Duration.ofMillis(200));
                    if (f == null) {
                        if (cap.pool().isClosed() || Thread.currentThread().isInterrupted()) return;
                        continue;
                    }
                    try {
                        if (f.isEndOfStream()) return;
                        long payload = f.payloadSize();
                        f.beginCpuAccess(Frame.CPU_READ); // DMA_BUF_IOCTL_SYNC for DMA-BUF buffers
                        try {
                            if (payload <= 0 || allZero(f.segment(), payload)) {
                                empty.incrementAndGet();
                                firstProblem.compareAndSet(null, "frame " + f.sequence() + " is empty (payload " + payload + ")");
                            } else if (shared != null) { // the same fold of CRC-32s as 'vbuf consume --check capture'
                                crc.reset();
                                crc.update(f.segment().asSlice(0, payload).asByteBuffer());
                                int v = (int) crc.getValue();
                                fold.update(new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v});
                            }
                        } finally {
                            f.endCpuAccess(Frame.CPU_READ);
                        }
                        if (f.sequence() <= lastSeq || f.captureTimeNs() < lastTs) {
                            badOrder.incrementAndGet();
                            firstProblem.compareAndSet(null, "frame " + f.sequence() + " out of order");
                        }
                        if (f.fd() >= 0) withFd.incrementAndGet();
                        lastSeq = f.sequence();
                        lastTs = f.captureTimeNs();
                        seen.incrementAndGet();
                    } finally {
                        f.close();
                    }
                }
            });
            cap.start();
            long firstDriverSeq = -1, prevDriverSeq = -1, driverOrder = 0, timeouts = 0;
            long firstTs = 0;
            int n = 0;
            var mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
            long tid = Thread.currentThread().threadId();
            long alloc0 = 0, alloc1 = 0;
            while (n < frames) {
                if (n == 10) alloc0 = mx.getThreadAllocatedBytes(tid); // after warm-up: the steady state

                int r = cap.captureNext(n, timeoutMs);
                if (r != V4l2Capture.CAPTURED) {
                    timeouts++;
                    out.println(m.lower() + ": no frame within " + timeoutMs + " ms (" + (r == V4l2Capture.NO_BUFFER
                            ? "no free buffer" : "timeout") + ") after " + n + " frames");
                    break;
                }
                long s = cap.lastSequence();
                if (firstDriverSeq < 0) {
                    firstDriverSeq = s;
                    firstTs = cap.lastTimestampNs();
                }
                if (prevDriverSeq >= 0 && s <= prevDriverSeq) driverOrder++;
                prevDriverSeq = s;
                n++;
            }
            alloc1 = mx.getThreadAllocatedBytes(tid);
            long lastTs = cap.lastTimestampNs();
            // end of stream for the checker: a zero-payload frame flagged END_OF_STREAM
            Frame eos = cap.pool().acquireFree(Duration.ofSeconds(5));
            if (eos != null) eos.payloadSize(0).flags(Frame.FLAG_END_OF_STREAM).submit();
            reader.join(30_000);
            if (reader.isAlive()) reader.interrupt();
            boolean drained = true;
            if (shared != null) { // the other process reads every frame before the pool closes
                long deadline = System.nanoTime() + Math.max(30_000, timeoutMs) * 1_000_000L;
                java.util.function.LongSupplier lag = () -> cap.pool().stats().groups().stream()
                        .filter(g -> g.name().equals(remoteGroup)).mapToLong(GroupStats::lag).sum();
                while (lag.getAsLong() > 0 && System.nanoTime() < deadline) Thread.sleep(10);
                drained = lag.getAsLong() == 0;
                out.printf("%s: shared pool '%s': CRC-32 of the frames' CRC-32s %08x; group %s %s%n", m.lower(), shared,
                        fold.getValue(), remoteGroup, drained ? "read every frame" : "still had " + lag.getAsLong() + " frames unread");
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            double fps = n > 1 && lastTs > firstTs ? (n - 1) * 1e9 / (lastTs - firstTs) : 0;
            boolean pass = n == frames && timeouts == 0 && empty.get() == 0 && badOrder.get() == 0 && driverOrder == 0
                    && seen.get() == n && cap.errorFrames() == 0 && drained
                    && ((m != V4l2Capture.Memory.EXPBUF && m != V4l2Capture.Memory.DMABUF) || withFd.get() == n);
            out.printf("%s: %s %d frames (checked %d: empty %d, out of order %d, with DMA-BUF fd %d), driver sequence %d..%d"
                            + " (not increasing %d, driver drops %d, error flags %d), %d bytes per frame, %s fps by driver"
                            + " timestamps, %.1f s%n",
                    m.lower(), pass ? "PASS" : "FAIL", n, seen.get(), empty.get(), badOrder.get(), withFd.get(), firstDriverSeq,
                    prevDriverSeq, driverOrder, cap.driverDrops(), cap.errorFrames(), cap.lastBytesUsed(),
                    Units.plain(Math.round(fps * 10) / 10.0), secs);
            if (n > 10) {
                out.println(m.lower() + ": capture thread allocated " + (alloc1 - alloc0) + " bytes over frames 10.." + (n - 1)
                        + " (poll, DQBUF, submit, QBUF)");
            }
            if (firstProblem.get() != null) out.println(m.lower() + ": first problem: " + firstProblem.get());
            out.flush();
            return pass;
        } catch (RuntimeException e) {
            out.println(m.lower() + ": FAIL " + Main.describe(e));
            out.flush();
            return false;
        }
    }

    static boolean allZero(MemorySegment s, long n) {
        long i = 0;
        for (; i + 8 <= n; i += 8) if (s.get(JAVA_LONG_UNALIGNED, i) != 0) return false;
        for (; i < n; i++) if (s.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i) != 0) return false;
        return true;
    }

    private long parseBytes(String text) {
        var m = java.util.regex.Pattern.compile("\\s*(\\d{1,15})\\s*(B|KiB|MiB|GiB)?\\s*", java.util.regex.Pattern.CASE_INSENSITIVE).matcher(text);
        if (!m.matches()) throw Flags.bad(spec, "--budget " + text + " is not a size such as 64MiB, 1GiB or 1048576");
        long v = Long.parseLong(m.group(1));
        String u = m.group(2) == null ? "b" : m.group(2).toLowerCase(java.util.Locale.ROOT);
        long mul = switch (u) { case "kib" -> 1L << 10; case "mib" -> 1L << 20; case "gib" -> 1L << 30; default -> 1; };
        if (v < 1 || v > (1L << 50) / mul) throw Flags.bad(spec, "--budget " + text + " is outside 1 byte..1 PiB");
        return v * mul;
    }
}
