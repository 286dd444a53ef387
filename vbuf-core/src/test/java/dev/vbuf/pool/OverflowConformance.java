package dev.vbuf.pool;

import dev.vbuf.stats.PoolStats;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.*;

abstract class OverflowConformance extends PoolConformance {
    FramePool pool(int count, Overflow policy, String... groups) {
        return builder().count(count).bufferSize(4096).overflow(policy).groups(groups).jmx(false).build();
    }

    @Test
    void failReturnsNullAtOnceAndCounts() {
        try (FramePool pool = pool(1, Overflow.FAIL, "g")) {
            pool.tryAcquireFree().submit();
            assertNull(pool.acquireFree(Duration.ofSeconds(10)), "FAIL does not wait whatever the timeout");
            PoolStats s = pool.stats();
            assertEquals(1, s.acquireFails());
            assertEquals(0, s.reclaims());
            assertEquals(0, s.drops());
        }
    }

    @Test
    void blockNeverTakesFramesBack() {
        try (FramePool pool = pool(2, Overflow.BLOCK, "g")) {
            pool.tryAcquireFree().submit();
            pool.tryAcquireFree().submit();
            assertNull(pool.acquireFree(Duration.ofMillis(2)));
            assertEquals(2, pool.getFilledCount());
            assertEquals(0, pool.stats().drops());
        }
    }

    @Test
    void dropOldestTakesTheOldestUnheldFrameAndCountsPerGroup() {
        try (FramePool pool = pool(3, Overflow.DROP_OLDEST, "fast", "slow")) {
            Consumer fast = pool.consumer("fast"), slow = pool.consumer("slow");
            for (int i = 0; i < 3; i++) pool.tryAcquireFree().submit(); // seq 0,1,2
            for (int i = 0; i < 3; i++) fast.tryAcquireFilled().close(); // fast read all three
            Frame held = slow.tryAcquireFilled(); // slow holds seq 0
            assertEquals(0, held.sequence());
            // dry: seq 0 is held, so seq 1 (oldest unheld) is taken back, a drop for 'slow' only
            Frame f = pool.tryAcquireFree();
            assertNotNull(f);
            f.submit(); // seq 3
            PoolStats s = pool.stats();
            assertEquals(1, s.reclaims());
            assertEquals(0, s.groups().get(0).dropped());
            assertEquals(1, s.groups().get(1).dropped());
            held.close();
            Frame next = slow.tryAcquireFilled();
            assertEquals(2, next.sequence(), "seq 1 was dropped for slow");
            next.close();
            assertEquals(3, slow.tryAcquireFilled().sequence());
        }
    }

    @Test
    void dropOldestNeverReclaimsAHeldFrame() {
        try (FramePool pool = pool(2, Overflow.DROP_OLDEST, "g")) {
            Consumer c = pool.consumer("g");
            pool.tryAcquireFree().submit();
            pool.tryAcquireFree().submit();
            Frame a = c.tryAcquireFilled(), b = c.tryAcquireFilled();
            assertNull(pool.acquireFree(Duration.ofMillis(2)), "every frame is held: nothing to take back");
            assertEquals(FrameState.LOCKED_BY_CONSUMER, a.state());
            assertEquals(FrameState.LOCKED_BY_CONSUMER, b.state());
            assertEquals(0, pool.stats().reclaims());
            a.close();
            b.close();
        }
    }

    @Test
    void dropForAllPendingGroupsWhenNobodyReadTheFrame() {
        try (FramePool pool = pool(1, Overflow.DROP_OLDEST, "a", "b", "c")) {
            pool.tryAcquireFree().submit();
            pool.tryAcquireFree().submit(); // the first frame is taken back from all three groups
            PoolStats s = pool.stats();
            for (var g : s.groups()) {
                assertEquals(1, g.dropped(), g.toString());
                assertEquals(1, g.lag(), g.toString());
            }
            for (String g : new String[]{"a", "b", "c"}) {
                Frame f = pool.consumer(g).tryAcquireFilled();
                assertEquals(1, f.sequence());
                f.close();
            }
            assertEquals(1, pool.getFreeCount());
        }
    }

    @Test
    void adaptiveWaitsForColdWhileHotRatioIsLow() {
        try (FramePool pool = pool(10, Overflow.ADAPTIVE, "g")) {
            for (int i = 0; i < 10; i++) pool.tryAcquireFree().submit(); // all WARM, HOT ratio 0
            assertEquals(0.0, pool.hotRatio());
            assertNull(pool.tryAcquireFree(), "HOT ratio 0 <= 0.8: wait for a COLD frame, do not drop");
            assertEquals(0, pool.stats().reclaims());
        }
    }

    @Test
    void adaptiveTakesTheLeastRecentlyUsedWarmFrameWhenHotRatioIsHigh() {
        try (FramePool pool = pool(10, Overflow.ADAPTIVE, "g")) {
            Consumer c = pool.consumer("g");
            for (int i = 0; i < 10; i++) pool.tryAcquireFree().submit();
            Frame[] held = new Frame[9];
            for (int i = 0; i < 9; i++) held[i] = c.tryAcquireFilled(); // 9 HOT, 1 WARM (seq 9)
            assertEquals(0.9, pool.hotRatio(), 1e-9);
            Frame f = pool.tryAcquireFree();
            assertNotNull(f, "HOT ratio 0.9 > 0.8: the WARM frame is taken");
            assertEquals(1, pool.stats().reclaims());
            assertEquals(1, pool.stats().groups().get(0).dropped());
            f.close();
            for (Frame h : held) h.close();
        }
    }

    @Test
    void aGroupThatNeverReadsCannotStopThePublisher() {
        // 'idle' never reads; DROP_OLDEST keeps 'live' flowing, and the idle group's queue of
        // stale entries never blocks submit (its oldest entry gives way when full).
        try (FramePool pool = pool(4, Overflow.DROP_OLDEST, "live", "idle")) {
            Consumer live = pool.consumer("live");
            long expected = 0;
            for (int i = 0; i < 1000; i++) {
                Frame f = pool.tryAcquireFree();
                assertNotNull(f, "frame " + i);
                f.submit();
                Frame r = live.tryAcquireFilled();
                assertEquals(expected++, r.sequence());
                r.close();
            }
            PoolStats s = pool.stats();
            assertEquals(0, s.groups().get(0).dropped());
            assertEquals(0, s.groups().get(0).lag());
            assertEquals(1000, s.groups().get(1).dropped() + s.groups().get(1).lag());
            assertTrue(pool.validateAllBuffers());
        }
    }
}
