package dev.vbuf.pool;

import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Drops, reclaims and acquire timeouts are JFR events with the pool, group and frame; the pool's
 * statistics are periodic events with every counter of PoolStats and GroupStats.
 */
class JfrEventsTest {
    @Test
    void dropsReclaimsAndTimeoutsAreRecorded() throws Exception {
        Path file = Files.createTempFile("vbuf", ".jfr");
        try (Recording rec = new Recording()) {
            rec.enable("dev.vbuf.FrameDropped");
            rec.enable("dev.vbuf.FrameReclaimed");
            rec.enable("dev.vbuf.AcquireTimeout").withThreshold(Duration.ZERO);
            rec.start();
            try (FramePool pool = FramePool.builder().name("jfr").count(1).bufferSize(4096).groups("a", "b")
                    .overflow(Overflow.DROP_OLDEST).jmx(false).build()) {
                pool.tryAcquireFree().submit();            // seq 0
                pool.tryAcquireFree().submit();            // reclaims seq 0: dropped for a and b
                Frame held = pool.consumer("a").tryAcquireFilled();
                assertEquals(1, held.sequence());
                pool.consumer("b").tryAcquireFilled().close();
                assertEquals(null, pool.acquireFree(Duration.ofMillis(1))); // held: nothing to take, times out
                held.close();
            }
            rec.stop();
            rec.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file);
        Files.delete(file);
        var drops = events.stream().filter(e -> e.getEventType().getName().equals("dev.vbuf.FrameDropped")).toList();
        var reclaims = events.stream().filter(e -> e.getEventType().getName().equals("dev.vbuf.FrameReclaimed")).toList();
        var timeouts = events.stream().filter(e -> e.getEventType().getName().equals("dev.vbuf.AcquireTimeout")).toList();
        assertEquals(2, drops.size(), drops.toString());
        assertEquals(List.of("a", "b"), drops.stream().map(e -> e.getString("group")).sorted().toList());
        assertEquals(0L, drops.get(0).getLong("sequence"));
        assertEquals(1, reclaims.size());
        assertEquals(2, reclaims.get(0).getInt("groupsDropped"));
        assertEquals("DROP_OLDEST", reclaims.get(0).getString("policy"));
        assertEquals(1, timeouts.size());
        assertEquals("producer", timeouts.get(0).getString("side"));
        assertEquals("jfr", timeouts.get(0).getString("pool"));
    }

    /**
     * dev.vbuf.PoolStatistics and dev.vbuf.GroupStatistics carry a field for every numeric
     * component of PoolStats and GroupStats, of the same name (the records are walked: a counter
     * added to PoolStats without its field fails here), with the pool's values while it stands still.
     */
    @Test
    void periodicStatisticsCarryEveryCounterOfPoolStats() throws Exception {
        Path file = Files.createTempFile("vbuf", ".jfr");
        String name = "jfr-stats-" + ProcessHandle.current().pid();
        dev.vbuf.stats.PoolStats st;
        try (Recording rec = new Recording()) {
            rec.enable("dev.vbuf.PoolStatistics").withPeriod(Duration.ofMillis(20));
            rec.enable("dev.vbuf.GroupStatistics");
            try (FramePool pool = FramePool.builder().name(name).count(3).bufferSize(4096).groups("fast", "slow")
                    .overflow(Overflow.DROP_OLDEST).jmx(true).build()) {
                for (int i = 0; i < 7; i++) {
                    pool.tryAcquireFree().submit();
                    pool.consumer("fast").tryAcquireFilled().close();
                }
                Frame held = pool.consumer("slow").tryAcquireFilled();
                Frame ref = pool.submitKeepingReference(pool.tryAcquireFree());
                st = pool.stats();
                rec.start();
                Thread.sleep(300); // several periods while nothing moves
                rec.stop();
                held.close();
                ref.close();
            }
            rec.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file);
        Files.delete(file);
        var pools = events.stream().filter(e -> e.getEventType().getName().equals("dev.vbuf.PoolStatistics")
                && name.equals(e.getString("name"))).toList();
        assertFalse(pools.isEmpty(), "periodic pool statistics were recorded");
        RecordedEvent p = pools.getLast();
        for (var c : dev.vbuf.stats.PoolStats.class.getRecordComponents()) {
            Object want = c.getAccessor().invoke(st);
            if (!(want instanceof Number n)) continue;
            assertTrue(p.hasField(c.getName()), "dev.vbuf.PoolStatistics has no field " + c.getName());
            assertEquals(n.longValue(), p.getLong(c.getName()), c.getName());
        }
        assertEquals(st.drops(), p.getLong("drops"));
        for (var g : st.groups()) {
            var ge = events.stream().filter(e -> e.getEventType().getName().equals("dev.vbuf.GroupStatistics")
                    && name.equals(e.getString("pool")) && g.name().equals(e.getString("name"))).toList();
            assertFalse(ge.isEmpty(), "group " + g.name() + " recorded");
            for (var c : dev.vbuf.stats.GroupStats.class.getRecordComponents()) {
                Object want = c.getAccessor().invoke(g);
                if (!(want instanceof Number n)) continue;
                assertTrue(ge.getLast().hasField(c.getName()), "dev.vbuf.GroupStatistics has no field " + c.getName());
                assertEquals(n.longValue(), ge.getLast().getLong(c.getName()), g.name() + " " + c.getName());
            }
        }
        assertTrue(st.heldByDecoder() + st.references() > 0 && st.groups().get(1).dropped() > 0, st::toString);
    }
}
