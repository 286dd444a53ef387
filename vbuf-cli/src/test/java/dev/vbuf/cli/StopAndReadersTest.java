package dev.vbuf.cli;

import dev.vbuf.shm.ShmNames;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Stopping {@code vbuf run} and {@code vbuf consume} with SIGINT / SIGTERM (child JVMs: a
 * signal has to reach a real process), what a producer says about its remote groups' readers,
 * and a {@code vbuf consume} of one of the producer's own groups. No assertion depends on timing:
 * the tests wait for what the processes print.
 */
class StopAndReadersTest {
    final String name = "stop" + ProcessHandle.current().pid() + "-" + System.nanoTime();
    final Path path = ShmNames.path(name);
    final List<Child> children = new ArrayList<>();

    @AfterEach
    void cleanUp() throws IOException {
        for (Child c : children) c.process.destroyForcibly();
        Files.deleteIfExists(path);
        for (ShmNames.TempFile t : ShmNames.tempFiles(name)) Files.deleteIfExists(t.path());
    }

    /** A child JVM running vbuf, its stdout collected, its stderr lines kept as they come. */
    final class Child {
        final Process process;
        final List<String> errLines = new ArrayList<>();
        final CompletableFuture<String> out = new CompletableFuture<>();

        Child(String... args) throws IOException {
            this(List.of(), args);
        }

        Child(List<String> jvmOptions, String... args) throws IOException {
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1"));
            cmd.addAll(jvmOptions);
            cmd.addAll(List.of(
                    "-cp", System.getProperty("java.class.path") + System.getProperty("path.separator") + System.getProperty("jdk.module.path", "") /* on the module path too (tests) */, Main.class.getName()));
            cmd.addAll(List.of(args));
            process = new ProcessBuilder(cmd).start();
            children.add(this);
            Thread.ofPlatform().daemon().start(() -> {
                try (var r = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        synchronized (errLines) {
                            errLines.add(line);
                            errLines.notifyAll();
                        }
                    }
                } catch (IOException ignored) {
                    // the process ended
                }
            });
            Thread.ofPlatform().daemon().start(() -> {
                try {
                    out.complete(new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException e) {
                    out.completeExceptionally(e);
                }
            });
        }

        /** Waits (at most 120 s) for a stderr line that matches; returns it. */
        String awaitErr(Predicate<String> match, String what) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            int seen = 0;
            synchronized (errLines) {
                while (true) {
                    for (; seen < errLines.size(); seen++) if (match.test(errLines.get(seen))) return errLines.get(seen);
                    long left = deadline - System.nanoTime();
                    if (left <= 0 || (!process.isAlive() && seen == errLines.size())) {
                        fail("no line " + what + " from the child; its stderr:\n" + String.join("\n", errLines));
                    }
                    errLines.wait(Math.max(1, Math.min(500, TimeUnit.NANOSECONDS.toMillis(left))));
                }
            }
        }

        void signal(String sig) throws Exception {
            Process kill = new ProcessBuilder("kill", "-" + sig, Long.toString(process.pid())).inheritIO().start();
            assertEquals(0, kill.waitFor(), "kill -" + sig);
        }

