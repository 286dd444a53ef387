package dev.vbuf.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A user who only reads and writes raw/Y4M files needs no FFmpeg: {@code vbuf run} in a JVM whose
 * class path has neither vbuf-ffmpeg nor any org.bytedeco jar.
 */
class WithoutFfmpegTest {
    @TempDir
    Path dir;

    /** This test's class path without vbuf-ffmpeg and the FFmpeg/JavaCPP jars. */
    static String classPathWithoutFfmpeg() {
        // the tests run on the module path: vbuf's own modules are there, the test classes on the class path
        String path = System.getProperty("java.class.path") + File.pathSeparator + System.getProperty("jdk.module.path", "");
        List<String> all = Arrays.stream(path.split(File.pathSeparator)).filter(e -> !e.isEmpty()).toList();
        List<String> kept = all.stream()
                .filter(e -> !e.contains(File.separator + "bytedeco" + File.separator))
                .filter(e -> !e.contains("vbuf-ffmpeg"))
                .toList();
        assertTrue(kept.size() < all.size(), "the test class path had FFmpeg to take out: " + all);
        assertTrue(kept.stream().anyMatch(e -> e.contains("vbuf-media")), "vbuf-media stays: " + kept);
        return String.join(File.pathSeparator, kept);
    }

    record Run(int exit, String out, String err) {}

    Run vbuf(String cp, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1", "-cp", cp, Main.class.getName()));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "out", ".txt"), err = Files.createTempFile(dir, "err", ".txt");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("vbuf " + String.join(" ", args) + " did not finish in 120 s");
        }
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    @Test
    void y4mInY4mOutRunsWithNoFfmpegOnTheClassPath() throws Exception {
        String cp = classPathWithoutFfmpeg();
        String clip = dir.resolve("clip.y4m").toString(), out = dir.resolve("out.y4m").toString();
        Run w = vbuf(cp, "run", "--size", "96x64", "--frames", "10", "--output", clip);
        assertEquals(0, w.exit(), () -> w.toString());
        Run copy = vbuf(cp, "run", "--input", clip, "--output", out);
        assertEquals(0, copy.exit(), () -> copy.toString());
        assertEquals(Files.size(Path.of(clip)), Files.size(Path.of(out)), "the same 10 pictures and header");
        Run check = vbuf(cp, "run", "--input", out, "--output", "checksum", "--json");
        assertEquals(0, check.exit(), () -> check.toString());
        assertTrue(check.out().contains("\"patternMatches\":10"), () -> check.toString());

        // a container only FFmpeg writes is refused up front, naming what to add
        Run mkv = vbuf(cp, "run", "--frames", "2", "--output", dir.resolve("x.mkv").toString());
        assertNotEquals(0, mkv.exit(), () -> mkv.toString());
        String said = mkv.out() + mkv.err();
        assertTrue(said.contains("x.mkv") && said.contains("vbuf-ffmpeg"), said);
    }
}
