package dev.vbuf.cli;

import dev.vbuf.pool.Consumer;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import dev.vbuf.pool.Overflow;
import dev.vbuf.pool.PoolBuilder;
import dev.vbuf.shm.ShmNames;
import dev.vbuf.stats.GroupStats;
import dev.vbuf.stats.PoolStats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code vbuf top --once --json} against a live private pool (this JVM), a live shared pool in
 * another process and a stale private pool (its process killed): the counters it prints are
 * the pools' own {@code stats()} exactly (the pools stand still while it reads), the stale one
 * is marked, a hostile file is reported, not read.
 */
class TopCommandTest {
    private final List<Process> children = new ArrayList<>();
    private final List<Path> files = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (Process p : children) {
            p.getOutputStream().close();
            if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly().waitFor();
        }
        for (Path f : files) Files.deleteIfExists(f);
    }

    private Process child(String mode, String name) throws IOException {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1",
                "-Dvbuf.shm.dir=" + ShmNames.directory(), "-cp",
                System.getProperty("java.class.path") + System.getProperty("path.separator") + System.getProperty("jdk.module.path", ""),
                TopChild.class.getName(), mode, name);
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        children.add(p);
        var r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = r.readLine();
        assertNotNull(line, "the child ended before it was ready");
        assertTrue(line.startsWith("ready "), line);
        return p;
    }

    /** The JSON object of pool {@code id} in top's output. */
    static String pool(String json, String id) {
        int at = json.indexOf("{\"id\":\"" + id + "\"");
        assertTrue(at >= 0, "pool " + id + " is not in: " + json);
        int depth = 0;
        for (int i = at; i < json.length(); i++) {
            char c = json.charAt(i);
            if (c == '{' || c == '[') depth++;
            if (c == '}' || c == ']') depth--;
            if (depth == 0) return json.substring(at, i + 1);
        }
        throw new AssertionError("unterminated object for " + id);
    }

    static long num(String json, String key) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\":(-?[0-9]+)").matcher(json);
        assertTrue(m.find(), "no \"" + key + "\" in " + json);
        return Long.parseLong(m.group(1));
    }

    static String group(String pool, String name) {
        int at = pool.indexOf("{\"name\":\"" + name + "\"");
        assertTrue(at >= 0, "no group " + name + " in " + pool);
        return pool.substring(at, pool.indexOf('}', at) + 1);
    }

    static void assertMatches(PoolStats st, String p) {
        assertEquals(st.published(), num(p, "published"), "published");
        assertEquals(st.total(), num(p, "buffers"), "buffers");
        assertEquals(st.idle(), num(p, "IDLE"), "IDLE");
        assertEquals(st.producerLocked(), num(p, "LOCKED_BY_PRODUCER"), "LOCKED_BY_PRODUCER");
        assertEquals(st.ready(), num(p, "READY_FOR_CONSUME"), "READY_FOR_CONSUME");
        assertEquals(st.consumerLocked(), num(p, "LOCKED_BY_CONSUMER"), "LOCKED_BY_CONSUMER");
        assertEquals(st.reclaims(), num(p, "reclaims"), "reclaims");
        assertEquals(st.acquireWaits(), num(p, "acquireWaits"), "acquire waits");
        for (GroupStats g : st.groups()) {
            String j = group(p, g.name());
            assertEquals(g.taken(), num(j, "taken"), g.name() + " taken");
            assertEquals(g.dropped(), num(j, "dropped"), g.name() + " dropped");
            assertEquals(g.lag(), num(j, "lag"), g.name() + " lag");
            assertEquals(g.held(), num(j, "held"), g.name() + " held");
            assertEquals(g.staleSkipped(), num(j, "staleSkipped"), g.name() + " stale skipped");
        }
    }

    @Test
    void onceJsonShowsALivePrivatePoolWithItsExactCounters() {
        String name = "top-priv-" + ProcessHandle.current().pid();
        try (FramePool pool = FramePool.builder().name(name).count(4).bufferSize(4096).groups("fast", "slow")
                .overflow(Overflow.DROP_OLDEST).jmx(false).publishStats(true).build()) {
            Consumer fast = pool.consumer("fast"), slow = pool.consumer("slow");
            for (int i = 0; i < 25; i++) {
                pool.tryAcquireFree().submit();
                fast.tryAcquireFilled().close();
            }
            Frame held = slow.tryAcquireFilled();
            Cli r = Cli.run("top", "--once", "--json", "--span-ms", "200");
            assertEquals(0, r.exit(), r.toString());
            String id = name + "@" + StatsFileName.of(ProcessHandle.current().pid(), r.out(), name);
            String p = pool(r.out(), id);
            assertMatches(pool.stats(), p);
            assertTrue(p.contains("\"kind\":\"private\"") && p.contains("\"stale\":false"), p);
            assertTrue(num(group(p, "slow"), "dropped") > 0, "drop-oldest dropped frames for 'slow'");
            assertTrue(p.contains("\"pid\":" + ProcessHandle.current().pid() + ",\"role\":\"private\",\"alive\":true"), p);
            held.close();
        }
    }

    @Test
    void onceJsonShowsASharedPoolOfAnotherProcessWithItsExactCounters() throws Exception {
        String name = "top-shm-" + ProcessHandle.current().pid() + "-" + System.nanoTime() % 100000;
        Process p = child("shared", name);
        try (FramePool observer = FramePool.attach(name, new PoolBuilder.AttachOptions().observe(true).jmx(false))) {
            PoolStats st = observer.stats();
            Cli r = Cli.run("top", "--once", "--json", "--span-ms", "200");
            assertEquals(0, r.exit(), r.toString());
            String j = pool(r.out(), name);
            assertMatches(st, j);
            assertTrue(j.contains("\"kind\":\"shared\"") && j.contains("\"stale\":false"), j);
            assertTrue(j.contains("\"pid\":" + p.pid() + ",\"role\":\"creator\",\"alive\":true,\"filling\":0,\"holding\":1"),
                    "the child holds one frame: " + j);
            Cli text = Cli.run("top", "--once", "--expand", "--span-ms", "200");
            assertTrue(text.out().contains(name) && text.out().contains("creator"), text.out());
            // vbuf inspect gains the rates and ages, vbuf shm ls gains --json
            Cli inspect = Cli.run("inspect", name, "--json", "--span-ms", "200");
            assertEquals(0, inspect.exit(), inspect.toString());
            assertTrue(inspect.out().contains("\"rates\":{\"fpsIn\":0") && inspect.out().contains("\"oldestHeldMs\":"), inspect.out());
            Cli inspectText = Cli.run("inspect", name, "--once", "--span-ms", "200");
            assertTrue(inspectText.out().contains("rates over the last second") && inspectText.out().contains("oldest held"),
                    inspectText.out());
            Cli ls = Cli.run("shm", "ls", "--json");
            assertEquals(0, ls.exit(), ls.toString());
            assertTrue(ls.out().contains("{\"name\":\"" + name + "\",\"state\":\"live\",") && ls.out().contains("\"buffers\":4,\"processes\":1,"),
                    ls.out());
        }
    }

    @Test
    void aPoolWhoseProcessWasKilledIsMarkedStale() throws Exception {
        // a directory of its own: another process's pool build sweeps stale files of /dev/shm
        Path dir = Files.createTempDirectory("vbuf-top-stale");
        String before = System.getProperty("vbuf.shm.dir");
        System.setProperty("vbuf.shm.dir", dir.toString());
        try {
            staleIn(dir);
        } finally {
            if (before == null) System.clearProperty("vbuf.shm.dir");
            else System.setProperty("vbuf.shm.dir", before);
            try (var s = Files.list(dir)) {
                for (Path f : s.toList()) Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        }
    }

    private void staleIn(Path dir) throws Exception {
        String name = "top-stale-" + ProcessHandle.current().pid();
        Process p = child("private", name);
        long pid = p.pid();
        Path file = dir.resolve("vbuf-private." + pid + ".0");
        assertTrue(Files.exists(file), "the child's statistics file " + file);
        p.destroyForcibly().waitFor(); // SIGKILL: nothing removes its file
        assertTrue(Files.exists(file), "a killed process leaves its file");
        Cli r = Cli.run("top", "--once", "--json", "--span-ms", "200");
        String j = pool(r.out(), name + "@vbuf-private." + pid + ".0");
        assertTrue(j.contains("\"stale\":true"), j);
        assertTrue(j.contains("\"staleReason\":\"process " + pid + " is gone\""), j);
        assertEquals(10, num(j, "published"), "its last counters are still read");
        Cli text = Cli.run("top", "--once", "--span-ms", "200");
        assertTrue(text.out().lines().anyMatch(l -> l.contains("STALE") && l.contains(name)), text.out());
    }

    @Test
    void aHostileFileIsReportedNotRead() throws Exception {
        Path bad = ShmNames.directory().resolve("vbuf-private." + ProcessHandle.current().pid() + ".77777");
        files.add(bad);
        byte[] junk = new byte[8192];
        java.util.Arrays.fill(junk, (byte) 0x5a);
        Files.write(bad, junk);
        Cli r = Cli.run("top", "--once", "--json", "--span-ms", "200");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("\"file\":\"" + bad + "\",\"error\":\"statistics file " + bad + " has magic 0x5a5a5a5a5a5a5a5a"),
                r.out());
        Cli text = Cli.run("top", "--once", "--span-ms", "200");
        assertTrue(text.out().contains("not read: " + bad), text.out());
    }

    @Test
    void badFlagsAreUsageErrors() {
        Cli r = Cli.run("top", "--sort", "colour", "--once");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--sort colour is not a column: give name, fps, drops, lag or bytes"), r.err());
        assertEquals(2, Cli.run("top", "--span-ms", "5").exit());
    }

    /** The statistics file of this JVM's pool named {@code name}, as top printed it. */
    static final class StatsFileName {
        static String of(long pid, String json, String name) {
            Matcher m = Pattern.compile("\"id\":\"" + Pattern.quote(name) + "@(vbuf-private\\." + pid + "\\.[0-9]+)\"").matcher(json);
            assertTrue(m.find(), "no private pool " + name + " of pid " + pid + " in " + json);
            return m.group(1);
        }
    }
}
