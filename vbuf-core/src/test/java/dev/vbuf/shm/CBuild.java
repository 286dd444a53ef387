package dev.vbuf.shm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Test helper: compiles C sources against include/vbuf_shm.h with gcc into vbuf-core/target/c/.
 * Tests that need it are skipped (with the reason) only when there is no gcc on the PATH.
 */
final class CBuild {
    /** The flags the C example promises to build with. */
    static final List<String> FLAGS = List.of("-std=c11", "-O2", "-Wall", "-Wextra", "-Werror");

    private CBuild() {}

    /** The repository root (the parent of the vbuf-core module directory). */
    static Path root() {
        Path module = Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
        Path root = Files.isDirectory(module.resolve("include")) ? module : module.getParent();
        if (!Files.isRegularFile(root.resolve("include/vbuf_shm.h"))) {
            fail("cannot find include/vbuf_shm.h above " + module + "; run the tests from the repository (./test)");
        }
        return root;
    }

    static Path outDir() throws IOException {
        return Files.createDirectories(root().resolve("vbuf-core/target/c"));
    }

    /** Skips the calling test when gcc is absent. */
    static void assumeGcc() {
        boolean present;
        try {
            Process p = new ProcessBuilder("gcc", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            present = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            present = false;
        }
        assumeTrue(present, "gcc is not on the PATH: the C header and the C consumer cannot be compiled here"
                + " (install gcc to run CHeaderTest and CConsumerTest)");
    }

    /** Compiles {@code source} to the executable {@code out} with {@link #FLAGS} plus {@code extra}; fails with gcc's output. */
    static Path compile(Path source, Path out, String... extra) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("gcc"));
        cmd.addAll(FLAGS);
        cmd.addAll(List.of(extra));
        cmd.addAll(List.of("-I" + root().resolve("include"), "-o", out.toString(), source.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("gcc did not finish in 120 s: " + String.join(" ", cmd));
        }
        if (p.exitValue() != 0) fail("gcc failed (exit " + p.exitValue() + "): " + String.join(" ", cmd) + "\n" + output);
        return out;
    }
}
