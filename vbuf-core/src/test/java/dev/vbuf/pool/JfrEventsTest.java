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

/** Drops, reclaims and acquire timeouts are JFR events with the pool, group and frame. */
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
}
