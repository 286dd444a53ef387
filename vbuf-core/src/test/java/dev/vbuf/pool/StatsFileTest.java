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
            assertEquals(a.queueFull(), b.fullPops(), a.name() + " queue full");
            assertEquals(a.lostToCrash(), b.lostToCrash(), a.name() + " lost to crash");
        }
        assertEquals(st.heldByDecoder(), s.count(FrameState.HELD_BY_DECODER), "HELD_BY_DECODER");
        assertEquals(st.references(), s.references(), "references");
        assertEquals(st.peerRecoveries(), s.peerRecoveries(), "peer recoveries");
        assertEquals(st.slotsRecovered(), s.slotsRecovered(), "slots recovered");
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

    /**
     * The MBean attribute of every component of {@link PoolStats} and {@link GroupStats} (per
     * group as an array in GroupNames order). The test below walks the records' components: a
     * counter added to PoolStats without its attribute here (and on the bean) fails it, so JMX,
     * the statistics file and /metrics (MonitorServerTest's twin of this map) stay in step.
     */
    static final java.util.Map<String, String> JMX_POOL = java.util.Map.ofEntries(
            java.util.Map.entry("name", "Name"), java.util.Map.entry("total", "TotalCount"),
            java.util.Map.entry("idle", "ColdCount"), java.util.Map.entry("producerLocked", "ProducerLockedCount"),
            java.util.Map.entry("ready", "ReadyCount"), java.util.Map.entry("consumerLocked", "ConsumerLockedCount"),
            java.util.Map.entry("retired", "RetiredCount"), java.util.Map.entry("bufferBytes", "BufferSize"),
            java.util.Map.entry("totalBytes", "TotalBytes"), java.util.Map.entry("controlBytes", "ControlBytes"),
            java.util.Map.entry("backing", "StatsReport"), // text only: the report names it
            java.util.Map.entry("published", "Published"), java.util.Map.entry("acquireWaits", "AcquireWaits"),
            java.util.Map.entry("acquireTimeouts", "AcquireTimeouts"), java.util.Map.entry("acquireFails", "AcquireFails"),
            java.util.Map.entry("reclaims", "Reclaims"), java.util.Map.entry("groups", "GroupNames"),
            java.util.Map.entry("heldByDecoder", "HeldByDecoderCount"), java.util.Map.entry("references", "ReferenceCount"),
            java.util.Map.entry("peerRecoveries", "PeerRecoveries"), java.util.Map.entry("slotsRecovered", "SlotsRecovered"));
    static final java.util.Map<String, String> JMX_GROUP = java.util.Map.of(
            "name", "GroupNames", "lag", "GroupLags", "taken", "GroupTaken", "dropped", "GroupDrops",
            "staleSkipped", "GroupStaleSkipped", "held", "GroupHeld", "acquireWaits", "GroupAcquireWaits",
            "timeouts", "GroupTimeouts", "queueFull", "GroupQueueFullDrops", "lostToCrash", "GroupLostToCrash");

    /** The JMX bean carries every counter of PoolStats, as /metrics does (kept in step), with a frame HELD_BY_DECODER. */
    @Test
    void theJmxBeanCarriesEveryCounterOfPoolStats() throws Exception {
        try (FramePool pool = FramePool.builder().name("stats-jmx-" + ProcessHandle.current().pid()).count(4).bufferSize(4096)
                .groups("fast", "slow").overflow(Overflow.DROP_OLDEST).jmx(true).build()) {
            Frame held = traffic(pool);
            // one frame both groups have released that the producer's reference still holds: HELD_BY_DECODER
            Frame ref = pool.submitKeepingReference(pool.tryAcquireFree());
            pool.consumer("fast").tryAcquireFilled().close();
            for (Frame f; (f = pool.consumer("slow").tryAcquireFilled()) != null; ) f.close(); // 'slow' reads up to it
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
            for (var c : PoolStats.class.getRecordComponents()) {
                String attr = JMX_POOL.get(c.getName());
                assertNotNull(attr, "PoolStats." + c.getName() + " has no MBean attribute: add it to FramePoolMXBean, here and to /metrics");
                Object want = c.getAccessor().invoke(st), got = a.apply(attr);
                if (want instanceof Number || want instanceof String && attr.equals("Name")) assertEquals(want, got, attr);
            }
            for (var c : GroupStats.class.getRecordComponents()) {
                String attr = JMX_GROUP.get(c.getName());
                assertNotNull(attr, "GroupStats." + c.getName() + " has no MBean attribute: add it to FramePoolMXBean, here and to /metrics");
                Object arr = a.apply(attr);
                for (int g = 0; g < st.groups().size(); g++) {
                    Object want = c.getAccessor().invoke(st.groups().get(g));
                    Object got = java.lang.reflect.Array.get(arr, g);
                    assertEquals(want instanceof Integer i ? (Object) i : want, got, attr + "[" + g + "]");
                }
            }
            assertEquals(st.hot(), a.apply("HotCount"));
            assertEquals(st.ready(), a.apply("WarmCount"));
            assertEquals(false, a.apply("EndOfStream"));
            assertEquals(1, st.heldByDecoder(), "the reference alone holds one frame: " + st);
            assertEquals(1, a.apply("HeldByDecoderCount"));
            held.close();
            ref.close();
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
        try {
            PoolReader.Sample s = null;
            // any process of this user that builds a pool publishing statistics (other test runs on
            // this machine) may sweep the stale file between the write and the read: write it again
            for (int attempt = 0; s == null; attempt++) {
                Files.write(p, good);
                try {
                    assertNotNull(StatsFile.staleReason(p));
                    s = PoolReader.openPrivate(p).sample();
                } catch (RuntimeException e) {
                    if (Files.exists(p) || attempt == 20) throw e;
                }
            }
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
