package dev.vbuf.pool;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.memory.BufferHandle;
import dev.vbuf.memory.BufferLifetimeException;
import dev.vbuf.memory.ExternalBuffer;
import dev.vbuf.memory.Ownership;
import dev.vbuf.stats.PoolStats;
import org.junit.jupiter.api.Test;

import javax.management.ObjectName;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

abstract class FramePoolConformance extends PoolConformance {

    FramePool pool(int count, String... groups) {
        return builder().count(count).bufferSize(8192).groups(groups.length == 0 ? new String[]{"default"} : groups)
                .jmx(false).build();
    }

    @Test
    void theSuiteRunsOnItsBacking() {
        try (FramePool p = pool(2)) {
            boolean shared = getClass().getSimpleName().contains("Shared");
            assertEquals(shared, p.isShared(), p.backing());
            assertEquals(shared ? 1 : 0, p.peers().size(), "this process's entry in the process table");
            assertEquals(singleWriter(), p.handOff().singleProducer, "the single-producer path");
            assertEquals(singleWriter(), p.handOff().singleConsumers, "the single-consumer path");
        }
    }

    /**
     * By default a buffer released is handed out again next (its lines are likeliest in cache);
     * with reuseOldestFirst, the buffer free longest comes first, and a released one queues last.
     */
    @Test
    void reuseOrderIsLastReleasedFirstOrOldestFirst() {
        for (boolean oldest : new boolean[] {false, true}) {
            try (FramePool pool = builder().count(4).bufferSize(4096).groups("g").jmx(false).reuseOldestFirst(oldest).build()) {
                Frame f = pool.tryAcquireFree();
                int used = f.id();
                f.submit();
                pool.tryAcquireFilled().release();
                List<Integer> handedOut = new ArrayList<>();
                for (int i = 0; i < 4; i++) handedOut.add(pool.tryAcquireFree().id());
                if (oldest) {
                    assertEquals(used, handedOut.get(3), "oldest first: the buffer just released comes last: " + handedOut);
                } else {
                    assertEquals(used, handedOut.get(0), "the buffer just released comes first: " + handedOut);
                }
                assertEquals(4, new java.util.HashSet<>(handedOut).size(), handedOut::toString);
            }
        }
    }

    @Test
    void fullCycleGoesThroughEveryState() {
        try (FramePool pool = pool(2)) {
            assertEquals(2, pool.getFreeCount());
            Frame f = pool.tryAcquireFree();
            assertNotNull(f);
            assertEquals(FrameState.LOCKED_BY_PRODUCER, f.state());
            assertEquals(1, pool.getFreeCount());
            f.segment().set(ValueLayout.JAVA_LONG, 0, 0xCAFEL);
            f.captureTimeNs(123).pts(456).payloadSize(100).dimensions(64, 32).format(PixelFormat.NV12)
                    .flags(Frame.FLAG_KEY_FRAME);
            int id = f.id();
            pool.submitFilled(f);
            assertEquals(FrameState.READY_FOR_CONSUME, pool.getBufferById(id).orElseThrow().state());
            assertEquals(1, pool.getFilledCount());

            Frame c = pool.tryAcquireFilled();
            assertNotNull(c);
            assertEquals(id, c.id());
            assertEquals(FrameState.LOCKED_BY_CONSUMER, c.state());
            assertEquals(0xCAFEL, c.segment().get(ValueLayout.JAVA_LONG, 0));
            assertEquals(0, c.sequence());
            assertEquals(123, c.captureTimeNs());
            assertEquals(456, c.pts());
            assertEquals(100, c.payloadSize());
            assertEquals(64, c.width());
            assertEquals(32, c.height());
            assertEquals(PixelFormat.NV12, c.format());
            assertTrue(c.isKeyFrame());
            assertFalse(c.isEndOfStream());
            assertEquals(1, c.refCount());
            pool.releaseFilled(c);
            assertEquals(FrameState.IDLE, pool.getBufferById(id).orElseThrow().state());
            assertEquals(2, pool.getFreeCount());
            assertTrue(pool.validateAllBuffers());
        }
    }

