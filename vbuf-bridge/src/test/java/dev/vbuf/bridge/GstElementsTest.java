package dev.vbuf.bridge;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.format.Plane;
import dev.vbuf.pool.Consumer;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import dev.vbuf.pool.Overflow;
import dev.vbuf.pool.PoolBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The GStreamer elements (gstreamer/gstvbuf.c) built by scripts/build-gst and run by gst-launch-1.0
 * against vbuf shared pools made here: vbufsrc from a pool this JVM fills, vbufsink into a pool this
 * JVM reads, every picture compared byte for byte. Skipped, naming scripts/install-gstreamer, where
 * GStreamer and its development files are missing.
 */
class GstElementsTest {
    static final Path REPO = Path.of(System.getProperty("vbuf.repo", "..")).toAbsolutePath().normalize();
    static final int FRAMES = 30;
    @TempDir
    static Path tmp;

    @BeforeAll
    static void buildPlugin() throws Exception {
        boolean tools = onPath("gst-launch-1.0") && onPath("gst-inspect-1.0") && onPath("gcc") && onPath("pkg-config");
        boolean dev = tools && run(List.of("pkg-config", "--exists", "gstreamer-1.0", "gstreamer-base-1.0", "gstreamer-video-1.0"), 30).code == 0;
        assumeTrue(tools && dev, "GStreamer is not installed (gst-launch-1.0, gcc, pkg-config and the GStreamer development"
                + " files are needed): run scripts/install-gstreamer, then the GStreamer element tests run");
        Result b = run(List.of(REPO.resolve("scripts/build-gst").toString()), 300);
        assertEquals(0, b.code, "scripts/build-gst failed:\n" + b.out);
        assertTrue(Files.isRegularFile(REPO.resolve("build/gst/libgstvbuf.so")));
        // the first GStreamer call scans every installed plugin into this class's registry (slow under load): here,
        // with its own time limit, not inside a test's
        Result scan = run(List.of("gst-inspect-1.0", "vbufsrc"), 600);
        assertEquals(0, scan.code, scan.out);
    }

