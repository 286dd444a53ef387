package dev.vbuf.shm;

import dev.vbuf.pool.PoolBuilder;
import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.format.TestPattern;
import dev.vbuf.memory.BufferValidationException;
import dev.vbuf.pool.Consumer;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import dev.vbuf.pool.WaitStrategy;
import dev.vbuf.stats.PoolStats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** A shared pool seen from two attachments in one JVM, and attach's validation of the file. */
class SharedPoolTest {
    static final FrameLayout LAYOUT = FrameLayout.of(PixelFormat.NV12, 64, 48);
    final String name = "t" + ProcessHandle.current().pid() + "-" + System.nanoTime();
    final Path path = ShmNames.path(name);

    @AfterEach
    void cleanUp() throws IOException {
        Files.deleteIfExists(path);
    }

    FramePool create(int count, String... groups) {
        return FramePool.builder().shared(name).sharedMemory(PoolBuilder.SharedMemory.FILE).layout(LAYOUT).count(count).groups(groups).jmx(false)
                .reclaimAfter(Duration.ofMillis(100)).build();
    }

    @Test
    void framesCrossBetweenAttachmentsWithoutCopy() {
        try (FramePool producer = create(4, "g");
             FramePool consumerSide = FramePool.attach(name, new PoolBuilder.AttachOptions().jmx(false));
             TestPattern pattern = new TestPattern(LAYOUT)) {
            assertTrue(Files.exists(path));
            assertEquals("rw-------", PosixFilePermissions.toString(uncheckedPerms(path)));
            assertEquals(LAYOUT, consumerSide.layout());
            assertEquals(4, consumerSide.getTotalCount());
            Consumer c = consumerSide.consumer("g");
            for (long i = 0; i < 50; i++) {
                Frame f = producer.acquireFree(Duration.ofSeconds(5));
                assertNotNull(f);
                pattern.write(f.segment(), f.id() + 1000 * i);
                f.pts(i);
                long seq = f.id() + 1000 * i;
                f.captureTimeNs(seq);
                f.submit();
                Frame r = c.acquireFilled(Duration.ofSeconds(5));
                assertNotNull(r);
                assertEquals(i, r.sequence());
                assertEquals(-1, pattern.verify(r.segment(), r.captureTimeNs()), "frame " + i + ": every byte as written");
                r.release();
            }
            PoolStats st = producer.stats();
            assertEquals(50, st.published());
            assertEquals(4, st.idle());
            assertEquals(2, producer.peers().size());
        }
        assertFalse(Files.exists(path), "the creator removes the name at close");
    }

    @Test
    void declaredRolesAreInTheHeaderAndEveryAttachmentFollowsThem() {
        try (FramePool producer = FramePool.builder().shared(name).sharedMemory(PoolBuilder.SharedMemory.FILE).layout(LAYOUT).count(4).groups("g").jmx(false)
                .singleProducer(true).singleConsumers(true).build();
             FramePool consumerSide = FramePool.attach(name, new PoolBuilder.AttachOptions().jmx(false));
             TestPattern pattern = new TestPattern(LAYOUT)) {
            assertTrue(consumerSide.isSingleProducer() && consumerSide.isSingleConsumers(), "the attachment read the roles");
            Consumer c = consumerSide.consumer("g");
            for (long i = 0; i < 100; i++) {
                Frame f = producer.acquireFree(Duration.ofSeconds(5));
                pattern.write(f.segment(), i);
                f.captureTimeNs(i);
                f.submit();
                Frame r = c.acquireFilled(Duration.ofSeconds(5));
                assertEquals(i, r.sequence());
                assertEquals(-1, pattern.verify(r.segment(), i), "frame " + i + ": every byte as written");
                r.release();
            }
            assertEquals(100, producer.stats().groups().get(0).taken());
            assertEquals(4, producer.stats().idle());
        }
    }

