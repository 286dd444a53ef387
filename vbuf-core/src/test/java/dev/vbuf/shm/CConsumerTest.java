package dev.vbuf.shm;

import dev.vbuf.pool.PoolBuilder;
import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.pool.ControlBlock;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import dev.vbuf.pool.WaitStrategy;
import dev.vbuf.stats.GroupStats;
import dev.vbuf.stats.PoolStats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The C consumer (examples/c/vbuf_consume.c over include/vbuf_shm.h), compiled with gcc and run
 * as a child process against a pool produced in this JVM: every frame checked, the C process
 * visible and alive in the process table, its crash recovered by the Java side, and its
 * validation of bad files agreeing with Java's.
 */
class CConsumerTest {
    static final FrameLayout LAYOUT = FrameLayout.of(PixelFormat.NV12, 320, 240);
    static final Pattern SUMMARY = Pattern.compile(
            "frames=(\\d+) bad=(\\d+) first=(-?\\d+) last=(-?\\d+) gaps=(\\d+) eos=([01]) checksum=\\p{XDigit}+");
    static Path consumer;

    final String name = "c" + ProcessHandle.current().pid() + "-" + System.nanoTime();
    final Path path = ShmNames.path(name);
    final List<Process> started = new ArrayList<>();
    final List<Path> files = new ArrayList<>();

    @BeforeAll
    static void build() throws Exception {
        CBuild.assumeGcc();
        consumer = CBuild.compile(CBuild.root().resolve("examples/c/vbuf_consume.c"), CBuild.outDir().resolve("vbuf_consume"));
    }

    @AfterEach
    void cleanUp() throws IOException {
        for (Process p : started) p.destroyForcibly();
        Files.deleteIfExists(path);
        for (Path f : files) Files.deleteIfExists(f);
    }

    FramePool create(int count, Duration reclaimAfter) {
        return FramePool.builder().shared(name).sharedMemory(PoolBuilder.SharedMemory.FILE).layout(LAYOUT).count(count).groups("c").jmx(false)
                .waitStrategy(WaitStrategy.futex()) // the producer sleeps until the C consumer wakes it
                .reclaimAfter(reclaimAfter).build();
    }