    static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) if (Files.isExecutable(Path.of(d, tool))) return true;
        return false;
    }

    record Result(int code, String out) {}

    static final java.util.concurrent.atomic.AtomicInteger RUNS = new java.util.concurrent.atomic.AtomicInteger();

    /**
     * What gst-launch-1.0 prints when an element fails while the pipeline prerolls. It prints it from
     * its bus sync handler, on the failing streaming thread, and quits its main loop there; when that
     * happens before its main thread has entered the loop (an element that fails at once, on a busy
     * machine), the quit is lost and gst-launch waits forever with the pipeline stuck in preroll
     * (seen as 180 s hangs of aPoolOfAnotherSizeIsRefusedWithWhatToDo at load 20+; by hand one run in
     * ten hangs at load 9: main thread in g_main_loop_run, the streaming thread in
     * gst_base_sink_wait_preroll). After this line the outcome is decided, so the run ends then.
     */
    static final String GST_LAUNCH_PREROLL_ERROR = "ERROR: pipeline doesn't want to preroll.";

    /**
     * Runs a command with its output in a file (no pipe to drain), up to timeoutSeconds. A gst-launch
     * that printed {@link #GST_LAUNCH_PREROLL_ERROR} and is still there 5 s later is killed and its
     * result is exit code -1 with that output. A timeout fails the test with the output so far and
     * where each thread of the process waits.
     */
    static Result run(List<String> cmd, int timeoutSeconds) throws IOException, InterruptedException {
        Path log = tmp.resolve("run-" + RUNS.incrementAndGet() + ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).directory(REPO.toFile());
        pb.environment().put("GST_PLUGIN_PATH", REPO.resolve("build/gst").toString());
        pb.environment().put("GST_REGISTRY", tmp.resolve("registry.bin").toString()); // not the shared ~/.cache one
        pb.environment().putAll(EXTRA_ENV.get());
        Process p = pb.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds), erroredAt = 0;
        while (!p.waitFor(100, TimeUnit.MILLISECONDS)) {
            long now = System.nanoTime();
            if (erroredAt == 0 && Files.readString(log, StandardCharsets.ISO_8859_1).contains(GST_LAUNCH_PREROLL_ERROR)) erroredAt = now;
            if (erroredAt != 0 && now - erroredAt > TimeUnit.SECONDS.toNanos(5)) {
                p.destroyForcibly().waitFor();
                return new Result(-1, Files.readString(log, StandardCharsets.ISO_8859_1)
                        + "\n[gst-launch-1.0 still ran 5 s after its preroll error (its lost main-loop quit): killed]");
            }
            if (now > deadline) {
                String where = threadsOf(p.pid());
                p.destroyForcibly();
                fail(String.join(" ", cmd) + " did not finish within " + timeoutSeconds + " s; its threads:\n" + where
                        + "\noutput so far:\n" + Files.readString(log, StandardCharsets.ISO_8859_1));
            }
        }
        return new Result(p.exitValue(), Files.readString(log, StandardCharsets.ISO_8859_1));
    }

    /** Environment added to the next runs of this thread (a GST_DEBUG category, say). */
    static final ThreadLocal<java.util.Map<String, String>> EXTRA_ENV = ThreadLocal.withInitial(java.util.Map::of);

    /** Each thread of a process: name, state and the kernel function it waits in. */
    static String threadsOf(long pid) {
        StringBuilder b = new StringBuilder();
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : tasks.toList()) {
                String stat = Files.readString(t.resolve("stat"));
                b.append(Files.readString(t.resolve("comm")).trim()).append(' ')
                        .append(stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)).append(' ')
                        .append(Files.readString(t.resolve("wchan")).trim()).append('\n');
            }
        } catch (IOException | RuntimeException e) {
            b.append("(cannot read /proc/").append(pid).append("/task: ").append(e).append(")");
        }
        return b.toString();
    }

    static Result gst(String pipeline) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("gst-launch-1.0", "-q"));
        cmd.addAll(Arrays.asList(pipeline.trim().split("\\s+")));
        return run(cmd, 180);
    }

    /** Runs task on a thread of its own (not the common pool, which two CPUs make one thread). */
    static <T> CompletableFuture<T> async(java.util.concurrent.Callable<T> task) {
        CompletableFuture<T> f = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("gst-test").start(() -> {
            try {
                f.complete(task.call());
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        return f;
    }

    static String poolName(String what) {
        return "gst-" + what + "-" + ProcessHandle.current().pid() + "-" + (System.nanoTime() % 1_000_000);
    }

    /** The byte the producer writes at (frame k, plane p, row r, column c). */
    static byte pattern(int k, int p, int r, int c) {
        return (byte) (k * 7 + p * 50 + r * 3 + c);
    }

    @Test
    void inspectShowsBothElementsCleanly() throws Exception {
        for (String el : List.of("vbufsrc", "vbufsink")) {
            Result r = run(List.of("gst-inspect-1.0", el), 60);
            assertEquals(0, r.code, r.out);
            assertTrue(r.out.contains("pool") && r.out.contains("vbuf"), r.out);
            assertFalse(r.out.contains("CRITICAL") || r.out.contains("WARNING"), r.out);
        }
    }

    /**
     * A pool this JVM fills, read by vbufsrc into files: raw (the buffers themselves) and through videoconvert
     * (strides from GstVideoMeta). A memfd pool's buffers go out as fd memory (GStreamer's own fd allocator
     * logs each share of the memfd), a /dev/shm file pool's as memory wrapping the mapping.
     */
    @Test
    void vbufsrcPushesEveryPoolFrame() throws Exception {
        int w = 200, h = 120; // NV12 strides 256 (64-byte aligned), not GStreamer's 200
        FrameLayout layout = FrameLayout.of(PixelFormat.NV12, w, h);
        record Case(PoolBuilder.SharedMemory memory, boolean convert, String kind) {}
        for (Case kase : List.of(new Case(PoolBuilder.SharedMemory.MEMFD, false, "fd"), new Case(PoolBuilder.SharedMemory.MEMFD, true, "fd"),
                new Case(PoolBuilder.SharedMemory.FILE, false, "mapped"))) {
            boolean convert = kase.convert();
            String name = poolName("src");
            Path out = tmp.resolve(name + (convert ? ".i420" : ".raw"));
            try (FramePool pool = FramePool.builder().shared(name).sharedMemory(kase.memory()).layout(layout).count(6).groups("gst")
                    .overflow(Overflow.BLOCK).build()) {
                CompletableFuture<Result> gst = async(() -> {
                    EXTRA_ENV.set(java.util.Map.of("GST_DEBUG", "fdmemory:6"));
                    return gst("vbufsrc pool=" + name + " group=gst ! "
                            + (convert ? "videoconvert ! video/x-raw,format=I420 ! " : "") + "filesink location=" + out);
                });
                for (int k = 0; k < FRAMES; k++) {
                    Frame f = pool.acquireFree(Duration.ofSeconds(60));
                    assertNotNull(f, "vbufsrc did not take frames (frame " + k + ")");
                    MemorySegment seg = f.segment();
                    for (int p = 0; p < 2; p++) {
                        Plane pl = layout.plane(p);
                        for (int r = 0; r < pl.rows(); r++)
                            for (int c = 0; c < pl.rowBytes(); c++) seg.set(java.lang.foreign.ValueLayout.JAVA_BYTE, pl.offset() + (long) r * pl.stride() + c, pattern(k, p, r, c));
                    }
                    f.pts(k).submit();
                }
                pool.markEndOfStream();
                Result r = gst.get(180, TimeUnit.SECONDS);
                assertEquals(0, r.code, r.out);
                assertEquals(0, pool.stats().groups().get(0).held(), "vbufsrc released every frame");
                assertTrue(r.out.contains("vbufsrc: pool " + name + ": " + FRAMES + " frames as " + kase.kind() + " memory"), r.out);
                assertEquals(kase.kind().equals("fd"), r.out.contains("gst_fd_mem_share"), "GStreamer's fd allocator shared the memfd: " + r.out);
            }
            byte[] got = Files.readAllBytes(out);
            if (!convert) {
                assertEquals((long) FRAMES * layout.frameBytes(), got.length, "raw: every buffer, at the pool's strides");
                for (int k = 0; k < FRAMES; k++)
                    for (int p = 0; p < 2; p++) {
                        Plane pl = layout.plane(p);
                        for (int r = 0; r < pl.rows(); r++)
                            for (int c = 0; c < pl.rowBytes(); c++) {
                                long at = k * layout.frameBytes() + pl.offset() + (long) r * pl.stride() + c;
                                if (got[(int) at] != pattern(k, p, r, c)) fail("raw frame " + k + " plane " + p + " row " + r + " col " + c);
                            }
                    }
            } else {
                int fb = w * h * 3 / 2; // I420 at GStreamer's strides: 200, 100, 100
                assertEquals((long) FRAMES * fb, got.length);
                for (int k = 0; k < FRAMES; k++) {
                    int base = k * fb;
                    for (int r = 0; r < h; r++)
                        for (int c = 0; c < w; c++) if (got[base + r * w + c] != pattern(k, 0, r, c)) fail("I420 frame " + k + " Y " + r + "," + c);
                    for (int r = 0; r < h / 2; r++)
                        for (int c = 0; c < w / 2; c++) {
                            if (got[base + w * h + r * (w / 2) + c] != pattern(k, 1, r, 2 * c)) fail("I420 frame " + k + " U " + r + "," + c);
                            if (got[base + w * h * 5 / 4 + r * (w / 2) + c] != pattern(k, 1, r, 2 * c + 1)) fail("I420 frame " + k + " V " + r + "," + c);
                        }
                }
            }
        }
    }

    /** Reads every frame of group "java" until the end of stream; returns the frames' bytes at the pool's layout. */
    static CompletableFuture<List<byte[]>> collect(FramePool pool) {
        return async(() -> {
            List<byte[]> frames = new ArrayList<>();
            Consumer c = pool.consumer("java");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            while (System.nanoTime() < deadline) {
                Frame f = c.acquireFilled(Duration.ofMillis(100));
                if (f == null) {
                    if (pool.endOfStream() && c.lag() == 0) return frames;
                    continue;
                }
                try (f) {
                    byte[] b = new byte[(int) pool.layout().frameBytes()];
                    f.copyTo(0, b, 0, b.length);
                    if (f.pts() != frames.size()) throw new AssertionError("frame " + frames.size() + " has pts " + f.pts());
                    frames.add(b);
                }
            }
            throw new AssertionError("no end of stream within 180 s; got " + frames.size() + " frames");
        });
    }

    static final Pattern SUMMARY = Pattern.compile("vbufsink: pool \\S+: (\\d+) frames, (\\d+) written in place, (\\d+) copied");

    /** Runs the pipeline into vbufsink and returns (frames, in place, copied) from its summary plus the frames read here. */
    static List<byte[]> intoSink(FrameLayout layout, String upstream, long[] counts) throws Exception {
        String name = poolName("sink");
        try (FramePool pool = FramePool.builder().shared(name).layout(layout).count(6).groups("java").overflow(Overflow.BLOCK).build()) {
            CompletableFuture<List<byte[]>> frames = collect(pool);
            Result r = gst(upstream + " ! vbufsink pool=" + name);
            assertEquals(0, r.code, r.out);
            Matcher m = SUMMARY.matcher(r.out);
            assertTrue(m.find(), r.out);
            for (int i = 0; i < 3; i++) counts[i] = Long.parseLong(m.group(i + 1));
            return frames.get(180, TimeUnit.SECONDS);
        }
    }

    static void assertSameAsReference(FrameLayout layout, List<byte[]> frames, Path ref) throws IOException {
        byte[] want = Files.readAllBytes(ref);
        int w = layout.width(), h = layout.height(), fb = w * h * 3 / 2; // NV12 at GStreamer's strides (w a multiple of 4)
        assertEquals(want.length / fb, frames.size());
        for (int k = 0; k < frames.size(); k++) {
            byte[] got = frames.get(k);
            for (int p = 0; p < 2; p++) {
                Plane pl = layout.plane(p);
                int refOff = k * fb + (p == 0 ? 0 : w * h);
                for (int r = 0; r < pl.rows(); r++)
                    for (int c = 0; c < w; c++)
                        if (got[(int) (pl.offset() + (long) r * pl.stride() + c)] != want[refOff + r * w + c])
                            fail("frame " + k + " plane " + p + " row " + r + " col " + c + " differs from videotestsrc's own output");
            }
        }
    }

    @Test
    void videotestsrcWritesStraightIntoPoolFrames() throws Exception {
        FrameLayout layout = FrameLayout.of(PixelFormat.NV12, 200, 120); // strides 256: only GstVideoMeta tells videotestsrc
        String src = "videotestsrc num-buffers=" + FRAMES + " pattern=ball ! video/x-raw,format=NV12,width=200,height=120,framerate=30/1";
        Path ref = tmp.resolve("ref-" + System.nanoTime() + ".nv12");
        assertEquals(0, gst(src + " ! filesink location=" + ref).code);
        long[] counts = new long[3];
        List<byte[]> frames = intoSink(layout, src, counts);
        assertArrayEquals(new long[] {FRAMES, FRAMES, 0}, counts, "frames, in place, copied");
        assertSameAsReference(layout, frames, ref);
    }

    @Test
    void anUpstreamThatRefusesThePoolIsCopiedAndCounted() throws Exception {
        FrameLayout layout = FrameLayout.of(PixelFormat.NV12, 200, 120);
        String src = "videotestsrc num-buffers=" + FRAMES + " pattern=ball ! video/x-raw,format=NV12,width=200,height=120,framerate=30/1";
        Path ref = tmp.resolve("ref-" + System.nanoTime() + ".nv12");
        assertEquals(0, gst(src + " ! filesink location=" + ref).code);
        long[] counts = new long[3];
        List<byte[]> frames = intoSink(layout, src + " ! identity drop-allocation=true", counts);
        assertArrayEquals(new long[] {FRAMES, 0, FRAMES}, counts, "frames, in place, copied");
        assertSameAsReference(layout, frames, ref);
    }

    @Test
    void aDecoderWritesIntoPoolFrames() throws Exception {
        FrameLayout layout = FrameLayout.of(PixelFormat.I420, 320, 240); // chroma strides 192, not 160
        long[] counts = new long[3];
        List<byte[]> frames = intoSink(layout, "videotestsrc num-buffers=" + FRAMES
                + " ! video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! jpegenc ! jpegdec", counts);
        assertArrayEquals(new long[] {FRAMES, FRAMES, 0}, counts, "frames, in place, copied: jpegdec decoded into the pool");
        assertEquals(FRAMES, frames.size());
        // the SMPTE bars' top-left is white-ish luma after JPEG
        assertTrue((frames.get(0)[0] & 0xFF) > 150, "luma " + (frames.get(0)[0] & 0xFF));
    }

    /**
     * vbufsink SIGKILLed while it streams (slots taken for videotestsrc, frames published, some read):
     * the JVM's monitor recovers the dead producer's process entry and any slot it was filling, the
     * reader drains what was published, and every buffer comes back free; then a new vbufsink
     * produces into the same pool. Three kills at different points.
     */
    @Test
    void aKilledVbufsinkLeavesNothingBehind() throws Exception {
        String name = poolName("kill");
        FrameLayout layout = FrameLayout.of(PixelFormat.NV12, 64, 48);
        try (FramePool pool = FramePool.builder().shared(name).layout(layout).count(4).groups("java")
                .reclaimAfter(Duration.ofMillis(200)).build()) {
            Consumer c = pool.consumer("java");
            for (int round = 0; round < 3; round++) {
                ProcessBuilder pb = new ProcessBuilder("gst-launch-1.0", "-q", "videotestsrc", "num-buffers=1000000", "!",
                        "video/x-raw,format=NV12,width=64,height=48", "!", "vbufsink", "pool=" + name)
                        .redirectErrorStream(true).redirectOutput(tmp.resolve(name + "-" + round + ".log").toFile());
                pb.environment().put("GST_PLUGIN_PATH", REPO.resolve("build/gst").toString());
                pb.environment().put("GST_REGISTRY", tmp.resolve("registry.bin").toString());
                Process g = pb.start();
                int read = 0;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while (read < 20 + 7 * round && System.nanoTime() < deadline) { // read a while, the producer blocked on a full pool between
                    Frame f = c.acquireFilled(Duration.ofMillis(100));
                    if (f != null) { f.close(); read++; }
                }
                assertTrue(read >= 20, "vbufsink produced " + read + " frames in 120 s");
                g.destroyForcibly(); // SIGKILL
                assertTrue(g.waitFor(30, TimeUnit.SECONDS));
                long pid = g.pid();
                deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (System.nanoTime() < deadline) {
                    Frame f = c.acquireFilled(Duration.ofMillis(50));
                    if (f != null) { f.close(); continue; }
                    boolean gone = pool.peers().stream().noneMatch(p -> p.pid() == pid);
                    if (gone && pool.getFreeCount() == 4) break;
                }
                assertTrue(pool.peers().stream().noneMatch(p -> p.pid() == pid), "the dead producer's entry was reclaimed: " + pool.peers());
                assertEquals(4, pool.getFreeCount(), "round " + round + ": every buffer free again: " + pool.buffersReport());
            }
            System.out.printf("killed vbufsink 3 times: %d peer recoveries, %d slots recovered (slots it was filling)%n",
                    pool.peerRecoveries(), pool.slotsRecovered());
            assertEquals(3, pool.peerRecoveries(), "each dead producer's entry recovered by this JVM's monitor");
            long before = pool.stats().groups().get(0).taken();
            CompletableFuture<Result> again = async(() -> gst("videotestsrc num-buffers=10 ! video/x-raw,format=NV12,width=64,height=48"
                    + " ! vbufsink pool=" + name + " eos-marks-pool=false"));
            int n = 0; // this thread reads what the new producer writes
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (n < 10 && System.nanoTime() < until) {
                Frame f = c.acquireFilled(Duration.ofMillis(100));
                if (f != null) { f.close(); n++; }
            }
            Result r = again.get(180, TimeUnit.SECONDS);
            assertEquals(0, r.code, r.out);
            assertEquals(10, n, "a new vbufsink produced into the pool after the kills");
            assertEquals(before + 10, pool.stats().groups().get(0).taken());
        }
    }

    @Test
    void aPoolOfAnotherSizeIsRefusedWithWhatToDo() throws Exception {
        String name = poolName("size");
        try (FramePool pool = FramePool.builder().shared(name).layout(FrameLayout.of(PixelFormat.NV12, 64, 64)).count(2).groups("java").build()) {
            Result r = gst("videotestsrc num-buffers=2 ! video/x-raw,format=NV12,width=200,height=120 ! vbufsink pool=" + name);
            assertNotEquals(0, r.code);
            assertTrue(r.out.contains("not-negotiated") || r.out.contains("64x64") || r.out.contains("videoconvert"), r.out);
        }
        Result missing = gst("videotestsrc num-buffers=1 ! vbufsink pool=no-such-pool-" + ProcessHandle.current().pid());
        assertNotEquals(0, missing.code);
        assertTrue(missing.out.contains("no shared pool at /dev/shm/vbuf.no-such-pool"), missing.out);
    }
}
