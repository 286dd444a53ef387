package dev.vbuf.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlanCommandTest {
    private static final String[] EIGHT_K = {"plan", "--size", "7680x4320", "--format", "rgba", "--fps", "120",
            "--latency", "16ms", "--transfer", "2ms", "--decode", "3ms"};

    @Test
    void eightKRgbaAt120() {
        Cli r = Cli.run(EIGHT_K);
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("frames          5"), r::toString);
        assertTrue(r.out().contains("bytes per frame 132,710,400 (126.6 MiB)"), r::toString);
        assertTrue(r.out().contains("total bytes     663,552,000 (632.8 MiB)"), r::toString);
        assertTrue(r.out().contains("frames   = max(minimum, base + safety + producer) = max(0, 2 + 2 + 1) = 5 frames"),
                r::toString);
    }

    @Test
    void eightKAsJson() {
        String[] args = java.util.Arrays.copyOf(EIGHT_K, EIGHT_K.length + 1);
        args[EIGHT_K.length] = "--json";
        Cli r = Cli.run(args);
        assertEquals(0, r.exit(), r::toString);
        assertEquals(5, r.number("frames"));
        assertEquals(2, r.number("base"));
        assertEquals(2, r.number("safety"));
        assertEquals(1, r.number("producer"));
        assertEquals(132_710_400L, r.number("bytesPerFrame"));
        assertEquals(663_552_000L, r.number("totalBytes"));
    }

    @Test
    void defaultsAre4kNv12At60() {
        Cli r = Cli.run("plan", "--json");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("\"size\":\"3840x2160\"") && r.out().contains("\"format\":\"NV12\""), r::toString);
        assertEquals(3, r.number("frames"));
        assertEquals(12_441_600L, r.number("bytesPerFrame"));
    }

    @Test
    void minimumFramesRaiseThePlan() {
        Cli r = Cli.run("plan", "--min-frames", "8", "--json");
        assertEquals(8, r.number("frames"), r::toString);
    }
}