    /** The checkable payload of the C consumer's mix64 mode (splitmix64's finaliser over seq and word index). */
    static long mix(long seq, long k) {
        long z = seq * 0x9E3779B97F4A7C15L + (k + 1) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Fills a frame with the payload of sequence {@code seq}; the payload size varies so that partial words occur. */
    static void produce(FramePool pool, long seq) {
        Frame f = pool.acquireFree(Duration.ofSeconds(30));
        assertNotNull(f, "a free buffer within 30 s for frame " + seq + " (the C consumer releases them)");
        long n = LAYOUT.frameBytes() - (seq % 13);
        MemorySegment m = f.segment();
        long words = n / 8;
        for (long k = 0; k < words; k++) m.set(ValueLayout.JAVA_LONG_UNALIGNED, 8 * k, mix(seq, k));
        long tail = mix(seq, words);
        for (long i = 8 * words; i < n; i++, tail >>>= 8) m.set(ValueLayout.JAVA_BYTE, i, (byte) tail);
        f.payloadSize(n);
        f.pts(mix(seq, -1));
        f.submit();
    }

    /** A running C consumer with its output lines. */
    final class C {
        final Process process;
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final StringBuffer err = new StringBuffer();
        final Thread outPump;
        final Thread errPump;

        C(String... args) throws IOException {
            List<String> cmd = new ArrayList<>(List.of(consumer.toString()));
            cmd.addAll(List.of(args));
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.environment().put("VBUF_SHM_DIR", ShmNames.directory().toString());
            process = pb.start();
            started.add(process);
            outPump = Thread.ofPlatform().daemon().start(() -> pump(new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)), lines, null));
            errPump = Thread.ofPlatform().daemon().start(() -> pump(new BufferedReader(
                    new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8)), null, err));
        }

        private void pump(BufferedReader r, BlockingQueue<String> q, StringBuffer sb) {
            try {
                for (String l; (l = r.readLine()) != null; ) {
                    if (q != null) q.add(l); else sb.append(l).append('\n');
                }
            } catch (IOException ignored) {
                // the process ended
            }
        }

        /** The next output line starting with {@code prefix}, waiting up to 60 s. */
        String await(String prefix) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            for (;;) {
                String l = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (l == null) fail("the C consumer printed no '" + prefix + "' line within 60 s; stderr: " + err);
                if (l.startsWith(prefix)) return l;
            }
        }

        int exit() throws InterruptedException {
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the C consumer exits; stderr: " + err);
            outPump.join(10_000); // its output is complete once the pipes reach end of file
            errPump.join(10_000);
            return process.exitValue();
        }

        Matcher summary() throws InterruptedException {
            String l = await("frames=");
            Matcher m = SUMMARY.matcher(l);
            assertTrue(m.matches(), "summary line '" + l + "'");
            return m;
        }
    }

    static GroupStats group(FramePool pool) { return pool.stats().groups().get(0); }

    static Peer peer(FramePool pool, long pid) {
        return pool.peers().stream().filter(p -> p.pid() == pid).findFirst().orElse(null);
    }

    @Test
    void theCConsumerGetsEveryFrameIntact() throws Exception {
        int frames = 2000;
        try (FramePool pool = create(8, PoolFile.DEFAULT_RECLAIM_AFTER)) {
            C c = new C("--timeout-ms", "120000", name, "c", Integer.toString(frames));
            String attached = c.await("attached ");
            assertTrue(attached.contains(" slots=8 groups=1 group=c "), attached);
            Peer p = peer(pool, c.process.pid());
            assertNotNull(p, "the C consumer is in the process table: " + pool.peers());
            assertTrue(p.alive(), "the Java side sees the C process alive (pid and start time as Java reads them): " + p);
            assertEquals("attached", p.role());
            assertEquals(Processes.startTime(c.process.pid()), p.startTime(), "start time = field 22 of /proc/PID/stat");

            for (long seq = 0; seq < frames; seq++) produce(pool, seq);

            Matcher m = c.summary();
            assertEquals(0, c.exit(), "exit code; stderr: " + c.err);
            assertEquals(List.of("2000", "0", "0", "1999", "0"), List.of(m.group(1), m.group(2), m.group(3), m.group(4), m.group(5)),
                    "frames, bad, first, last, gaps");
            PoolStats st = pool.stats();
            assertEquals(8, st.idle(), "every slot IDLE after the C consumer released them: " + st);
            assertEquals(frames, st.published());
            assertEquals(frames, group(pool).taken(), "the C consumer counted its takes in the group record");
            assertEquals(0, group(pool).dropped());
            assertEquals(0, group(pool).lag());
            assertTrue(pool.validateAllBuffers(), "every slot word consistent");
            assertNull(peer(pool, c.process.pid()), "the C consumer left the process table");
        }
    }

    /** Sockets and memfds this process has open (its pipes to child processes are not counted). */
    static long socketsAndMemfds() throws IOException {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.filter(f -> {
                try {
                    String l = Files.readSymbolicLink(f).toString();
                    return l.startsWith("socket:") || l.startsWith("/memfd:");
                } catch (IOException e) {
                    return false;
                }
            }).count();
        }
    }

    @Test
    void theCConsumerGetsEveryFrameOfASealedMemfdPoolPassedByDescriptor() throws Exception {
        int frames = 500;
        try (FramePool pool = FramePool.builder().shared(name).sharedMemory(PoolBuilder.SharedMemory.MEMFD).layout(LAYOUT)
                .count(8).groups("c").jmx(false).waitStrategy(WaitStrategy.futex()).build()) {
            long fdsBefore = socketsAndMemfds();
            C c = new C("--timeout-ms", "120000", name, "c", Integer.toString(frames));
            String attached = c.await("attached ");
            assertTrue(attached.contains(" slots=8 groups=1 group=c "), attached);
            String fds = Files.list(Path.of("/proc/" + c.process.pid() + "/fd")).map(f -> {
                try {
                    return Files.readSymbolicLink(f).toString();
                } catch (IOException e) {
                    return "";
                }
            }).filter(l -> l.contains("memfd") || l.contains("socket")).toList().toString();
            assertEquals("[]", fds, "the C consumer closed the memfd after mapping it and the socket after the reply");
            for (long seq = 0; seq < frames; seq++) produce(pool, seq);
            Matcher m = c.summary();
            assertEquals(0, c.exit(), "exit code; stderr: " + c.err);
            assertEquals(List.of("500", "0", "0", "499", "0"), List.of(m.group(1), m.group(2), m.group(3), m.group(4), m.group(5)),
                    "frames, bad, first, last, gaps");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); // its connection's thread may still be closing
            while (socketsAndMemfds() != fdsBefore && System.nanoTime() < deadline) Thread.sleep(20);
            assertEquals(fdsBefore, socketsAndMemfds(), "the creator leaked no socket or memfd serving it");
        }
    }

    /**
     * A pool declared for one consumer per group: the C consumer claims its group's role like a
     * Java one. While this JVM reads the group, the C consumer is refused (exit 5, this process
     * named); once this JVM's claim is gone, the C consumer takes every frame, and gives the role
     * back when it detaches.
     */
    @Test
    void theCConsumerHonoursTheDeclaredConsumerRole() throws Exception {
        try (FramePool pool = FramePool.builder().shared(name).sharedMemory(PoolBuilder.SharedMemory.FILE).layout(LAYOUT)
                .count(8).groups("c").jmx(false).waitStrategy(WaitStrategy.futex()).singleProducer(true).singleConsumers(true)
                .build()) {
            produce(pool, 0);
            Frame f = pool.consumer("c").acquireFilled(Duration.ofSeconds(5)); // this JVM reads group c now
            f.release();
            C refused = new C("--timeout-ms", "20000", name, "c", "1");
            assertEquals(5, refused.exit(), "refused: " + refused.err);
            assertTrue(refused.err.toString().contains("was created for one consumer per group, and process "
                    + ProcessHandle.current().pid() + " is reading group 'c'"), refused.err::toString);

            // the claim of a process entry that is gone (as a dead reader's would be, before its recovery)
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
                 Arena arena = Arena.ofConfined()) {
                MemorySegment m = ch.map(FileChannel.MapMode.READ_WRITE, 0, ch.size(), arena);
                long claim = m.get(ValueLayout.JAVA_LONG, ControlBlock.H_GROUPS_OFFSET) + ControlBlock.G_CONSUMER_CLAIM;
                int capacity = m.get(ValueLayout.JAVA_INT, ControlBlock.H_PROCESS_CAPACITY);
                m.set(ValueLayout.JAVA_INT, claim, capacity); // the last entry: free
                C c = new C("--timeout-ms", "120000", name, "c", "3");
                c.await("attached ");
                for (long seq = 1; seq <= 3; seq++) produce(pool, seq);
                Matcher sum = c.summary();
                assertEquals("3", sum.group(1), sum.group());
                assertEquals(0, c.exit(), c.err::toString);
                assertEquals(0, m.get(ValueLayout.JAVA_INT, claim), "the C consumer gave its role back when it detached");
            }
        }
    }

    @Test
    void aKilledCConsumersFrameIsRecoveredAndNeverDeliveredTwice() throws Exception {
        try (FramePool pool = create(8, Duration.ofMillis(100))) {
            C victim = new C("--timeout-ms", "120000", "--hold-at", "3", name, "c", "0");
            victim.await("attached ");
            for (long seq = 0; seq < 5; seq++) produce(pool, seq);
            String holding = victim.await("holding ");
            assertTrue(holding.startsWith("holding seq=2 "), holding);
            assertEquals(1, pool.stats().consumerLocked(), "the C consumer holds frame 2");

            victim.process.destroyForcibly(); // SIGKILL
            assertTrue(victim.process.waitFor(30, TimeUnit.SECONDS));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while ((pool.stats().consumerLocked() != 0 || pool.peers().size() != 1) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            PoolStats st = pool.stats();
            assertEquals(0, st.consumerLocked(), "the dead C consumer's frame was recovered: " + st);
            assertEquals(1, pool.peers().size(), "its process entry was freed: " + pool.peers());
            assertEquals(1, group(pool).dropped(), "frame 2 counted as dropped for the group (lost to the crash)");

            C next = new C("--timeout-ms", "120000", name, "c", "0");
            next.await("attached ");
            for (long seq = 5; seq < 10; seq++) produce(pool, seq);
            pool.markEndOfStream();
            Matcher m = next.summary();
            assertEquals(0, next.exit(), "stderr: " + next.err);
            assertEquals(List.of("7", "0", "3", "9", "0", "1"),
                    List.of(m.group(1), m.group(2), m.group(3), m.group(4), m.group(5), m.group(6)),
                    "frames 3..9 (2 is not delivered again), none bad, no gap, end of stream");
            assertEquals(8, pool.stats().idle(), "every slot IDLE: " + pool.stats());
            assertTrue(pool.validateAllBuffers());
        }
    }

    /**
     * Hostile ring entries (a slot index beyond the pool, a generation the slot does not have)
     * queued in the group's ring before real frames: the C consumer skips them, counting them
     * as stale, and still gets every real frame.
     */
    @Test
    void hostileRingEntriesAreSkipped() throws Exception {
        try (FramePool pool = create(8, PoolFile.DEFAULT_RECLAIM_AFTER);
             FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
             Arena arena = Arena.ofConfined()) {
            C c = new C("--timeout-ms", "120000", name, "c", "3");
            c.await("attached ");
            MemorySegment m = ch.map(FileChannel.MapMode.READ_WRITE, 0, ch.size(), arena);
            long groups = m.get(ValueLayout.JAVA_LONG, ControlBlock.H_GROUPS_OFFSET);
            long ring = m.get(ValueLayout.JAVA_LONG, groups + ControlBlock.G_RING_OFFSET);
            int capacity = m.get(ValueLayout.JAVA_INT, ControlBlock.H_GROUP_RING_CAPACITY);
            offerRaw(m, ring, capacity, 65535);                   // slot 65535 of an 8-slot pool
            offerRaw(m, ring, capacity, (999L << 16) | 3);        // slot 3 at a generation it never had
            offerRaw(m, ring, capacity, (1L << 46) - 1);          // every value bit set
            for (long seq = 0; seq < 3; seq++) produce(pool, seq);
            Matcher r = c.summary();
            assertEquals(0, c.exit(), "stderr: " + c.err);
            assertEquals(List.of("3", "0", "0", "2"), List.of(r.group(1), r.group(2), r.group(3), r.group(4)));
            assertEquals(3, group(pool).staleSkipped(), "the three hostile entries were counted as stale");
            assertEquals(8, pool.stats().idle());
        }
    }

    /** Queues a raw value at the ring's tail (the MpmcRing cell format), as a hostile writer of the file could. */
    static void offerRaw(MemorySegment m, long ring, int capacity, long value) {
        VarHandle cell = ValueLayout.JAVA_LONG.varHandle();
        long tail = (long) cell.getVolatile(m, ring + ControlBlock.R_TAIL);
        int shift = Integer.numberOfTrailingZeros(capacity);
        long lap = (tail >>> shift) & ((1L << 17) - 1);
        long at = ring + ControlBlock.R_CELLS + (tail & (capacity - 1)) * 8L;
        assertTrue(cell.compareAndSet(m, at, lap << 47, (lap << 47) | (1L << 46) | value), "the tail cell was empty");
        assertTrue(cell.compareAndSet(m, ring + ControlBlock.R_TAIL, tail, tail + 1));
    }

    // ---------------------------------------------------------------------------------------
    // Validation of bad files: the C consumer refuses what Java refuses, with a clear message
    // ---------------------------------------------------------------------------------------

    Path file(String suffix) {
        Path f = ShmNames.path(name + suffix);
        files.add(f);
        return f;
    }

    C validate(Path f, String... extra) throws IOException {
        String pool = f.getFileName().toString().substring(ShmNames.PREFIX.length());
        List<String> args = new ArrayList<>(List.of(extra));
        args.addAll(List.of("--validate-only", pool));
        return new C(args.toArray(String[]::new));
    }

    void assertRefused(Path f, String expected, String... extra) throws Exception {
        C c = validate(f, extra);
        assertEquals(2, c.exit(), "refused with exit code 2; stdout " + c.lines + ", stderr " + c.err);
        assertTrue(c.err.toString().contains(expected), "message '" + c.err + "' contains '" + expected + "'");
        assertTrue(c.err.toString().contains(f.toString()), "message names the file: " + c.err);
    }

    @Test
    void badFilesAreRefusedWithTheReason() throws Exception {
        Path shortFile = file("-short");
        Files.write(shortFile, new byte[100]);
        assertRefused(shortFile, "shorter than the 256-byte header");

        Path notAPool = file("-magic");
        Files.write(notAPool, "this is not a vbuf pool at all, just text padding it out".repeat(20).getBytes(StandardCharsets.UTF_8));
        assertRefused(notAPool, "not a vbuf pool");

        try (FramePool pool = create(4, PoolFile.DEFAULT_RECLAIM_AFTER)) {
            byte[] image = Files.readAllBytes(path);
            long dataOffset = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).getLong((int) ControlBlock.H_DATA_OFFSET);

            Path truncated = file("-trunc");
            Files.write(truncated, java.util.Arrays.copyOf(image, (int) dataOffset + 10));
            assertRefused(truncated, "truncated");

            Path version = file("-version");
            byte[] v = image.clone();
            v[(int) ControlBlock.H_VERSION] = 9;
            Files.write(version, v);
            assertRefused(version, "layout version 9");

            Path wide = file("-wide");
            Files.write(wide, image);
            Files.setPosixFilePermissions(wide, PosixFilePermissions.fromString("rw--w----"));
            assertRefused(wide, "writable by its group");
            C ok = validate(wide, "--allow-group-writable");
            assertEquals(0, ok.exit(), "accepted when the group-writable mode is wanted; " + ok.err);

            Path link = file("-link");
            Files.createSymbolicLink(link, path);
            assertRefused(link, "symbolic link");

            C good = validate(path);
            assertEquals(0, good.exit(), "the real pool validates; " + good.err);
            assertTrue(good.await("valid ").contains(" slots=4 groups=1 "));
        }
    }

    /**
     * Random bytes of a real pool's control block changed: the C consumer never crashes (exit 0
     * or 2, never a signal), and accepts exactly the files Java's attach accepts (except changes
     * to the pixel layout fields, which only Java interprets).
     */
    @Test
    void fuzzedControlBlocksAreJudgedAsJavaJudgesThem() throws Exception {
        try (FramePool pool = create(4, PoolFile.DEFAULT_RECLAIM_AFTER)) {
            byte[] image = Files.readAllBytes(path);
            long total = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).getLong((int) ControlBlock.H_TOTAL_BYTES);
            long groups = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).getLong((int) ControlBlock.H_GROUPS_OFFSET);
            Random rnd = new Random(42);
            int accepted = 0;
            for (int i = 0; i < 150; i++) {
                byte[] b = image.clone();
                int changes = 1 + rnd.nextInt(3);
                boolean layoutField = false;
                for (int k = 0; k < changes; k++) {
                    // mostly the header and the group record, which validation reads; sometimes anywhere
                    int at = switch (rnd.nextInt(3)) {
                        case 0 -> rnd.nextInt(ControlBlock.HEADER_BYTES);
                        case 1 -> (int) groups + rnd.nextInt(ControlBlock.GROUP_BYTES);
                        default -> rnd.nextInt((int) total);
                    };
                    layoutField |= at >= ControlBlock.H_WIDTH && at < ControlBlock.H_PROCESS_OFFSET;
                    b[at] = (byte) (rnd.nextBoolean() ? rnd.nextInt(256) : b[at] ^ (1 << rnd.nextInt(8)));
                }
                int cut = rnd.nextInt(8) == 0 ? rnd.nextInt(b.length) : b.length;
                Path f = file("-fuzz" + i);
                Files.write(f, java.util.Arrays.copyOf(b, cut));
                C c = validate(f);
                int code = c.exit();
                assertTrue(code == 0 || code == 2, "case " + i + ": exit " + code + " (a signal is > 128); stderr " + c.err);
                boolean javaAccepts;
                try (FramePool a = FramePool.attach(name + "-fuzz" + i, new PoolBuilder.AttachOptions().jmx(false).observe(true))) {
                    javaAccepts = a.getTotalCount() > 0;
                } catch (RuntimeException e) {
                    javaAccepts = false;
                }
                if (!layoutField) {
                    assertEquals(javaAccepts, code == 0, "case " + i + ": Java " + (javaAccepts ? "accepts" : "refuses")
                            + " the file, C exits " + code + " " + c.err);
                }
                if (code == 0) accepted++;
                Files.delete(f);
            }
            assertTrue(accepted > 0 && accepted < 150, "the fuzz hit both accepted and refused files (" + accepted + " accepted)");
        }
    }
}
