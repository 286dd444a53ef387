package dev.vbuf.cli.bench;

import dev.vbuf.cli.Main;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code vbuf bench} as a command: its options reach the harness of the benchmark module (one
 * tiny run through child JVMs), and bad values are refused with exit 2 naming what is accepted.
 * The harness itself is tested in vbuf-bench (CrossProcessBenchTest). No figure is asserted.
 */
class BenchCommandTest {
    record Run(int exit, String out, String err) {
        @Override
        public String toString() { return "exit " + exit + "\n--- out\n" + out + "\n--- err\n" + err; }
    }

    static Run vbuf(String... args) {
        var out = new StringWriter();
        var err = new StringWriter();
        int exit = Main.commandLine().setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true)).execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void runsTheHarnessThroughChildProcesses() {
        Run r = vbuf("bench", "--frames", "5", "--latency-frames", "3", "--warmup", "1",
                "--sizes", "320x240", "--transports", "uds", "--json");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("\"transport\":\"uds\""), r::toString);
        assertTrue(r.out().contains("\"ok\":true"), r::toString);
    }

    @Test
    void designTableUnderItsNameAndItsFormerName() {
        for (String flag : new String[] {"--design-table", "--seed-table"}) {
            Run r = vbuf("bench", flag, "--seconds", "1", "--json");
            assertEquals(0, r.exit(), r::toString);
            assertTrue(r.out().contains("\"command\":\"vbuf bench --design-table\""), r::toString);
            assertTrue(r.out().contains("\"ok\":true"), r::toString);
        }
    }

    @Test
    void badSizeNamesTheInputAndTheAcceptedForms() {
        Run r = vbuf("bench", "--sizes", "huge");
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.err().contains("--sizes: size 'huge' is not 1080p, 4k, 8k, 8k-rgba or WxH[:format]"), r::toString);
    }

    @Test
    void badTransportListsTheTransports() {
        Run r = vbuf("bench", "--transports", "carrier-pigeon");
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.err().contains("transport 'carrier-pigeon' is not one of"), r::toString);
        assertTrue(r.err().contains("vbuf-shm"), r::toString);
    }

    @Test
    void framesOutOfRange() {
        Run r = vbuf("bench", "--frames", "0");
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.err().contains("--frames 0 is outside 1..1000000"), r::toString);
    }

    @Test
    void warmupOutOfRange() {
        Run r = vbuf("bench", "--warmup", "-1");
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.err().contains("--warmup -1 is outside 0..100000"), r::toString);
    }
}
