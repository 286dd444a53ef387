package dev.vbuf.monitor;

import dev.vbuf.pool.Consumer;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import dev.vbuf.pool.FrameState;
import dev.vbuf.pool.Overflow;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A frame every group has released that a decoder's reference still holds (HELD_BY_DECODER):
 * the monitor counts it HOT, shows it as 'D' in {@code vbuf top}'s slot grid, names it in the
 * JSON and in {@code vbuf_slots{state="HELD_BY_DECODER"}}, and counts the reference in
 * {@code vbuf_references}, for a private pool (its statistics file) and a shared pool.
 */
class DecoderReferenceViewTest {
    static final Monitor.Options FAST = new Monitor.Options(Duration.ofMillis(5), Duration.ofMillis(50), Duration.ofSeconds(5));

    /** Frame 0: kept as a reference and read by the group (HELD_BY_DECODER); frame 1: queued; frame 2: kept and still queued. */
    static Frame[] decoderHolds(FramePool pool) {
        Consumer c = pool.consumer("display");
        Frame ref0 = pool.submitKeepingReference(pool.tryAcquireFree());
        c.tryAcquireFilled().close();
        pool.tryAcquireFree().submit();
        Frame ref2 = pool.submitKeepingReference(pool.tryAcquireFree());
        return new Frame[] {ref0, ref2};
    }

    static void assertShown(PoolView v, FramePool pool) {
        var st = pool.stats();
        assertEquals(1, st.heldByDecoder(), st::toString);
        assertEquals(1, v.decoderHeld(), "one slot HELD_BY_DECODER");
        assertEquals(2, v.references(), "two slots a reference holds");
        assertEquals(1, v.slots().stream().filter(x -> x.state() == FrameState.HELD_BY_DECODER).count());
        assertEquals(st.hot(), v.hot(), "HELD_BY_DECODER is HOT, as in the pool's own stats()");
        String top = new TopView().render(java.util.List.of(v), Map.of(), 0, false, true);
        String grid = top.lines().filter(l -> l.contains("slots: ")).findFirst().orElseThrow()
                .replaceAll(".*slots: (\\S+).*", "$1");
        String sorted = grid.chars().sorted()
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
        assertEquals(".DQQ", sorted, "one free, the decoder's frame as D, two queued:\n" + top);
        String json = Monitor.toJson(java.util.List.of(v), Map.of());
        assertTrue(json.contains("\"HELD_BY_DECODER\":1") && json.contains("\"references\":2"), json);
        String metrics = PoolMetrics.text(java.util.List.of(v));
        String labels = "kind=\"" + v.kind() + "\",pool=\"" + v.id() + "\"";
        assertTrue(metrics.contains("vbuf_slots{" + labels + ",state=\"HELD_BY_DECODER\"} 1"), metrics);
        assertTrue(metrics.contains("vbuf_references{" + labels + "} 2"), metrics);
    }

    @Test
    void aPrivatePoolsDecoderFrameIsShownAsD() throws Exception {
        String name = "decref-" + ProcessHandle.current().pid();
        try (FramePool pool = FramePool.builder().name(name).count(4).bufferSize(4096).groups("display")
                .overflow(Overflow.FAIL).jmx(false).publishStats(true).build()) {
            Frame[] refs = decoderHolds(pool);
            PoolView v = Monitor.once(FAST, Duration.ofMillis(120)).pools().stream()
                    .filter(p -> p.name().equals(name) && p.kind().equals("private")).findFirst().orElseThrow();
            assertShown(v, pool);
            for (Frame r : refs) r.close();
        }
    }

    @Test
    void aSharedPoolsDecoderFrameIsShownAsD() throws Exception {
        String name = "decref" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        try (FramePool pool = FramePool.builder().name(name).count(4).bufferSize(4096).groups("display")
                .overflow(Overflow.FAIL).jmx(false).shared(name).build()) {
            Frame[] refs = decoderHolds(pool);
            assertShown(Monitor.watchShared(name, FAST, Duration.ofMillis(120)), pool);
            for (Frame r : refs) r.close();
        } finally {
            Files.deleteIfExists(Path.of("/dev/shm/vbuf." + name));
        }
    }
}
