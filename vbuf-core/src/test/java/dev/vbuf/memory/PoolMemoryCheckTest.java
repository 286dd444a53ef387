package dev.vbuf.memory;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The check every pool makes before its first buffer: the whole pool fits in what the system can give. */
class PoolMemoryCheckTest {
    static final long GIB = 1L << 30;
    static final Negotiator.Available EIGHT_GIB = new Negotiator.Available(8 * GIB, SystemMemory.UNLIMITED, 2 * GIB);

    @Test
    void aPoolThatFitsPasses() {
        Negotiator.checkPoolFits("p", 16, 64L << 20, 1 << 20, false, EIGHT_GIB);
        Negotiator.checkPoolFits("p", 1, 8 * GIB - 100, 100, false, EIGHT_GIB); // exactly all of it
    }

    @Test
    void aPoolAboveMemAvailableIsRefusedWithAskedAvailableAndWhatToDo() {
        // vbuf run --size 8k --format rgba --pool 16000: 16000 x 7680x4320x4
        long frame = 7680L * 4320 * 4;
        var e = assertThrows(BufferAllocationException.class,
                () -> Negotiator.checkPoolFits("demo", 16000, frame, 4096, false, EIGHT_GIB));
        String m = e.getMessage();
        assertTrue(m.contains("pool 'demo' asks 16000 buffers of " + frame + " bytes"), m);
        assertTrue(m.contains("= " + (16000 * frame + 4096) + " bytes (1.9 TiB)"), m);
        assertTrue(m.contains("the system can give " + 8 * GIB + " bytes (8.0 GiB)"), m);
        assertTrue(m.contains("MemAvailable " + 8 * GIB + " bytes, cgroup headroom unlimited"), m);
        assertTrue(m.contains("nothing was allocated"), m);
        assertTrue(m.contains("at most 64 of this size fit"), m);
    }

    @Test
    void theCgroupLimitAndDevShmCount() {
        var tight = new Negotiator.Available(8 * GIB, GIB, 2 * GIB);
        var e = assertThrows(BufferAllocationException.class, () -> Negotiator.checkPoolFits("c", 2, GIB, 0, false, tight));
        assertTrue(e.getMessage().contains("cgroup headroom " + GIB + " bytes"), e.getMessage());
        Negotiator.checkPoolFits("s", 1, GIB, 0, true, EIGHT_GIB);
        var shm = assertThrows(BufferAllocationException.class, () -> Negotiator.checkPoolFits("s", 3, GIB, 0, true, EIGHT_GIB));
        assertTrue(shm.getMessage().contains("/dev/shm free " + 2 * GIB + " bytes"), shm.getMessage());
        assertTrue(shm.getMessage().contains("vbuf shm rm"), shm.getMessage());
        Negotiator.checkPoolFits("private", 3, GIB, 0, false, EIGHT_GIB); // /dev/shm does not limit a private pool
    }

    @Test
    void overflowingAndNegativeSizesAreRefused() {
        assertThrows(BufferAllocationException.class,
                () -> Negotiator.checkPoolFits("o", Integer.MAX_VALUE, Long.MAX_VALUE / 2, 0, false, EIGHT_GIB));
        assertThrows(IllegalArgumentException.class, () -> Negotiator.checkPoolFits("n", -1, 10, 0, false, EIGHT_GIB));
    }

    @Test
    void theMachinesOwnMemoryIsRead() {
        Negotiator.checkPoolFits("tiny", 1, 4096, 0, false); // this machine has 4 KiB
        long mem = SystemMemory.memAvailable();
        assertTrue(mem > 0, "MemAvailable is readable here");
        assertThrows(BufferAllocationException.class, () -> Negotiator.checkPoolFits("huge", 2, mem, 0, false));
    }

    /** A pool sized above MemAvailable is refused before its allocator is asked for anything. */
    @Test
    void aPoolAboveMemAvailableIsRefusedWithoutAllocating() {
        var calls = new java.util.concurrent.atomic.AtomicInteger();
        Allocator counting = new Allocator() {
            @Override public String name() { return "counting"; }
            @Override public Allocation allocate(int count, long bufferBytes, long alignment) {
                calls.incrementAndGet();
                return new AlignedAllocator().allocate(count, bufferBytes, alignment);
            }
        };
        long frame = 7680L * 4320 * 4; // 8K RGBA
        var e = assertThrows(BufferAllocationException.class, () -> dev.vbuf.pool.FramePool.builder().name("huge")
                .count(16000).bufferSize(frame).allocator(counting).jmx(false).build());
        assertEquals(0, calls.get(), "no buffer was asked for");
        assertTrue(e.getMessage().contains("pool 'huge' asks 16000 buffers") && e.getMessage().contains("MemAvailable"),
                e.getMessage());
        try (var ok = dev.vbuf.pool.FramePool.builder().name("small").count(2).bufferSize(4096).allocator(counting)
                .jmx(false).build()) {
            assertEquals(1, calls.get(), "a pool that fits is allocated");
        }
    }

    @Test
    void aSharedPoolAboveWhatDevShmCanHoldIsRefusedBeforeItsFileExists() {
        String name = "memcheck" + ProcessHandle.current().pid();
        var e = assertThrows(BufferAllocationException.class, () -> dev.vbuf.pool.FramePool.builder().shared(name)
                .count(60000).bufferSize(1L << 30).jmx(false).build());
        assertTrue(e.getMessage().contains("/dev/shm free"), e.getMessage());
        assertFalse(java.nio.file.Files.exists(dev.vbuf.shm.ShmNames.path(name)));
        assertTrue(dev.vbuf.shm.ShmNames.tempFiles(name).isEmpty(), "no temporary file either");
    }
}
