package dev.vbuf.memory;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class NegotiatorTest {
    static final long MIB = 1L << 20;
    static final long FRAME = FrameLayout.of(PixelFormat.NV12, 1920, 1080).frameBytes();
    /** 1 GiB available, no cgroup limit, 256 MiB of /dev/shm. */
    static final Negotiator.Available GIB = new Negotiator.Available(1024 * MIB, SystemMemory.UNLIMITED, 256 * MIB);
    final Negotiator n = new Negotiator(64, 64 * MIB, 0.10);

    @Test
    void grantsAllWhenTheyFit() {
        Negotiator.Grant g = n.negotiate(Negotiator.Request.of(8, FRAME), GIB);
        assertEquals(8, g.count());
        assertEquals(1024 * MIB, g.availableBytes());
        assertEquals((long) (1024 * MIB * 0.10), g.marginBytes(), "10% of 1 GiB is over the 64 MiB floor");
        assertEquals("nothing (all granted)", g.limitedBy());
    }

    @Test
    void grantsWhatFitsUnderTheMarginTheBudgetOrTheCgroup() {
        var mib200 = new Negotiator.Available(200 * MIB, SystemMemory.UNLIMITED, 0);
        assertEquals((int) ((200 * MIB - 64 * MIB) / FRAME), n.negotiate(new Negotiator.Request(64, FRAME, 1, 0, false), mib200).count(),
                "what fits in MemAvailable less the margin (its 64 MiB floor: 10% is less)");
        assertEquals("available memory", n.negotiate(new Negotiator.Request(64, FRAME, 1, 0, false), mib200).limitedBy());
        assertEquals(64, n.negotiate(new Negotiator.Request(64, FRAME, 1, 0, false), GIB).count());
        assertEquals(10, n.negotiate(new Negotiator.Request(64, FRAME, 1, 10 * FRAME + 5, false), GIB).count(),
                "the budget caps the count");
        assertEquals("the budget of " + (10 * FRAME + 5) + " bytes",
                n.negotiate(new Negotiator.Request(64, FRAME, 1, 10 * FRAME + 5, false), GIB).limitedBy());
        var cg = new Negotiator.Available(1024 * MIB, 100 * MIB, SystemMemory.UNLIMITED);
        assertEquals((int) ((100 * MIB - 64 * MIB) / FRAME), n.negotiate(new Negotiator.Request(64, FRAME, 1, 0, false), cg).count(),
                "the cgroup's headroom, less the 64 MiB floor of the margin");
        // a shared kind also counts /dev/shm's free space
        int shared = n.negotiate(new Negotiator.Request(64, FRAME, 1, 0, true), GIB).count();
        assertEquals((int) ((256 * MIB - 64 * MIB) / FRAME), shared);
    }

    @Test
    void zeroOrOverTheMaximumIsInvalid() {
        var e = assertThrows(IllegalArgumentException.class, () -> n.negotiate(Negotiator.Request.of(0, FRAME), GIB));
        assertEquals("buffer count 0 is outside 1..64; ask for at least one buffer and at most 64", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> n.negotiate(Negotiator.Request.of(65, FRAME), GIB));
        assertThrows(IllegalArgumentException.class, () -> n.negotiate(new Negotiator.Request(4, FRAME, 5, 0, false), GIB));
    }

    @Test
    void belowTheMinimumIsAnOutOfMemoryErrorWithTheNumbers() {
        var tight = new Negotiator.Available(80 * MIB, SystemMemory.UNLIMITED, 0);
        var e = assertThrows(BufferAllocationException.class,
                () -> n.negotiate(new Negotiator.Request(8, FRAME, 6, 0, false), tight));
        String m = e.getMessage();
        assertTrue(m.startsWith("out of memory for buffers: asked 8 x " + FRAME + " bytes = " + 8 * FRAME + " bytes (minimum 6);"
                + " available " + 80 * MIB + " bytes (MemAvailable " + 80 * MIB + " bytes, cgroup headroom unlimited),"
                + " safety margin " + 64 * MIB + " bytes: only 5 fit"), m);
    }

    @Test
    void theMachinesOwnFiguresAreRead() {
        Negotiator.Available now = Negotiator.Available.now();
        assertTrue(now.memAvailable() > 0 && now.memAvailable() < SystemMemory.UNLIMITED, "MemAvailable " + now.memAvailable());
        assertTrue(now.shmFree() > 0, "/dev/shm free " + now.shmFree());
        assertEquals(2, new Negotiator().negotiate(Negotiator.Request.of(2, FRAME)).count());
    }

    /** An allocator that fails at its k-th call and records what it handed out and what was closed. */
    static final class FailingAt implements Allocator {
        final int failAt;
        int calls;
        final List<Allocation> open = new ArrayList<>();
        int closed;

        FailingAt(int failAt) { this.failAt = failAt; }

        @Override public String name() { return "failing-at-" + failAt; }

        @Override
        public Allocation allocate(int count, long bufferBytes, long alignment) {
            if (++calls == failAt) throw new BufferAllocationException("injected failure at call " + calls);
            Arena arena = Arena.ofShared();
            MemorySegment s = arena.allocate(bufferBytes, 4096);
            Allocation a = new Allocation() {
                @Override public int count() { return 1; }
                @Override public MemorySegment buffer(int i) { return s; }
                @Override public String backing() { return "test"; }
                @Override public void close() { closed++; arena.close(); }
            };
            open.add(a);
            return a;
        }
    }

    @Test
    void allocationIsAllOrNothing() {
        Negotiator.Grant g = n.negotiate(Negotiator.Request.of(6, 4096), GIB);
        FailingAt failing = new FailingAt(4);
        var e = assertThrows(BufferAllocationException.class, () -> Negotiator.allocate(failing, g, 4096));
        assertEquals(3, failing.open.size());
        assertEquals(3, failing.closed, "the three buffers allocated before the failure were freed");
        for (Allocation a : failing.open) assertFalse(a.buffer(0).scope().isAlive());
        assertTrue(e.getMessage().startsWith("buffer 3 of 6 (4096 bytes) could not be allocated from failing-at-4:"
                + " injected failure at call 4; the 3 allocated before it were freed (all-or-nothing)"), e.getMessage());

        FailingAt never = new FailingAt(-1);
        try (Allocation a = Negotiator.allocate(never, g, 4096)) {
            assertEquals(6, a.count());
        }
        assertEquals(6, never.closed);
    }

    @Test
    void clientBuffersAreValidatedAndBouncedWithEveryCopyCounted() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment good = arena.allocate(8192, 4096);
            MemorySegment small = arena.allocate(1000, 4096);
            MemorySegment misaligned = arena.allocate(8192 + 64, 4096).asSlice(64, 8192);
            var e = assertThrows(BufferValidationException.class,
                    () -> new UserBuffers(List.of(good, small, misaligned), 4096, 4096, false));
            assertTrue(e.getMessage().contains("buffer 1 has 1000 bytes, fewer than the 4096 needed"), e.getMessage());
            assertTrue(e.getMessage().contains("buffer 2 starts at 0x" + Long.toHexString(misaligned.address())
                    + ", not a multiple of 4096"), e.getMessage());

            try (UserBuffers u = new UserBuffers(List.of(good, misaligned), 4096, 4096, true)) {
                assertFalse(u.isBounced(0));
                assertTrue(u.isBounced(1));
                assertEquals(good.address(), u.deviceBuffer(0).address(), "a good buffer is used in place");
                assertEquals(0, u.deviceBuffer(1).address() % 4096);
                misaligned.fill((byte) 9);
                u.toDevice(0);
                u.toDevice(1);
                assertEquals(-1, u.deviceBuffer(1).mismatch(misaligned.asSlice(0, 4096)));
                u.deviceBuffer(1).fill((byte) 3);
                u.fromDevice(1);
                assertEquals(3, misaligned.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 100));
                assertEquals(2, u.bounceCopies(), "only the bounced buffer is copied, and each copy counts");
                assertEquals(1, u.bouncedCount());
                assertEquals(2, u.asExternalBuffers().size());
            }
        }
    }
}
