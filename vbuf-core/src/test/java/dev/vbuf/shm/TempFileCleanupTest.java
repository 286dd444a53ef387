package dev.vbuf.shm;

import dev.vbuf.pool.FramePool;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** A creator killed before it published its pool leaves a temporary file; the next create of that pool removes it. */
class TempFileCleanupTest {
    @Test
    void theNextCreateRemovesADeadCreatorsTemporaryFile() throws Exception {
        String name = "tc" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        Process p = new ProcessBuilder("true").start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        Path stale = ShmNames.tempPath(name, p.pid(), 12345);
        Path alive = ShmNames.tempPath(name, ProcessHandle.current().pid(), 67890); // a create still under way
        Path other = ShmNames.tempPath(name + "x", p.pid(), 1);
        try {
            Files.write(stale, new byte[4096]);
            Files.write(alive, new byte[16]);
            Files.write(other, new byte[16]);
            assertEquals(2, ShmNames.tempFiles(name).size());
            try (FramePool pool = FramePool.builder().shared(name).count(1).bufferSize(4096).jmx(false).build()) {
                assertFalse(Files.exists(stale), "the dead creator's temporary file was removed");
                assertTrue(Files.exists(alive), "a live creator's file is left alone");
                assertTrue(Files.exists(other), "another pool's file is left alone");
            }
        } finally {
            Files.deleteIfExists(stale);
            Files.deleteIfExists(alive);
            Files.deleteIfExists(other);
            Files.deleteIfExists(ShmNames.path(name));
        }
    }
}