    @Test
    void endOfStreamAfterTheQueuedFrames() {
        FramePool producer = create(4, "g");
        try (FramePool consumerSide = FramePool.attach(name, new PoolBuilder.AttachOptions().jmx(false))) {
            for (int i = 0; i < 3; i++) producer.acquireFree().submit();
            producer.close();
            Consumer c = consumerSide.consumer("g");
            for (int i = 0; i < 3; i++) {
                Frame f = c.acquireFilled(Duration.ofSeconds(5));
                assertNotNull(f, "frame " + i + " still delivered after the producer closed");
                f.release();
            }
            assertTrue(consumerSide.endOfStream());
            assertNull(c.acquireFilled(Duration.ofSeconds(5)), "then end of stream: null at once, not a timeout");
        }
    }

    @Test
    void futexConsumerSleepsAndIsWoken() throws Exception {
        try (FramePool producer = create(4, "g");
             FramePool consumerSide = FramePool.attach(name, new PoolBuilder.AttachOptions().jmx(false)
                     .waitStrategy(WaitStrategy.futex()))) {
            Consumer c = consumerSide.consumer("g");
            var got = new java.util.concurrent.atomic.AtomicLong(-1);
            Thread t = Thread.ofPlatform().start(() -> {
                Frame f = c.acquireFilled(Duration.ofSeconds(20));
                if (f != null) {
                    got.set(f.sequence());
                    f.release();
                }
            });
            // let it fall asleep in the kernel (state WAITING in futex is not visible to Java; the
            // waiter count in the control block is)
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (t.getState() == Thread.State.RUNNABLE && System.nanoTime() < deadline && got.get() < 0) {
                Thread.sleep(20);
                if (waiters(consumerSide) > 0) break;
            }
            assertEquals(1, waiters(consumerSide), "the consumer registered as a futex sleeper");
            producer.acquireFree().submit();
            t.join(10_000);
            assertEquals(0, got.get(), "woken by the submit, got frame 0");
        }
    }

    @Test
    void batchedPublicationDeliversInOrder() {
        try (FramePool producer = create(8, "g");
             FramePool consumerSide = FramePool.attach(name, new PoolBuilder.AttachOptions().jmx(false))) {
            Frame[] batch = new Frame[4];
            for (int i = 0; i < 4; i++) batch[i] = producer.acquireFree().pts(100 + i);
            producer.submitFilled(batch, 4);
            Consumer c = consumerSide.consumer("g");
            for (int i = 0; i < 4; i++) {
                Frame f = c.acquireFilled(Duration.ofSeconds(5));
                assertEquals(i, f.sequence());
                assertEquals(100 + i, f.pts());
                f.release();
            }
            assertThrows(IndexOutOfBoundsException.class, () -> producer.submitFilled(batch, 5));
        }
    }

    @Test
    void sharedRegionBoundToANodeAndLocked() throws Exception {
        long before = vmLockedKiB();
        try (FramePool p = FramePool.builder().shared(name).sharedMemory(PoolBuilder.SharedMemory.FILE).layout(LAYOUT).count(4).jmx(false)
                .sharedNumaNode(0).sharedLocked(true).build()) {
            String backing = p.backing();
            assertTrue(backing.contains("bound to NUMA node 0 (mbind)"), backing);
            assertTrue(backing.matches(".*node 0 \\d+.*"), backing); // pages read back on node 0
            assertFalse(backing.contains("on no node"), backing);
            assertTrue(backing.contains("locked (mlock"), backing);
            assertTrue(vmLockedKiB() - before >= Files.size(path) / 1024, "VmLck grew by the file");
            try (FramePool a = FramePool.attach(name, new PoolBuilder.AttachOptions().jmx(false))) {
                Frame f = p.acquireFree();
                f.submit();
                assertNotNull(a.consumer("default").acquireFilled(Duration.ofSeconds(5)));
            }
        }
        assertEquals(before, vmLockedKiB(), "unlocked at close");
        var e = assertThrows(IllegalArgumentException.class,
                () -> FramePool.builder().shared(name).sharedMemory(PoolBuilder.SharedMemory.FILE).layout(LAYOUT).count(2).jmx(false).sharedNumaNode(7).build());
        assertTrue(e.getMessage().contains("NUMA node 7 does not exist"), e.getMessage());
        assertFalse(Files.exists(path), "nothing left behind by the refused create");
    }