    @Test
    void sequenceNumbersIncreaseBySubmitOrderAndAbortUsesNone() {
        try (FramePool pool = pool(4)) {
            Frame a = pool.tryAcquireFree();
            Frame b = pool.tryAcquireFree();
            b.submit();
            a.close(); // abort: no sequence number used
            Frame c = pool.tryAcquireFree();
            c.submit();
            Frame r1 = pool.tryAcquireFilled();
            Frame r2 = pool.tryAcquireFilled();
            assertEquals(0, r1.sequence());
            assertEquals(1, r2.sequence());
            r1.close();
            r2.close();
            assertNull(pool.tryAcquireFilled());
            assertEquals(4, pool.getFreeCount());
        }
    }

    @Test
    void everyGroupSeesEveryFrameAndTheLastReleaseFreesIt() {
        try (FramePool pool = pool(2, "encoder", "display", "ml")) {
            Consumer enc = pool.consumer("encoder"), disp = pool.consumer("display"), ml = pool.consumer("ml");
            Frame f = pool.tryAcquireFree();
            int id = f.id();
            f.submit();
            Frame e = enc.tryAcquireFilled();
            Frame d = disp.tryAcquireFilled();
            assertEquals(3, e.refCount());
            assertEquals(id, e.id());
            assertEquals(id, d.id());
            assertNotSame(e, d, "each group gets its own handle");
            e.close();
            assertEquals(2, d.refCount());
            d.close();
            assertEquals(FrameState.READY_FOR_CONSUME, pool.getBufferById(id).orElseThrow().state(), "ml has not read it");
            assertEquals(1, pool.getFreeCount());
            Frame m = ml.tryAcquireFilled();
            assertNotNull(m);
            assertNull(enc.tryAcquireFilled(), "no second delivery to a group");
            m.close();
            assertEquals(2, pool.getFreeCount());
            PoolStats s = pool.stats();
            assertEquals(List.of(1L, 1L, 1L), s.groups().stream().map(g -> g.taken()).toList());
            assertEquals(0, s.drops());
        }
    }

    @Test
    void consumersInOneGroupShareTheFrames() {
        try (FramePool pool = pool(4, "workers")) {
            for (int i = 0; i < 4; i++) pool.tryAcquireFree().submit();
            Consumer w1 = pool.consumer("workers"), w2 = pool.consumer("workers");
            Frame a = w1.tryAcquireFilled(), b = w2.tryAcquireFilled(), c = w1.tryAcquireFilled(), d = w2.tryAcquireFilled();
            assertEquals(List.of(0L, 1L, 2L, 3L), List.of(a.sequence(), b.sequence(), c.sequence(), d.sequence()));
            assertNull(w1.tryAcquireFilled());
            for (Frame f : List.of(a, b, c, d)) f.close();
            assertEquals(4, pool.getFreeCount());
        }
    }

    @Test
    void layoutGivesPlanesAndDefaultMetadata() {
        FrameLayout layout = FrameLayout.of(PixelFormat.NV12, 64, 32);
        try (FramePool pool = builder().layout(layout).count(2).jmx(false).build()) {
            assertEquals(layout.frameBytes(), pool.getBufferSize());
            Frame f = pool.tryAcquireFree();
            assertEquals(64, f.width());
            assertEquals(32, f.height());
            assertEquals(PixelFormat.NV12, f.format());
            assertEquals(layout.frameBytes(), f.payloadSize());
            MemorySegment y = f.plane(0), uv = f.plane(1);
            assertEquals(f.segment().address() + layout.planes().get(1).offset(), uv.address());
            assertEquals(layout.planes().get(0).bytes(), y.byteSize());
            assertThrows(IndexOutOfBoundsException.class, () -> f.plane(2));
            f.close();
        }
        try (FramePool pool = pool(1)) {
            Frame f = pool.tryAcquireFree();
            var e = assertThrows(IllegalStateException.class, () -> f.plane(0));
            assertTrue(e.getMessage().contains("without a FrameLayout"), e.getMessage());
            f.close();
        }
    }

