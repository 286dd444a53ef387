package dev.vbuf.pool;

import dev.vbuf.shm.ShmNames;
import dev.vbuf.stats.GroupStats;
import dev.vbuf.stats.PoolStats;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The statistics file of a private pool and the read-only {@link PoolReader}: exact counters,
 * a reader that changes nothing, validation of hostile files like a pool header, stale files.
 */
class StatsFileTest {
    private static FramePool privatePool(String name) {
        return FramePool.builder().name(name).count(4).bufferSize(4096).groups("fast", "slow")
                .overflow(Overflow.DROP_OLDEST).jmx(false).recordTimestamps(true).publishStats(true).build();
    }

    /** Some traffic: frames published, read by 'fast', dropped for 'slow', one held. */
    private static Frame traffic(FramePool pool) {
        Consumer fast = pool.consumer("fast"), slow = pool.consumer("slow");
        for (int i = 0; i < 10; i++) {
            pool.tryAcquireFree().submit();
            fast.tryAcquireFilled().close();
        }
        return slow.tryAcquireFilled();
    }

    private static Path fileOf(FramePool pool) {
        return ((PrivateBacking) backingOf(pool)).statsFile().path();
    }

    private static Backing backingOf(FramePool pool) {
        try {
            var f = FramePool.class.getDeclaredField("backing");
            f.setAccessible(true);
            return (Backing) f.get(pool);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    static void assertSameCounters(PoolStats st, PoolReader.Sample s) {
        assertEquals(st.published(), s.published(), "published");
        assertEquals(st.acquireWaits(), s.acquireWaits(), "acquire waits");
        assertEquals(st.acquireTimeouts(), s.acquireTimeouts(), "acquire timeouts");
        assertEquals(st.acquireFails(), s.acquireFails(), "acquire fails");
        assertEquals(st.reclaims(), s.reclaims(), "reclaims");
        assertEquals(st.idle(), s.count(FrameState.IDLE), "IDLE");
        assertEquals(st.producerLocked(), s.count(FrameState.LOCKED_BY_PRODUCER), "LOCKED_BY_PRODUCER");
        assertEquals(st.ready(), s.count(FrameState.READY_FOR_CONSUME), "READY_FOR_CONSUME");
        assertEquals(st.consumerLocked(), s.count(FrameState.LOCKED_BY_CONSUMER), "LOCKED_BY_CONSUMER");
        assertEquals(st.total(), s.slots().size(), "buffers");
        assertEquals(st.bufferBytes(), s.bufferBytes(), "buffer bytes");
        assertEquals(st.groups().size(), s.groups().size(), "groups");
        for (int g = 0; g < st.groups().size(); g++) {
            GroupStats a = st.groups().get(g);
            PoolReader.Group b = s.groups().get(g);
            assertEquals(a.name(), b.name());
            assertEquals(a.taken(), b.taken(), a.name() + " taken");
            assertEquals(a.dropped(), b.dropped(), a.name() + " dropped");
            assertEquals(a.lag(), b.lag(), a.name() + " lag");
            assertEquals(a.held(), b.held(), a.name() + " held");
            assertEquals(a.staleSkipped(), b.staleSkipped(), a.name() + " stale skipped");
            assertEquals(a.acquireWaits(), b.acquireWaits(), a.name() + " waits");
            assertEquals(a.timeouts(), b.timeouts(), a.name() + " timeouts");
        }
    }

    @Test
    void privatePoolPublishesItsExactCountersAndRemovesTheFileAtClose() throws IOException {
        Path file;
        try (FramePool pool = privatePool("stats-exact")) {
            file = fileOf(pool);
            assertTrue(Files.exists(file), "the statistics file exists while the pool is open");
            assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)),
                    "the owner writes, everybody else only reads");
            assertEquals(ShmNames.directory(), file.getParent());
            Frame held = traffic(pool);
            PoolReader r = PoolReader.openPrivate(file);
            PoolReader.Sample s = r.sample();
            assertSameCounters(pool.stats(), s);
            assertEquals("stats-exact", s.name());
            assertEquals(PoolReader.Kind.PRIVATE, s.kind());
            assertFalse(s.stale(), "its process is this one");
            assertEquals(ProcessHandle.current().pid(), s.processes().get(0).pid());
            assertEquals(1, s.processes().get(0).holding(), "one frame held by 'slow'");
            assertTrue(s.groups().get(1).dropped() > 0, "drop-oldest dropped frames for 'slow'");
            assertTrue(PoolReader.discover().stream().anyMatch(f -> f.path().equals(file)), "discover() finds it");
            held.close();
            assertSameCounters(pool.stats(), r.sample());
        }
        assertFalse(Files.exists(file), "closing the pool removes its statistics file");
    }

    /** The JMX bean carries every counter of PoolStats, as /metrics does (kept in step). */
    @Test
    void theJmxBeanCarriesEveryCounterOfPoolStats() throws Exception {
        try (FramePool pool = FramePool.builder().name("stats-jmx-" + ProcessHandle.current().pid()).count(4).bufferSize(4096)
                .groups("fast", "slow").overflow(Overflow.DROP_OLDEST).jmx(true).build()) {
            Frame held = traffic(pool);
            var server = java.lang.management.ManagementFactory.getPlatformMBeanServer();
            var on = new javax.management.ObjectName("dev.vbuf:type=FramePool,name=" + javax.management.ObjectName.quote(pool.name()));
            PoolStats st = pool.stats();
            java.util.function.Function<String, Object> a = n -> {
                try {
                    return server.getAttribute(on, n);
                } catch (javax.management.JMException e) {
                    throw new AssertionError(n, e);
                }
            };
            assertEquals(st.total(), a.apply("TotalCount"));
            assertEquals(st.idle(), a.apply("ColdCount"));
            assertEquals(st.hot(), a.apply("HotCount"));
            assertEquals(st.ready(), a.apply("WarmCount"));
            assertEquals(st.retired(), a.apply("RetiredCount"));
            assertEquals(st.bufferBytes(), a.apply("BufferSize"));
            assertEquals(st.totalBytes(), a.apply("TotalBytes"));
            assertEquals(st.controlBytes(), a.apply("ControlBytes"));
            assertEquals(st.published(), a.apply("Published"));
            assertEquals(st.acquireWaits(), a.apply("AcquireWaits"));
            assertEquals(st.acquireTimeouts(), a.apply("AcquireTimeouts"));
            assertEquals(st.acquireFails(), a.apply("AcquireFails"));
            assertEquals(st.reclaims(), a.apply("Reclaims"));
            long[] lags = (long[]) a.apply("GroupLags"), drops = (long[]) a.apply("GroupDrops"), taken = (long[]) a.apply("GroupTaken"),
                    stale = (long[]) a.apply("GroupStaleSkipped"), waits = (long[]) a.apply("GroupAcquireWaits"),
                    timeouts = (long[]) a.apply("GroupTimeouts");
            int[] heldBy = (int[]) a.apply("GroupHeld");
            for (int g = 0; g < st.groups().size(); g++) {
                GroupStats gs = st.groups().get(g);
                assertEquals(gs.lag(), lags[g]);
                assertEquals(gs.dropped(), drops[g]);
                assertEquals(gs.taken(), taken[g]);
                assertEquals(gs.staleSkipped(), stale[g]);
                assertEquals(gs.acquireWaits(), waits[g]);
                assertEquals(gs.timeouts(), timeouts[g]);
                assertEquals(gs.held(), heldBy[g]);
            }
            held.close();
        }
    }

    @Test
    void withoutTheOptionNoFileIsMade() {
        try (FramePool pool = FramePool.builder().count(2).bufferSize(4096).jmx(false).build()) {
            assertNull(((PrivateBacking) backingOf(pool)).statsFile());
        }
    }

    @Test
    void sharedPoolIsReadWithTheSameExactCounters() {
        String name = "statsrd-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        try (FramePool pool = FramePool.builder().shared(name).count(4).bufferSize(4096).groups("fast", "slow")
                .overflow(Overflow.DROP_OLDEST).jmx(false).build()) {
            Frame held = traffic(pool);
            PoolReader.Sample s = PoolReader.openShared(name).sample();
            assertSameCounters(pool.stats(), s);
            assertEquals(PoolReader.Kind.SHARED, s.kind());
            assertFalse(s.stale());
            assertEquals(1, s.processes().size());
            assertEquals("creator", s.processes().get(0).role());
            assertEquals(1, s.processes().get(0).holding());
            held.close();
        }
    }

    @Test
    void aReaderNeverChangesAByte() throws IOException {
        try (FramePool pool = privatePool("stats-readonly")) {
            Frame held = traffic(pool);
            Path file = fileOf(pool);
            byte[] before = Files.readAllBytes(file);
            PoolReader r = PoolReader.openPrivate(file);
            for (int i = 0; i < 2000; i++) r.sample();
            assertArrayEquals(before, Files.readAllBytes(file), "2000 samples left every byte as it was");
            held.close();
        }
    }

    /** Writes {@code bytes} as a statistics file of this (live) process and returns its path. */
    private static Path writeFile(byte[] bytes, int seq) throws IOException {
        Path p = ShmNames.directory().resolve(StatsFile.PREFIX + ProcessHandle.current().pid() + "." + (900_000_000 + seq));
        Files.write(p, bytes);
        return p;
    }

    private static void putInt(byte[] b, long at, int v) { ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt((int) at, v); }
    private static void putLong(byte[] b, long at, long v) { ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong((int) at, v); }

    @Test
    void hostileFilesAreRefusedWithTheFieldNamed() throws IOException {
        byte[] good;
        try (FramePool pool = privatePool("stats-hostile")) {
            traffic(pool).close();
            good = Files.readAllBytes(fileOf(pool));
        }
        long cb = StatsFile.HEADER_BYTES;
        record Case(String expect, java.util.function.Consumer<byte[]> damage) {}
        var cases = new Case[] {
                new Case("no magic number yet", b -> putLong(b, StatsFile.F_MAGIC, 0)),
                new Case("not a vbuf statistics file", b -> putLong(b, StatsFile.F_MAGIC, 0x1234)),
                new Case("version 7", b -> putInt(b, StatsFile.F_VERSION, 7)),
                new Case("process -5", b -> putLong(b, StatsFile.F_PID, -5)),
                new Case("pool name length 100000", b -> putInt(b, StatsFile.F_NAME_BYTES, 100_000)),
                new Case("backing length -1", b -> putInt(b, StatsFile.F_BACKING_BYTES, -1)),
                new Case("pool name that is not UTF-8", b -> { putInt(b, StatsFile.F_NAME_BYTES, 2); b[(int) StatsFile.F_NAME] = (byte) 0xC3; b[(int) StatsFile.F_NAME + 1] = 0x28; }),
                new Case("control block of 99", b -> putLong(b, StatsFile.F_CONTROL_BYTES, 99)),
                new Case("slot count 0", b -> putInt(b, cb + ControlBlock.H_SLOT_COUNT, 0)),
                new Case("slot count 70000", b -> putInt(b, cb + ControlBlock.H_SLOT_COUNT, 70_000)),
                new Case("group count 17", b -> putInt(b, cb + ControlBlock.H_GROUP_COUNT, 17)),
                new Case("process table capacity 4", b -> putInt(b, cb + ControlBlock.H_PROCESS_CAPACITY, 4)),
                new Case("groups offset", b -> putLong(b, cb + ControlBlock.H_GROUPS_OFFSET, 1L << 40)),
                new Case("slots offset", b -> putLong(b, cb + ControlBlock.H_SLOTS_OFFSET, -8)),
                new Case("control block layout version", b -> putInt(b, cb + ControlBlock.H_VERSION, 99)),
                new Case("pixel format id", b -> putInt(b, cb + ControlBlock.H_FORMAT, 9999)),
        };
        int seq = 0;
        for (Case c : cases) {
            byte[] bad = good.clone();
            c.damage().accept(bad);
            Path p = writeFile(bad, seq++);
            try {
                StatsFile.Invalid e = assertThrows(StatsFile.Invalid.class, () -> PoolReader.openPrivate(p), c.expect());
                assertTrue(e.getMessage().contains(p.toString()), "names the file: " + e.getMessage());
                assertTrue(e.getMessage().contains(c.expect()), "names the field (" + c.expect() + "): " + e.getMessage());
            } finally {
                Files.deleteIfExists(p);
            }
        }
        // a group name without its NUL, and one file cut short
        byte[] noNul = good.clone();
        long groups = cb + ControlBlock.Geometry.of(4, 2).groupsOffset();
        Arrays.fill(noNul, (int) groups, (int) groups + ControlBlock.GROUP_NAME_BYTES, (byte) 'x');
        Path p = writeFile(noNul, seq++);
        try {
            assertTrue(assertThrows(StatsFile.Invalid.class, () -> PoolReader.openPrivate(p)).getMessage().contains("NUL-terminated"));
        } finally {
            Files.deleteIfExists(p);
        }
        Path cut = writeFile(Arrays.copyOf(good, good.length - 128), seq++);
        try {
            assertThrows(StatsFile.Invalid.class, () -> PoolReader.openPrivate(cut));
        } finally {
            Files.deleteIfExists(cut);
        }
    }

    @Test
    void randomDamageIsEitherRefusedOrReadWithinBounds() throws IOException {
        byte[] good;
        try (FramePool pool = privatePool("stats-fuzz")) {
            traffic(pool).close();
            good = Files.readAllBytes(fileOf(pool));
        }
        Random rnd = new Random(42);
        int refused = 0, read = 0;
        for (int i = 0; i < 400; i++) {
            byte[] bad = good.clone();
            int flips = 1 + rnd.nextInt(8);
            for (int k = 0; k < flips; k++) {
                // header, control block header, slot words, group records: where a reader looks
                int at = rnd.nextBoolean() ? rnd.nextInt(512) : StatsFile.HEADER_BYTES + rnd.nextInt(good.length - StatsFile.HEADER_BYTES);
                bad[at] = (byte) rnd.nextInt(256);
            }
            Path p = writeFile(bad, 100 + i % 10);
            try {
                PoolReader r = PoolReader.openPrivate(p);
                PoolReader.Sample s = r.sample(); // any damage left must still read within bounds
                assertEquals(4, s.slots().size());
                read++;
            } catch (StatsFile.Invalid e) {
                assertTrue(e.getMessage().startsWith("statistics file " + p), e.getMessage());
                refused++;
            } finally {
                Files.deleteIfExists(p);
            }
        }
        assertTrue(refused > 0 && read > 0, "both outcomes happen: refused " + refused + ", read " + read);
    }

    @Test
    void aFileOfAGoneProcessIsStaleAndSweptByTheNextPool() throws Exception {
        byte[] good;
        try (FramePool pool = privatePool("stats-stale")) {
            good = Files.readAllBytes(fileOf(pool));
        }
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        long deadPid = gone.pid();
        putLong(good, StatsFile.F_PID, deadPid);
        Path p = ShmNames.directory().resolve(StatsFile.PREFIX + deadPid + ".0");
        Files.write(p, good);
        try {
            assertNotNull(StatsFile.staleReason(p));
            PoolReader.Sample s = PoolReader.openPrivate(p).sample();
            assertTrue(s.stale(), "its process is gone");
            assertTrue(s.staleReason().contains(Long.toString(deadPid)), s.staleReason());
            try (FramePool next = privatePool("stats-next")) {
                assertFalse(Files.exists(p), "the next pool that publishes its statistics removed the stale file");
                assertTrue(Files.exists(fileOf(next)));
            }
        } finally {
            Files.deleteIfExists(p);
        }
    }

    @Test
    void theReaderMapsTheFileReadOnly() throws IOException {
        try (FramePool pool = privatePool("stats-prot")) {
            MemorySegment m = StatsFile.mapReadOnly(fileOf(pool), "statistics file");
            // /proc/self/maps shows the mapping without a write bit
            String start = Long.toHexString(m.address());
            String line = Files.readAllLines(Path.of("/proc/self/maps")).stream()
                    .filter(l -> l.startsWith(start + "-") || l.startsWith("0" + start + "-")).findFirst().orElseThrow();
            assertTrue(line.split(" ")[1].startsWith("r-"), "read-only mapping: " + line);
            assertEquals(StatsFile.MAGIC, m.get(ValueLayout.JAVA_LONG, StatsFile.F_MAGIC));
        }
    }
}
