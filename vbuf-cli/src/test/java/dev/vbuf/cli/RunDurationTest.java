package dev.vbuf.cli;

import dev.vbuf.shm.ShmNames;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code vbuf run --shared NAME --duration D} ends after D in every policy when the remote group
 * has no reader: under block and adaptive the producer waits for a free buffer inside the pool
 * (every frame is kept for the group nobody reads), where the source's own between-frames check
 * never runs; the run used to go on for as long as it was left. The timeout below is a guard
 * against that hang (60 times the run's length), not a performance figure.
 */
class RunDurationTest {
    final String name = "dur" + ProcessHandle.current().pid() + "-" + System.nanoTime();

    @AfterEach
    void cleanUp() throws IOException {
        Files.deleteIfExists(ShmNames.path(name));
    }

    @ParameterizedTest(name = "--policy {0} --fps {1}")
    @CsvSource({"block,50", "adaptive,50", "drop-oldest,50", "fail,50", "block,0"})
    void durationEndsARunWhoseRemoteGroupHasNoReader(String policy, String fps) {
        Cli r = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> Cli.run("run", "--shared", name, "--size", "64x48",
                "--fps", fps, "--duration", "1s", "--pool", "4", "--policy", policy, "--json"));
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("\"ok\":true"), r::toString);
        long produced = r.number("produced");
        if (policy.equals("block") || policy.equals("adaptive")) {
            // four buffers, all kept for 'consume': the producer is held up after four frames
            assertEquals(4, produced, r::toString);
            assertTrue(r.err().contains("stopped at --duration 1s with 4"), r::toString);
        } else {
            assertTrue(produced > 0, r::toString);
            assertFalse(r.err().contains("stopped at --duration"), r::toString);
        }
    }
}
