package dev.vbuf.bridge;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Runs every program of examples/java in a child JVM on this module's class path. The programs
 * are single-file source programs (examples/java/run launches them from source); here they are
 * compiled once, by one javac, instead of once per child JVM, and the children run with C1 only
 * (short runs: compiling with C2 would cost more than it gains), which keeps this class's cost down.
 */
class ExamplesTest {
    static final Path REPO = Path.of(System.getProperty("vbuf.repo", "..")).toAbsolutePath().normalize();
    private static Path classes;
    @TempDir
    Path tmp;

    /** Every example compiled into one directory, once for the class. */
    static synchronized Path classes() throws Exception {
        if (classes != null) return classes;
        Path dir = Files.createTempDirectory("vbuf-examples");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "javac").toString(),
                "-J-XX:TieredStopAtLevel=1", "-proc:none", "-nowarn", "-d", dir.toString(), "-cp", System.getProperty("java.class.path")));
        try (var files = Files.list(REPO.resolve("examples/java"))) {
            files.filter(f -> f.toString().endsWith(".java")).map(Path::toString).sorted().forEach(cmd::add);
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(240, TimeUnit.SECONDS) && p.exitValue() == 0, "the examples do not compile:\n" + out);
        classes = dir;
        return dir;
    }

    String run(String example, String... args) throws Exception {
        Path src = REPO.resolve("examples/java/" + example + ".java");
        assertTrue(Files.isRegularFile(src), src + " is missing");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Dvbuf.repo=" + REPO,
                "-cp", classes() + java.io.File.pathSeparator + System.getProperty("java.class.path"), example));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(tmp.toFile()).redirectErrorStream(true).start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                return e.toString();
            }
        });
        if (!p.waitFor(240, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(example + " did not finish within 240 s");
        }
        String text = out.join();
        assertEquals(0, p.exitValue(), example + " failed:\n" + text);
        return text;
    }

    @Test
    void openCvOnPool() throws Exception {
        String out = run("OpenCvOnPool", "5");
        assertTrue(out.contains("frame 4: buffer"), out);
        assertTrue(out.contains("use after release: refused by OpenCV"), out);
    }

    @Test
    void recordFromPool() throws Exception {
        String out = run("RecordFromPool", "rec.mkv", "10");
        assertTrue(out.contains("recorded 10 pool frames into rec.mkv"), out);
        assertTrue(out.contains("still held (FFmpeg has a reference)") && out.contains("released by the AVBufferRef free callback"), out);
        assertTrue(Files.size(tmp.resolve("rec.mkv")) > 1000);
    }

    /** The GStreamer benchmark, vbuf transport only, small: needs the plugin (GstElementsTest builds it). */
    @Test
    void gstBench() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(GstElementsTest.onPath("gst-launch-1.0")
                        && Files.isRegularFile(REPO.resolve("build/gst/libgstvbuf.so")),
                "GStreamer or the built plugin is missing: run scripts/install-gstreamer and scripts/build-gst");
        String out = run("GstBench", "--size", "320x240", "--frames", "30", "--rounds", "1", "--transports", "vbuf");
        assertTrue(out.lines().anyMatch(l -> l.startsWith("round 1: vbuf ") && l.contains("frames/s (30 received)")
                && l.contains("(exit 0/0)")), out);
    }

    /** PoolReader creates a pool, vbufsink fills it from videotestsrc, PoolReader prints a CRC per frame until the end. */
    @Test
    void poolReaderWithVbufsink() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(GstElementsTest.onPath("gst-launch-1.0")
                        && Files.isRegularFile(REPO.resolve("build/gst/libgstvbuf.so")),
                "GStreamer or the built plugin is missing: run scripts/install-gstreamer and scripts/build-gst");
        String name = "reader-" + ProcessHandle.current().pid();
        CompletableFuture<String> reader = CompletableFuture.supplyAsync(() -> {
            try {
                return run("PoolReader", name, "--size", "320x240");
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        Path file = Path.of("/dev/shm/vbuf." + name);
        for (int i = 0; i < 1200 && !Files.exists(file); i++) Thread.sleep(100);
        assertTrue(Files.exists(file), "PoolReader did not create its pool");
        ProcessBuilder pb = new ProcessBuilder("gst-launch-1.0", "-q", "videotestsrc", "num-buffers=20", "!",
                "video/x-raw,format=NV12,width=320,height=240", "!", "vbufsink", "pool=" + name).redirectErrorStream(true);
        pb.environment().put("GST_PLUGIN_PATH", REPO.resolve("build/gst").toString());
        Process g = pb.start();
        String gout = new String(g.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(g.waitFor(180, TimeUnit.SECONDS) && g.exitValue() == 0, gout);
        assertTrue(gout.contains("20 frames, 20 written in place, 0 copied"), gout);
        String out = reader.get(240, TimeUnit.SECONDS);
        assertTrue(out.contains("frame seq 19 pts 19 crc32 ") && out.contains("end of stream: 20 frames read from pool " + name), out);
    }

    @Test
    void grabLoop() throws Exception {
        String out = run("GrabLoop", "--frames", "10", "--steady", "50");
        assertTrue(out.contains("JavaCV grab + clone"), out);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("vbuf grab loop, steady state") && l.contains("pixels copied         0 B/picture")), out);
    }
}