    @Test
    void buffersArePageAlignedAndPreFaultedZero() {
        try (FramePool pool = builder().count(3).bufferSize(10_000).jmx(false).build()) {
            for (int i = 0; i < 3; i++) {
                BufferInfo b = pool.getBufferById(i).orElseThrow();
                assertEquals(0, b.segment().address() % 4096);
                assertEquals(10_000, b.size());
                assertEquals(Ownership.OWNED, b.ownership());
                assertEquals(-1, b.fd());
                assertEquals(-1, b.segment().asByteBuffer().mismatch(java.nio.ByteBuffer.allocate(10_000)));
            }
            assertTrue(pool.getBufferById(3).isEmpty());
            assertTrue(pool.getBufferById(-1).isEmpty());
            // Seed 001: under 1 KB of metadata per buffer. Measured as the cost of each added
            // buffer, beside the fixed part (header, group records, a shared pool's process table).
            try (FramePool bigger = builder().count(35).bufferSize(10_000).jmx(false).build()) {
                long perBuffer = (bigger.stats().controlBytes() - pool.stats().controlBytes()) / 32;
                assertTrue(perBuffer < 1024, "under 1 KB of metadata per buffer (seed 001): " + perBuffer);
            }
        }
    }

    @Test
    void timeoutsReturnNullAndAreCounted() {
        try (FramePool pool = pool(1)) {
            assertNull(pool.acquireFilled(Duration.ofMillis(5)));
            Frame f = pool.tryAcquireFree();
            assertNull(pool.acquireFree(Duration.ofMillis(5)));
            f.close();
            PoolStats s = pool.stats();
            assertEquals(1, s.acquireTimeouts());
            assertEquals(1, s.acquireWaits());
            assertEquals(1, s.groups().get(0).timeouts());
        }
    }

    @Test
    void blockedAcquireReturnsWhenAFrameComesBack() throws Exception {
        try (FramePool pool = pool(1)) {
            Frame held = pool.tryAcquireFree();
            var got = new java.util.concurrent.CompletableFuture<Integer>();
            Thread t = Thread.ofPlatform().start(() -> {
                try {
                    Frame f = pool.acquireFree(Duration.ofSeconds(30));
                    got.complete(f == null ? -1 : f.id());
                    if (f != null) f.close();
                } catch (Throwable e) {
                    got.completeExceptionally(e);
                }
            });
            while (pool.stats().acquireWaits() == 0) Thread.onSpinWait();
            held.close();
            assertEquals(0, got.get());
            t.join();
        }
    }

