package dev.vbuf.cli;

import dev.vbuf.shm.ShmNames;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code vbuf run --shared} with {@code vbuf consume} in a second process (a child JVM), and
 * {@code vbuf inspect}, {@code vbuf shm ls}, {@code vbuf shm rm}.
 */
class SharedCliTest {
    final String name = "cli" + ProcessHandle.current().pid() + "-" + System.nanoTime();
    final Path path = ShmNames.path(name);

    @AfterEach
    void cleanUp() throws IOException {
        Files.deleteIfExists(path);
    }

    /** On a thread of its own (the common pool has one thread on this 2-core machine). */
    static CompletableFuture<Cli> async(java.util.function.Supplier<Cli> task) {
        var f = new CompletableFuture<Cli>();
        Thread.ofPlatform().daemon().start(() -> {
            try {
                f.complete(task.get());
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        return f;
    }

    static Process child(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path") + System.getProperty("path.separator") + System.getProperty("jdk.module.path", "") /* on the module path too (tests) */, Main.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    }

    @Test
    void consumeInAnotherProcessVerifiesEveryFrame() throws Exception {
        CompletableFuture<Cli> producer = async(() -> Cli.run("run", "--shared", name,
                "--size", "320x240", "--fps", "0", "--frames", "600", "--groups", "1", "--json"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!Files.exists(path) && System.nanoTime() < deadline && !producer.isDone()) Thread.sleep(10);
        assertTrue(Files.exists(path), () -> "the producer created " + path + "; producer: "
                + (producer.isDone() ? producer.join().toString() : "still running"));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(path)));

        Cli ls = Cli.run("shm", "ls");
        assertTrue(ls.out().contains(name) && ls.out().contains("live"), ls.toString());
        Cli inspect = Cli.run("inspect", name, "--once");
        assertEquals(0, inspect.exit(), inspect.toString());
        assertTrue(inspect.out().contains("every slot accounted for"), inspect.toString());
        assertTrue(inspect.out().contains("creator"), inspect.toString());

        Process consumer = child("consume", name, "--json");
        String json = new String(consumer.getInputStream().readAllBytes());
        assertTrue(consumer.waitFor(180, TimeUnit.SECONDS));
        Cli p = producer.get(180, TimeUnit.SECONDS);
        assertEquals(0, p.exit(), p.toString());
        assertEquals(0, consumer.exitValue(), json);
        var c = new Cli(0, json, "");
        assertEquals(600, c.number("frames"), json);
        assertEquals(600, c.number("verified"), json);
        assertEquals(0, c.number("verifyFailures"), json);
        assertEquals(0, c.number("copies"), json);
        assertTrue(json.contains("\"endOfStream\":true"), json);
        assertEquals(600, p.number("consume", "consumed") + p.number("consume", "queuedAtClose"), p.toString());
        assertFalse(Files.exists(path), "the producer removed the pool at the end");
    }

    /**
     * {@code vbuf consume NAME --create WxH --check capture}: the reader makes the pool and a
     * producer of another kind attaches to it (here this JVM, as GStreamer's vbufsink does): every
     * frame is read, and the CRC-32 fold equals the one of the bytes the producer wrote.
     */
    @Test
    void consumeCreatesThePoolAForeignProducerFills() throws Exception {
        Process consumer = child("consume", name, "--create", "64x48", "--format", "gray8", "--count", "4",
                "--check", "capture", "--json");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!Files.exists(path) && System.nanoTime() < deadline && consumer.isAlive()) Thread.sleep(10);
        assertTrue(Files.exists(path), "consume --create made " + path);
        var fold = new java.util.zip.CRC32();
        try (dev.vbuf.pool.FramePool pool = dev.vbuf.pool.FramePool.attach(name, new dev.vbuf.pool.PoolBuilder.AttachOptions().jmx(false))) {
            for (int i = 0; i < 40; i++) {
                dev.vbuf.pool.Frame f = pool.acquireFree(java.time.Duration.ofSeconds(60));
                assertTrue(f != null, "a free frame " + i);
                byte[] b = new byte[64 * 48];
                for (int k = 0; k < b.length; k++) b[k] = (byte) (i * 31 + k * 7 + 1);
                java.lang.foreign.MemorySegment.copy(b, 0, f.segment(), java.lang.foreign.ValueLayout.JAVA_BYTE, 0, b.length);
                f.pts(i).captureTimeNs(1000L * i);
                var crc = new java.util.zip.CRC32();
                crc.update(b);
                int v = (int) crc.getValue();
                fold.update(new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v});
                f.submit();
            }
            pool.markEndOfStream();
        }
        String json = new String(consumer.getInputStream().readAllBytes());
        assertTrue(consumer.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, consumer.exitValue(), json);
        var c = new Cli(0, json, "");
        assertEquals(40, c.number("frames"), json);
        assertEquals(0, c.number("verifyFailures"), json);
        assertTrue(json.contains(String.format("\"crc\":\"%08x\"", fold.getValue())), json);
        assertFalse(Files.exists(path), "the creating consumer removed the pool at the end");
    }

    @Test
    void consumeCreateRefusesABadSizeOrCountNamingTheFlag() {
        Cli size = Cli.run("consume", name, "--create", "0x48");
        assertEquals(2, size.exit(), size.toString());
        assertTrue(size.err().contains("--create 0x48: width 0 is outside 1..16384"), size.toString());
        Cli count = Cli.run("consume", name, "--create", "64x48", "--count", "1");
        assertEquals(2, count.exit(), count.toString());
        assertTrue(count.err().contains("--count 1 is outside 2..1024"), count.toString());
        assertFalse(Files.exists(path), "nothing created");
    }

    @Test
    void consumeOfAMissingPoolSaysHowToStartIt() {
        Cli c = Cli.run("consume", name);
        assertEquals(1, c.exit(), c.toString());
        assertTrue(c.err().contains("vbuf run --shared " + name), c.toString());
    }

    @Test
    void truncatedHandWrittenFileIsRefusedClearly() throws Exception {
        Files.write(path, new byte[100]);
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        Cli c = Cli.run("consume", name);
        assertEquals(1, c.exit(), c.toString());
        assertTrue(c.err().contains("100 bytes long, shorter than the 256-byte header"), c.toString());
        Cli ls = Cli.run("shm", "ls");
        assertTrue(ls.out().contains(name) && ls.out().contains("invalid"), ls.toString());
        Cli rm = Cli.run("shm", "rm", name);
        assertEquals(0, rm.exit(), rm.toString());
        assertFalse(Files.exists(path));
    }

    @Test
    void rmRefusesALivePoolWithoutForce() {
        // drop-oldest: with nobody reading group x the producer still finishes on its own
        CompletableFuture<Cli> producer = async(() -> Cli.run("run", "--shared", name, "--size", "320x240",
                "--fps", "25", "--frames", "100", "--groups", "1", "--remote-groups", "x", "--policy", "drop-oldest"));
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!Files.exists(path) && System.nanoTime() < deadline) Thread.sleep(10);
            Cli rm = Cli.run("shm", "rm", name);
            assertEquals(1, rm.exit(), rm.toString());
            assertTrue(rm.err().contains("is live"), rm.toString());
            assertTrue(Files.exists(path));
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        } finally {
            Cli p = producer.join();
            assertEquals(0, p.exit(), p.toString());
        }
    }

    @Test
    void badSharedFlagsAreUsageErrors() {
        Cli c = Cli.run("run", "--shared", "../etc", "--frames", "1");
        assertEquals(2, c.exit(), c.toString());
        assertTrue(c.err().contains("not valid"), c.toString());
        c = Cli.run("run", "--shared", name, "--shared-mode", "700", "--frames", "1");
        assertEquals(2, c.exit(), c.toString());
        c = Cli.run("run", "--shared", name, "--remote-groups", "verify", "--frames", "1");
        assertEquals(2, c.exit(), c.toString());
        assertTrue(c.err().contains("already a group"), c.toString());
        c = Cli.run("run", "--shared", name, "--memory", "zone:video", "--frames", "1");
        assertEquals(2, c.exit(), c.toString());
        assertTrue(c.err().contains("a zone is private to this process"), c.toString());
    }
}