        Cli finish() throws Exception {
            assertTrue(process.waitFor(120, TimeUnit.SECONDS), "the child ended");
            String o = out.get(10, TimeUnit.SECONDS);
            synchronized (errLines) {
                return new Cli(process.exitValue(), o, String.join("\n", errLines));
            }
        }
    }

    @Test
    void sigintStopsARunWithItsSummaryAndExit130() throws Exception {
        var run = new Child("run", "--size", "64x48", "--fps", "100", "--frames", "100000000", "--json");
        run.awaitErr(l -> l.startsWith("frames "), "of status");
        run.signal("INT");
        Cli r = run.finish();
        assertEquals(130, r.exit(), r::toString);
        assertTrue(r.out().contains("\"stopped\":true") && r.out().contains("\"ok\":true"), r::toString);
        long produced = r.number("produced");
        assertTrue(produced > 0 && produced < 100_000_000, r::toString);
        assertEquals(produced, r.number("verify", "consumed"), "every frame made before the stop was read: " + r);
        assertEquals(produced, r.number("sample", "consumed"), r::toString);
        assertEquals(0, r.number("verifyFailures"), r::toString);
    }

    @Test
    void aProducerSaysWhichGroupHasNoReaderAndWhichLostItAndBothStopCleanly() throws Exception {
        var producer = new Child("run", "--shared", name, "--size", "64x48", "--fps", "50", "--frames", "100000000",
                "--groups", "1", "--json");
        String waiting = producer.awaitErr(l -> l.contains("has no reader yet"), "saying the remote group has no reader");
        assertTrue(waiting.contains("group 'consume'") && waiting.contains("'vbuf consume " + name + "'")
                && waiting.contains("--policy drop-oldest"), waiting);

        var consumer = new Child("consume", name, "--json");
        producer.awaitErr(l -> l.contains("group 'consume' has a reader again"), "saying the reader came");
        consumer.awaitErr(l -> l.contains(name + "/consume: frames"), "of consumer status");
        consumer.signal("TERM");
        Cli c = consumer.finish();
        assertEquals(130, c.exit(), c::toString);
        assertTrue(c.out().contains("\"stopped\":true"), c::toString);
        assertTrue(c.number("frames") > 0, c::toString);
        assertEquals(0, c.number("verifyFailures"), c::toString);
        assertEquals(c.number("frames"), c.number("verified"), c::toString);

        String lost = producer.awaitErr(l -> l.contains("lost its reader"), "saying the group lost its reader");
        assertTrue(lost.contains("group 'consume' lost its reader (process " + consumer.process.pid() + " detached)"), lost);

        producer.signal("INT");
        Cli p = producer.finish();
        assertEquals(130, p.exit(), p::toString);
        assertTrue(p.out().contains("\"stopped\":true") && p.out().contains("\"ok\":true"), p::toString);
        assertTrue(p.number("consume", "consumed") >= c.number("frames"), p::toString);
        assertFalse(Files.exists(path), "the producer removed its pool");
    }

    @Test
    void consumingOneOfTheProducersOwnGroupsIsCountedNotFailed() throws Exception {
        var producer = new Child("run", "--shared", name, "--size", "64x48", "--fps", "100", "--frames", "100000000",
                "--groups", "1", "--remote-groups", "x", "--policy", "drop-oldest", "--json");
        producer.awaitErr(l -> l.startsWith("frames "), "of status");
        var consumer = new Child("consume", name, "--group", "verify", "--frames", "50", "--json");
        Cli c = consumer.finish();
        assertEquals(0, c.exit(), c::toString);
        assertEquals(50, c.number("frames"), c::toString);
        assertEquals(0, c.number("verifyFailures"), c::toString);
        producer.signal("INT");
        Cli p = producer.finish();
        assertEquals(130, p.exit(), p::toString);
        assertTrue(p.out().contains("\"ok\":true"), p::toString);
        long produced = p.number("produced");
        assertEquals(50, p.number("verify", "takenByOthers"), p::toString);
        assertEquals(produced, p.number("verify", "consumed") + p.number("verify", "takenByOthers")
                + p.number("verify", "dropped"), p::toString);
    }

    @Test
    void sigtermOnASharedProducerStillPrintsItsJsonSummary() throws Exception {
        var producer = new Child("run", "--shared", name, "--size", "64x48", "--fps", "100", "--frames", "100000000",
                "--groups", "1", "--policy", "drop-oldest", "--json");
        producer.awaitErr(l -> l.startsWith("frames "), "of status");
        producer.signal("TERM");
        Cli p = producer.finish();
        assertEquals(130, p.exit(), p::toString);
        assertTrue(p.out().contains("\"stopped\":true") && p.out().contains("\"ok\":true"), p::toString);
        long produced = p.number("produced");
        assertTrue(produced > 0, p::toString);
        assertEquals(produced, p.number("verify", "consumed"), "the verifier read every frame made before the stop: " + p);
        assertEquals(0, p.number("verifyFailures"), p::toString);
        assertFalse(Files.exists(path), "the producer removed its pool");
    }

    @Test
    void aConsumerWhosePoolIsTruncatedSaysSoAndExitsNonZeroAndTheProducerToo() throws Exception {
        // a /dev/shm file (the default, a sealed memfd, cannot be truncated: FdPoolTest, SealedPoolCliTest)
        var producer = new Child("run", "--shared", name, "--memory", "file", "--size", "64x48", "--fps", "100", "--frames", "100000000",
                "--groups", "1", "--json");
        producer.awaitErr(l -> l.contains("has no reader yet"), "saying the remote group has no reader");
        var consumer = new Child("consume", name, "--json");
        consumer.awaitErr(l -> l.contains(name + "/consume: frames"), "of consumer status");
        try (var ch = java.nio.channels.FileChannel.open(path, java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(0); // what any process of the same user can do to a /dev/shm pool
        }
        Cli c = consumer.finish();
        assertNotEquals(0, c.exit(), c::toString);
        assertTrue(c.err().contains("vbuf consume: shared pool '" + name + "' vanished under this process: its file "
                + path + " was truncated (it is now 0 bytes long)") && c.err().contains("start it again")
                && c.err().contains("--memory memfd"), c::toString);
        assertFalse(c.err().contains("Exception in thread") || c.err().contains("InternalError"), c::toString);

        Cli p = producer.finish();
        assertNotEquals(0, p.exit(), p::toString);
        assertTrue(p.err().contains("vbuf run: shared pool '" + name + "' vanished under this process"), p::toString);
        assertFalse(p.err().contains("Exception in thread"), "no thread of the producer died uncaught: " + p);
    }

    @Test
    void aCreatorKilledBeforePublishingLeavesATemporaryFileThatLsListsAndRmStaleRemoves() throws Exception {
        Path temp = killedCreatorsTempFile();
        Cli ls = Cli.run("shm", "ls");
        String line = ls.out().lines().filter(l -> l.startsWith(name + " (temporary)")).findFirst().orElse("");
        assertTrue(line.contains(" stale ") && line.contains("which is gone") && line.contains("vbuf shm rm --stale"), ls::toString);
        Cli rm = Cli.run("shm", "rm", "--stale");
        assertEquals(0, rm.exit(), rm::toString);
        assertTrue(rm.out().contains("removed " + temp), rm::toString);
        assertFalse(Files.exists(temp), "the killed creator's temporary file is gone");
    }

    @Test
    void aCreatorKilledBeforePublishingLeavesATemporaryFileThatTheNextCreateRemoves() throws Exception {
        Path temp = killedCreatorsTempFile();
        var next = new Child("run", "--shared", name, "--size", "64x48", "--fps", "0", "--frames", "20",
                "--groups", "1", "--policy", "drop-oldest", "--json");
        Cli r = next.finish();
        assertEquals(0, r.exit(), r::toString);
        assertFalse(Files.exists(temp), "the next create of the pool removed the dead creator's temporary file");
        assertTrue(ShmNames.tempFiles(name).isEmpty(), ShmNames.tempFiles(name)::toString);
    }

    /** Starts a creator that stops between formatting its temporary file and publishing it, SIGKILLs it there. */
    private Path killedCreatorsTempFile() throws Exception {
        var creator = new Child(List.of("-Dvbuf.test.pauseBeforePublish=true"), "run", "--shared", name, "--memory", "file", "--size", "640x480",
                "--fps", "0", "--frames", "100", "--groups", "1", "--json");
        String point = creator.awaitErr(l -> l.startsWith("CRASH-POINT publish "), "saying it stopped before publishing");
        Path temp = Path.of(point.substring("CRASH-POINT publish ".length()));
        assertTrue(Files.size(temp) > 640 * 480, "the temporary file holds the pool: " + temp);
        creator.process.destroyForcibly(); // SIGKILL
        assertTrue(creator.process.waitFor(60, TimeUnit.SECONDS));
        assertTrue(Files.exists(temp), "a SIGKILL leaves the temporary file");
        assertFalse(Files.exists(path), "nothing was published");
        return temp;
    }

    @Test
    void aSealedMemfdPoolIsConsumedByAnotherProcessAndInspectShowsItSealedAndPassedByFd() throws Exception {
        var producer = new Child("run", "--shared", name, "--memory", "memfd", "--size", "64x48", "--fps", "0",
                "--frames", "2000", "--groups", "1", "--json");
        producer.awaitErr(l -> l.contains("has no reader yet"), "saying the remote group has no reader");
        Cli inspect = Cli.run("inspect", name);
        assertEquals(0, inspect.exit(), inspect::toString);
        assertTrue(inspect.out().contains("memfd sealed against shrink, grow, seal") && inspect.out().contains("by fd"), inspect::toString);
        Cli ls = Cli.run("shm", "ls");
        String line = ls.out().lines().filter(l -> l.startsWith(name + " ")).findFirst().orElse("");
        assertTrue(line.contains(" live ") && line.contains("passed by fd: memfd sealed against shrink, grow, seal"), ls::toString);
        // each buffer shown as a sealed memfd passed by fd, and where its creator holds the memfd
        assertTrue(inspect.out().contains("memory: memfd, sealed against shrink, grow, seal (no process can shrink or grow it),"
                + " passed by fd (SCM_RIGHTS) over the socket " + path), inspect::toString);
        var count = java.util.regex.Pattern.compile("shared pool '[^']+': (\\d+) buffers x").matcher(inspect.out());
        assertTrue(count.find(), inspect::toString);
        assertEquals(Long.parseLong(count.group(1)), inspect.out().lines().filter(l -> l.contains(" memfd sealed, received by fd ")).count(),
                "every buffer is a sealed memfd received by fd: " + inspect);
        var held = java.util.regex.Pattern.compile("its creator holds it as (/proc/(\\d+)/fd/\\d+)").matcher(inspect.out());
        assertTrue(held.find(), inspect::toString);
        assertEquals(producer.process.pid(), Long.parseLong(held.group(2)), "the creator is the producer");
        Cli ij = Cli.run("inspect", name, "--json");
        assertTrue(ij.out().contains("\"memory\":\"memfd\",\"byFd\":true,\"sealed\":true") && ij.out().contains("\"creatorMemfd\":\"/proc/"), ij::toString);

        var consumer = new Child("consume", name, "--json", "--hold-ms", "2");
        consumer.awaitErr(l -> l.contains(name + "/consume: frames"), "of consumer status");
        // a process of the same user truncates the pool through the creator's descriptor: the seal refuses it
        Process t = new ProcessBuilder("truncate", "-s", "0", held.group(1)).redirectErrorStream(true).start();
        assertTrue(t.waitFor(60, TimeUnit.SECONDS));
        String said = new String(t.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertNotEquals(0, t.exitValue(), "truncate of a sealed pool must fail: " + said);
        assertTrue(said.contains("Operation not permitted"), said);
        Cli c = consumer.finish();
        assertEquals(0, c.exit(), c::toString);
        assertEquals(2000, c.number("verified"), c::toString);
        assertEquals(0, c.number("verifyFailures"), c::toString);
        assertEquals(0, c.number("missed"), c::toString);
        assertTrue(c.out().contains("\"memory\":\"memfd\",\"byFd\":true,\"sealed\":true,\"seals\":\"against shrink, grow, seal\"")
                && c.out().contains("{\"id\":1,\"memory\":\"memfd\",\"byFd\":true,\"sealed\":true,\"fd\":-1}"), c::toString);
        Cli p = producer.finish();
        assertEquals(0, p.exit(), p::toString);
        assertTrue(p.out().contains("\"ok\":true"), p::toString);
        assertFalse(Files.exists(path), "the producer removed its socket");
    }
}
