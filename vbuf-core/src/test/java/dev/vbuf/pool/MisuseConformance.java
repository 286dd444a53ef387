package dev.vbuf.pool;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Every illegal transition of S1.2 throws a FrameStateException naming frame, state and expected state. */
abstract class MisuseConformance extends PoolConformance {
    FramePool pool() {
        return builder().count(2).bufferSize(4096).groups("g1", "g2").jmx(false).build();
    }

    private static void expect(Class<? extends FrameStateException> type, FrameState actual, FrameState expected,
                               String part, org.junit.jupiter.api.function.Executable e) {
        FrameStateException ex = assertThrows(type, e);
        assertEquals(actual, ex.actual(), ex.getMessage());
        assertEquals(expected, ex.expected(), ex.getMessage());
        assertTrue(ex.getMessage().contains(part), () -> "'" + ex.getMessage() + "' lacks '" + part + "'");
        assertTrue(ex.getMessage().contains("frame " + ex.frameId()), ex.getMessage());
    }

    /**
     * A private single-writer pool of one group that never reclaims lets its consumer take by
     * release stores, and so refuses a reclaiming policy asked per call, naming what to do; any
     * other pool reclaims as asked.
     */
    @Test
    void reclaimAskedPerCallOfAPoolThatNeverReclaims() {
        try (FramePool pool = builder().count(1).bufferSize(64).groups("g").overflow(Overflow.BLOCK).jmx(false).build()) {
            boolean storeTake = singleWriter() && !pool.isShared();
            assertEquals(storeTake, pool.handOff().storeTake);
            pool.tryAcquireFree().submit();
            if (storeTake) {
                var e = assertThrows(IllegalArgumentException.class, () -> pool.acquireFree(Overflow.DROP_OLDEST, 0));
                assertTrue(e.getMessage().contains("overflow(Overflow.DROP_OLDEST)"), e.getMessage());
                assertNull(pool.acquireFree(Overflow.BLOCK, 0), "the pool's own policy still works");
            } else {
                Frame f = pool.acquireFree(Overflow.DROP_OLDEST, 0);
                assertNotNull(f, "the unread frame taken back");
                f.close();
            }
        }
    }

    @Test
    void doubleRelease() {
        try (FramePool pool = pool()) {
            pool.tryAcquireFree().submit();
            Frame c = pool.consumer("g1").tryAcquireFilled();
            c.release();
            expect(StaleFrameException.class, FrameState.READY_FOR_CONSUME, FrameState.LOCKED_BY_CONSUMER,
                    "already released", c::release);
        }
    }

    @Test
    void releaseOfAFrameNeverAcquiredByAConsumer() {
        try (FramePool pool = pool()) {
            Frame p = pool.tryAcquireFree();
            expect(FrameStateException.class, FrameState.LOCKED_BY_PRODUCER, FrameState.LOCKED_BY_CONSUMER,
                    "came from acquireFree", () -> pool.releaseFilled(p));
            p.close();
        }
    }

    @Test
    void submitByAConsumer() {
        try (FramePool pool = pool()) {
            pool.tryAcquireFree().submit();
            Frame c = pool.consumer("g1").tryAcquireFilled();
            expect(FrameStateException.class, FrameState.LOCKED_BY_CONSUMER, FrameState.LOCKED_BY_PRODUCER,
                    "came from acquireFilled of group 'g1'", () -> pool.submitFilled(c));
            c.close();
        }
    }

    @Test
    void doubleSubmit() {
        try (FramePool pool = pool()) {
            Frame p = pool.tryAcquireFree();
            p.submit();
            expect(StaleFrameException.class, FrameState.READY_FOR_CONSUME, FrameState.LOCKED_BY_PRODUCER,
                    "already submitted", p::submit);
        }
    }

    @Test
    void useAfterSubmitOrRelease() {
        try (FramePool pool = pool()) {
            Frame p = pool.tryAcquireFree();
            p.submit();
            assertThrows(StaleFrameException.class, p::segment);
            assertThrows(StaleFrameException.class, () -> p.pts(1));
            assertThrows(StaleFrameException.class, p::sequence);
            Frame c = pool.consumer("g2").tryAcquireFilled();
            c.release();
            assertThrows(StaleFrameException.class, c::segment);
            assertThrows(StaleFrameException.class, c::sequence);
            c.close(); // closing a released frame is a no-op (try-with-resources after release)
        }
    }

    @Test
    void consumerCannotWriteMetadata() {
        try (FramePool pool = pool()) {
            pool.tryAcquireFree().submit();
            Frame c = pool.consumer("g1").tryAcquireFilled();
            expect(FrameStateException.class, FrameState.LOCKED_BY_CONSUMER, FrameState.LOCKED_BY_PRODUCER,
                    "read-only", () -> c.pts(5));
            c.close();
        }
    }

    @Test
    void abortOfASubmittedFrame() {
        try (FramePool pool = pool()) {
            Frame p = pool.tryAcquireFree();
            p.submit();
            expect(StaleFrameException.class, FrameState.READY_FOR_CONSUME, FrameState.LOCKED_BY_PRODUCER,
                    "already submitted or aborted", () -> pool.abort(p));
        }
    }

    @Test
    void staleHandleAfterTheBufferWasReclaimedNamesTheNewGeneration() {
        try (FramePool pool = builder().count(1).bufferSize(4096).overflow(Overflow.DROP_OLDEST).jmx(false).build()) {
            Frame p = pool.tryAcquireFree();
            p.submit();
            Frame q = pool.tryAcquireFree(); // reclaims the only frame (nobody held it)
            assertNotNull(q);
            assertSame(p, q, "same flyweight, new generation");
            assertEquals(1, q.generation());
            q.submit();
            Frame c = pool.tryAcquireFilled(); // the stale entry (gen 0) is skipped, gen 1 delivered
            assertEquals(1, c.sequence());
            assertEquals(1, pool.stats().groups().get(0).staleSkipped());
            c.close();
        }
    }

    @Test
    void frameOfAnotherPool() {
        try (FramePool a = pool(); FramePool b = pool()) {
            Frame f = a.tryAcquireFree();
            var ex = assertThrows(IllegalArgumentException.class, () -> b.submitFilled(f));
            assertTrue(ex.getMessage().contains("belongs to pool"), ex.getMessage());
            f.close();
        }
    }

    @Test
    void releaseThroughTheWrongGroupsConsumer() {
        try (FramePool pool = pool()) {
            pool.tryAcquireFree().submit();
            Frame c = pool.consumer("g1").tryAcquireFilled();
            var ex = assertThrows(IllegalArgumentException.class, () -> pool.consumer("g2").releaseFilled(c));
            assertTrue(ex.getMessage().contains("acquired by group 'g1'"), ex.getMessage());
            c.close();
        }
    }
}