    @Test
    void closeWakesBlockedAcquiresWithNull() throws Exception {
        FramePool pool = pool(1);
        var got = new java.util.concurrent.CompletableFuture<Frame>();
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                got.complete(pool.acquireFilled());
            } catch (Throwable e) {
                got.completeExceptionally(e);
            }
        });
        while (pool.stats().groups().get(0).acquireWaits() == 0) Thread.onSpinWait();
        pool.close();
        assertNull(got.get());
        t.join();
        assertTrue(pool.isClosed());
        pool.close(); // idempotent
    }

    @Test
    void interruptedAcquireReturnsNullAndKeepsTheFlag() {
        try (FramePool pool = pool(1)) {
            Thread.currentThread().interrupt();
            try {
                assertNull(pool.acquireFilled());
                assertTrue(Thread.currentThread().isInterrupted());
            } finally {
                Thread.interrupted();
            }
        }
    }

    @Test
    void externalBuffersAreScheduledNotFreedAndRetireWhenTheOwnerFreesThem() {
        Arena owner = Arena.ofShared();
        Arena other = Arena.ofShared();
        try {
            var bufs = List.of(ExternalBuffer.of(owner.allocate(4096, 4096)), new ExternalBuffer(other.allocate(4096, 4096), 0x1000));
            try (FramePool pool = FramePool.ofExternal(bufs)) {
                assertEquals(2, pool.getTotalCount());
                assertEquals(Ownership.EXTERNAL, pool.getBufferById(0).orElseThrow().ownership());
                assertEquals(0x1000, pool.getBufferById(1).orElseThrow().physicalAddress());
                Frame f = pool.tryAcquireFree();
                assertEquals(0, f.id());
                other.close(); // owner of buffer 1 frees it
                assertFalse(pool.validateBuffer(1));
                f.submit();
                pool.tryAcquireFilled().close();
                // buffer 1 is dead: acquire skips and retires it, buffer 0 keeps working
                for (int i = 0; i < 3; i++) {
                    Frame g = pool.tryAcquireFree();
                    assertNotNull(g);
                    assertEquals(0, g.id());
                    g.close();
                }
                Frame held = pool.tryAcquireFree(); // buffer 0 (released last: handed out first)
                assertEquals(0, held.id());
                assertNull(pool.tryAcquireFree(), "buffer 1's owner freed it: it is never handed out");
                held.close();
                assertEquals(FrameState.RETIRED, pool.getBufferById(1).orElseThrow().state());
                assertEquals(1, pool.stats().retired());
            }
            assertTrue(owner.scope().isAlive(), "the pool never frees external memory");
        } finally {
            owner.close();
        }
    }

    @Test
    void heldExternalFrameWhoseOwnerFreedItRaisesLifetimeException() {
        Arena owner = Arena.ofShared();
        try (FramePool pool = FramePool.ofExternal(List.of(ExternalBuffer.of(owner.allocate(4096, 4096))))) {
            Frame f = pool.tryAcquireFree();
            owner.close();
            var e = assertThrows(BufferLifetimeException.class, f::segment);
            assertTrue(e.getMessage().contains("owner has freed"), e.getMessage());
            f.close();
        }
    }

    @Test
    void handlesAreClosedWithThePoolAndTheirDeletersRunOnce() {
        AtomicInteger deleted = new AtomicInteger();
        Arena arena = Arena.ofShared();
        var handles = new ArrayList<BufferHandle>();
        for (int i = 0; i < 3; i++) handles.add(new BufferHandle(arena.allocate(4096, 4096), 0, seg -> deleted.incrementAndGet()));
        FramePool pool = FramePool.ofHandles(handles);
        handles.get(2).close(); // user frees one early
        assertEquals(1, deleted.get());
        assertFalse(pool.validateBuffer(2));
        assertTrue(pool.validateBuffer(0));
        pool.close();
        assertEquals(3, deleted.get());
        arena.close();
    }

    @Test
    void buildRejectsBadInputWithClearMessages() {
        assertMessage(() -> builder().count(0), "buffer count 0 is outside 1..65536");
        assertMessage(() -> builder().bufferSize(0), "buffer size 0 is not positive");
        assertMessage(() -> builder().alignment(3000), "alignment 3000 is not a power of two");
        assertMessage(() -> builder().groups("a", "a"), "'a' is given twice");
        assertMessage(() -> builder().groups(), "0 consumer groups is outside 1..16");
        assertMessage(() -> builder().groups("x".repeat(32)), "must be 1..31 UTF-8 bytes");
        assertMessage(() -> builder().bufferSize(10).build(), "buffer count not set");
        assertMessage(() -> builder().count(1).build(), "buffer size not set");
        try (FramePool p = pool(1)) {
            assertMessage(() -> p.consumer("nope"), "'nope' is not one of this pool's groups [default]");
        }
    }

    @Test
    void statsAndReportsAreReadable() {
        try (FramePool pool = pool(3, "a", "b")) {
            Frame f = pool.tryAcquireFree();
            f.submit();
            Frame h = pool.consumer("a").tryAcquireFilled();
            PoolStats s = pool.stats();
            assertEquals(1, s.consumerLocked());
            assertEquals(2, s.idle());
            assertEquals(1, s.hot());
            assertEquals(0, s.groups().get(0).lag());
            assertEquals(1, s.groups().get(1).lag());
            String text = s.toString();
            assertTrue(text.contains("LOCKED_BY_CONSUMER 1"), text);
            assertTrue(text.contains("HOT 1, WARM 0, COLD 2"), text);
            var out = new ByteArrayOutputStream();
            pool.printAllBuffers(new PrintStream(out));
            String dump = out.toString();
            assertTrue(dump.contains("LOCKED_BY_CONSUMER"), dump);
            assertEquals(5, dump.lines().count(), dump);
            h.close();
        }
    }

    @Test
    void registersAndUnregistersAnMBean() throws Exception {
        var server = ManagementFactory.getPlatformMBeanServer();
        FramePool pool = builder().name("jmx-test").count(2).bufferSize(4096).build();
        ObjectName on = new ObjectName("dev.vbuf:type=FramePool,name=\"jmx-test\"");
        assertEquals(2, server.getAttribute(on, "TotalCount"));
        assertEquals(2, server.getAttribute(on, "FreeCount"));
        pool.close();
        assertFalse(server.isRegistered(on));
    }

    static void assertMessage(org.junit.jupiter.api.function.Executable e, String part) {
        var ex = assertThrows(IllegalArgumentException.class, e);
        assertTrue(ex.getMessage().contains(part), () -> "message '" + ex.getMessage() + "' lacks '" + part + "'");
    }
}
