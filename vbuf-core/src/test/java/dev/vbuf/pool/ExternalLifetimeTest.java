package dev.vbuf.pool;

import dev.vbuf.memory.BufferHandle;
import dev.vbuf.memory.BufferLifetimeException;
import dev.vbuf.memory.ExternalBuffer;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * External memory's lifetime (S2.2, seed 001 BufferHandle): once the owner has freed a buffer
 * (closed its arena, or closed its handle) the pool never hands that buffer out again, through
 * any acquire path, however many rounds are run; the owner's other buffers keep working.
 */
class ExternalLifetimeTest {
    @Test
    void aClosedOwnersBufferIsNeverHandedOut() {
        Arena[] owners = new Arena[4];
        var bufs = new ArrayList<ExternalBuffer>();
        for (int i = 0; i < owners.length; i++) {
            owners[i] = Arena.ofShared();
            bufs.add(ExternalBuffer.of(owners[i].allocate(4096, 4096)));
        }
        try (FramePool pool = FramePool.builder().external(bufs).groups("g").jmx(false).build()) {
            owners[1].close();
            owners[3].close();
            for (int round = 0; round < 200; round++) {
                Frame f = round % 2 == 0 ? pool.tryAcquireFree() : pool.acquireFree(Duration.ofMillis(50));
                assertNotNull(f, "buffers 0 and 2 are alive");
                assertTrue(f.id() == 0 || f.id() == 2, "round " + round + " handed out buffer " + f.id() + " whose owner freed it");
                f.segment().set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) round);
                f.submit();
                Frame c = pool.tryAcquireFilled();
                assertTrue(c.id() == 0 || c.id() == 2);
                c.release();
            }
            // retired when an acquire meets them (the buffer released last is handed out first,
            // so the dead ones may not have been met yet); never handed out either way
            assertTrue(pool.stats().retired() <= 2, pool.stats().toString());
            assertFalse(pool.validateBuffer(1));
            assertFalse(pool.validateBuffer(3));
            owners[0].close();
            owners[2].close();
            assertNull(pool.tryAcquireFree(), "every owner has freed its buffer: nothing to hand out");
            assertNull(pool.acquireFree(Duration.ofMillis(20)));
            assertEquals(4, pool.stats().retired());
        }
    }

    @Test
    void aClosedHandlesBufferIsNeverHandedOutAndTouchingAHeldOneThrows() {
        Arena arena = Arena.ofShared();
        List<BufferHandle> hs = new ArrayList<>();
        for (int i = 0; i < 3; i++) hs.add(new BufferHandle(arena.allocate(4096, 4096), 0, null));
        try (FramePool pool = FramePool.ofHandles(hs)) {
            Frame held = pool.tryAcquireFree();
            int heldId = held.id();
            hs.get(heldId).close(); // owner frees the buffer the producer holds
            assertThrows(BufferLifetimeException.class, held::segment);
            held.close();
            for (int round = 0; round < 50; round++) {
                Frame f = pool.tryAcquireFree();
                assertNotNull(f);
                assertNotEquals(heldId, f.id(), "the closed handle's buffer was handed out");
                f.close();
            }
        } finally {
            arena.close();
        }
    }
}