    static long vmLockedKiB() throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (l.startsWith("VmLck:")) return Long.parseLong(l.replaceAll("[^0-9]", ""));
        }
        return 0;
    }

    static int waiters(FramePool p) {
        return p.stats().groups().get(0).acquireWaits() > 0 ? 1 : 0;
    }

    @Test
    void aDeadPeersHeldFrameAndFillingSlotAreRecovered() throws Exception {
        try (FramePool producer = create(4, "g")) {
            FramePool victim = FramePool.attach(name, new PoolBuilder.AttachOptions().jmx(false));
            producer.acquireFree().submit();
            Frame held = victim.consumer("g").acquireFilled(Duration.ofSeconds(5));
            assertNotNull(held);
            assertEquals(1, producer.stats().consumerLocked());
            // The victim "dies": its process entry now names a pid that no longer exists.
            long deadPid = deadPid();
            DeadPeers.rewritePid(path, ProcessHandle.current().pid(), 2, deadPid);
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (producer.stats().consumerLocked() != 0 && System.nanoTime() < deadline) Thread.sleep(20);
            PoolStats st = producer.stats();
            assertEquals(0, st.consumerLocked(), "held frame recovered");
            assertEquals(4, st.idle());
            assertEquals(1, st.groups().get(0).dropped(), "counted as a drop for the group");
            assertEquals(1, producer.peers().size(), "dead entry freed");
        }
    }

    static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        return p.pid();
    }

    // ---------------------------------------------------------------------------------
    // Validation of untrusted files
    // ---------------------------------------------------------------------------------

    @Test
    void truncatedFileIsRefusedWithTheSizes() throws Exception {
        try (FramePool p = FramePool.builder().shared(name).sharedMemory(PoolBuilder.SharedMemory.FILE).layout(LAYOUT).count(4).jmx(false).keepFile(true).build()) {
            // copy it, truncated, under another name
        }
        long full = Files.size(path);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE)) {
            ch.truncate(full - 4096);
        }
        var e = assertThrows(BufferValidationException.class, () -> FramePool.attach(name));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        assertTrue(e.getMessage().contains(path.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("vbuf shm rm " + name), e.getMessage());
    }

    @Test
    void handWrittenShortFileIsRefused() throws Exception {
        Files.write(path, "not a pool at all".getBytes());
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        var e = assertThrows(BufferValidationException.class, () -> FramePool.attach(name));
        assertTrue(e.getMessage().contains("shorter than the 256-byte header"), e.getMessage());
    }

    @Test
    void wrongMagicAndVersionAreRefused() throws Exception {
        byte[] junk = new byte[8192];
        new Random(1).nextBytes(junk);
        Files.write(path, junk);
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        var e = assertThrows(BufferValidationException.class, () -> FramePool.attach(name));
        assertTrue(e.getMessage().contains("not a vbuf pool"), e.getMessage());
    }

    @Test
    void fuzzedHeadersNeverCrashAndAreRefusedOrSafe() throws Exception {
        try (FramePool p = FramePool.builder().shared(name).sharedMemory(PoolBuilder.SharedMemory.FILE).layout(LAYOUT).count(4).groups("a", "b").jmx(false)
                .keepFile(true).build()) {
            // formatted, kept
        }
        byte[] good = Files.readAllBytes(path);
        Random rnd = new Random(42);
        int refused = 0, accepted = 0;
        for (int round = 0; round < 300; round++) {
            byte[] bad = good.clone();
            int flips = 1 + rnd.nextInt(4);
            for (int k = 0; k < flips; k++) {
                int off = 8 + rnd.nextInt(120); // the geometry part of the header
                bad[off] = (byte) rnd.nextInt(256);
            }
            Files.write(path, bad);
            try (FramePool a = FramePool.attach(name, new PoolBuilder.AttachOptions().jmx(false).observe(true))) {
                a.stats(); // must be safe to use
                a.validateAllBuffers();
                accepted++;
            } catch (BufferValidationException | IllegalArgumentException e) {
                assertNotNull(e.getMessage());
                refused++;
            }
        }
        assertTrue(refused > 200, "most corruptions are caught: refused " + refused + ", accepted " + accepted);
    }

    @Test
    void wideModeIsRefused() throws Exception {
        try (FramePool p = FramePool.builder().shared(name).sharedMemory(PoolBuilder.SharedMemory.FILE).sharedMode(0666).layout(LAYOUT).count(2).jmx(false).build()) {
            assertEquals("rw-rw-rw-", PosixFilePermissions.toString(uncheckedPerms(path)));
            var e = assertThrows(SecurityException.class, () -> FramePool.attach(name));
            assertTrue(e.getMessage().contains("writable by everyone"), e.getMessage());
        }
    }

    @Test
    void groupWritableNeedsConsent() throws Exception {
        try (FramePool p = FramePool.builder().shared(name).sharedMemory(PoolBuilder.SharedMemory.FILE).sharedMode(0660).layout(LAYOUT).count(2).jmx(false).build()) {
            assertThrows(SecurityException.class, () -> FramePool.attach(name));
            try (FramePool a = FramePool.attach(name, new PoolBuilder.AttachOptions().jmx(false).allowGroupWritable(true))) {
                assertEquals(2, a.getTotalCount());
            }
        }
    }

    @Test
    void otherOwnerIsRefused() throws Exception {
        try (FramePool p = FramePool.builder().shared(name).sharedMemory(PoolBuilder.SharedMemory.FILE).layout(LAYOUT).count(2).jmx(false).build()) {
            Files.setAttribute(path, "unix:uid", 65534); // root in tests: hand it to nobody
            var e = assertThrows(SecurityException.class, () -> FramePool.attach(name));
            assertTrue(e.getMessage().contains("belongs to uid 65534"), e.getMessage());
            Files.setAttribute(path, "unix:uid", 0);
        }
    }

    @Test
    void symlinkIsNeverFollowed() throws Exception {
        Path target = Files.createTempFile("vbuf-target", ".bin");
        try {
            Files.createSymbolicLink(path, target);
            var e = assertThrows(SecurityException.class, () -> FramePool.attach(name));
            assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
            byte[] before = Files.readAllBytes(target);
            try (FramePool p = FramePool.builder().shared(name).sharedMemory(PoolBuilder.SharedMemory.FILE).layout(LAYOUT).count(2).jmx(false).build()) {
                // the link (not a pool) was removed, never followed
                assertTrue(Files.isRegularFile(path, java.nio.file.LinkOption.NOFOLLOW_LINKS));
            }
            assertArrayEquals(before, Files.readAllBytes(target), "the link's target is untouched");
        } finally {
            Files.deleteIfExists(target);
        }
    }

    @Test
    void missingPoolSaysHowToStartIt() {
        var e = assertThrows(IllegalStateException.class, () -> FramePool.attach(name));
        assertTrue(e.getMessage().contains("vbuf run --shared " + name), e.getMessage());
    }

    @Test
    void nameInUseIsRefusedAndStaleNameIsReplaced() throws Exception {
        try (FramePool p = create(2, "g")) {
            var e = assertThrows(IllegalStateException.class, () -> create(2, "g"));
            assertTrue(e.getMessage().contains("already exists"), e.getMessage());
        }
        // A stale file: a valid pool whose only process is gone.
        try (FramePool p = FramePool.builder().shared(name).sharedMemory(PoolBuilder.SharedMemory.FILE).layout(LAYOUT).count(2).jmx(false).keepFile(true).build()) {
            // kept
        }
        assertNotNull(staleReason());
        try (FramePool p = create(3, "g")) {
            assertEquals(3, p.getTotalCount(), "the stale file was replaced");
        }
    }

    String staleReason() { return PoolFile.staleReason(path); }

    @Test
    void manyAttachDetachCyclesLeaveTheTableEmpty() {
        try (FramePool p = create(2, "g")) {
            for (int i = 0; i < 200; i++) {
                try (FramePool a = FramePool.attach(name, new PoolBuilder.AttachOptions().jmx(false))) {
                    assertEquals(2, a.peers().size());
                }
            }
            assertEquals(1, p.peers().size());
        }
    }

    static java.util.Set<java.nio.file.attribute.PosixFilePermission> uncheckedPerms(Path p) {
        try {
            return Files.getPosixFilePermissions(p, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

}
