package dev.vbuf.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code ./vbuf} launcher on a fresh clone, started twice at once (the README's "shell 1 /
 * shell 2"): one builds, the other waits for it, and both run their command. The launcher is the
 * real script; the build is a stand-in {@code mvnw} that takes a couple of seconds and makes a
 * small runnable jar, and logs each build it starts.
 */
class LauncherTest {
    @TempDir
    Path root;

    @Test
    void twoLaunchersAtOnceBuildOnceAndBothRun() throws Exception {
        Path repo = Path.of("").toAbsolutePath().getParent(); // tests run in vbuf-cli/
        Files.copy(repo.resolve("vbuf"), root.resolve("vbuf"), StandardCopyOption.COPY_ATTRIBUTES);
        Files.createDirectories(root.resolve("scripts"));
        Files.copy(repo.resolve("scripts/jdk.sh"), root.resolve("scripts/jdk.sh"));
        Path mvnw = root.resolve("mvnw");
        Files.writeString(mvnw, """
                #!/usr/bin/env bash
                # stand-in for the Maven build: slow enough for the two launchers to overlap
                set -e
                echo "start $$" >> builds.log
                work=$(mktemp -d)
                cat > "$work/Hello.java" <<'JAVA'
                public class Hello { public static void main(String[] a) { System.out.println("hello " + String.join(" ", a)); } }
                JAVA
                "$JAVA_HOME/bin/javac" -d "$work" "$work/Hello.java"
                printf 'Main-Class: Hello\\n' > "$work/manifest"
                sleep 2
                mkdir -p vbuf-cli/target
                "$JAVA_HOME/bin/jar" cfm vbuf-cli/target/vbuf.jar.tmp "$work/manifest" -C "$work" Hello.class
                mv vbuf-cli/target/vbuf.jar.tmp vbuf-cli/target/vbuf.jar
                rm -rf "$work"
                echo "end $$" >> builds.log
                """);
        Files.setPosixFilePermissions(mvnw, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(root.resolve("vbuf"), PosixFilePermissions.fromString("rwxr-xr-x"));

        Process one = launch("run", "one");
        Process two = launch("run", "two");
        assertTrue(one.waitFor(120, TimeUnit.SECONDS) && two.waitFor(120, TimeUnit.SECONDS), "both launchers ended");
        String out1 = new String(one.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String out2 = new String(two.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err1 = new String(one.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        String err2 = new String(two.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        String all = "first:\n" + out1 + err1 + "\nsecond:\n" + out2 + err2;
        assertEquals(0, one.exitValue(), all);
        assertEquals(0, two.exitValue(), all);
        assertEquals("hello run one", out1.strip(), all);
        assertEquals("hello run two", out2.strip(), all);
        List<String> builds = Files.readAllLines(root.resolve("builds.log"));
        assertEquals(2, builds.size(), "one build started and ended: " + builds + "\n" + all);
        assertTrue(builds.get(0).startsWith("start") && builds.get(1).startsWith("end"), builds + "\n" + all);
    }

    private Process launch(String... args) throws Exception {
        var cmd = new java.util.ArrayList<>(List.of(root.resolve("vbuf").toString()));
        cmd.addAll(List.of(args));
        var pb = new ProcessBuilder(cmd).directory(root.toFile());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().remove("VBUF_JAVA_OPTS");
        return pb.start();
    }
}
