package dev.vbuf.cli;

import dev.vbuf.shm.ShmNames;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Temporary files of creates (.tmp.vbuf.NAME.PID.NANOS) whose creator died before publishing:
 * {@code vbuf shm ls} lists them as stale, {@code vbuf shm rm --stale} and {@code vbuf shm rm NAME}
 * remove them, and one whose creator is alive is listed as creating and left alone.
 */
class ShmTempFilesTest {
    final String name = "tmp" + ProcessHandle.current().pid() + "-" + System.nanoTime();
    final List<Path> files = new ArrayList<>();

    @AfterEach
    void cleanUp() throws IOException {
        for (Path f : files) Files.deleteIfExists(f);
    }

    /** The pid of a process that has exited (and been reaped). */
    static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        return p.pid();
    }

    Path temp(String pool, long pid) throws IOException {
        Path t = ShmNames.tempPath(pool, pid, System.nanoTime());
        files.add(t);
        Files.write(t, new byte[8192]);
        return t;
    }

    @Test
    void aDeadCreatorsTemporaryFileIsListedAndRemovedByStale() throws Exception {
        long dead = deadPid();
        Path stale = temp(name, dead);
        Path creating = temp(name + "-live", ProcessHandle.current().pid());
        Cli ls = Cli.run("shm", "ls");
        assertEquals(0, ls.exit(), ls.toString());
        String line = ls.out().lines().filter(l -> l.startsWith(name + " (temporary)")).findFirst().orElse("");
        assertTrue(line.contains(" stale ") && line.contains("process " + dead + ", which is gone")
                && line.contains("8192") && line.contains("vbuf shm rm --stale"), ls.out());
        String live = ls.out().lines().filter(l -> l.startsWith(name + "-live (temporary)")).findFirst().orElse("");
        assertTrue(live.contains(" creating ") && live.contains("process " + ProcessHandle.current().pid()), ls.out());

        Cli rm = Cli.run("shm", "rm", "--stale");
        assertEquals(0, rm.exit(), rm.toString());
        assertTrue(rm.out().contains("removed " + stale), rm.out());
        assertFalse(Files.exists(stale), "the stale temporary file is gone");
        assertTrue(Files.exists(creating), "a live creator's file is left alone");
    }

    @Test
    void rmByNameRemovesThatPoolsStaleTemporaryFiles() throws Exception {
        Path stale = temp(name, deadPid());
        Path other = temp(name + "x", deadPid());
        Cli rm = Cli.run("shm", "rm", name);
        assertEquals(0, rm.exit(), rm.toString());
        assertFalse(Files.exists(stale));
        assertTrue(Files.exists(other), "another pool's file stays");
    }

    @Test
    void temporaryNamesAreParsed() {
        var t = ShmNames.parseTemp(Path.of("/dev/shm/.tmp.vbuf.cam.0.a-b.1234.-99"));
        assertNotNull(t);
        assertEquals("cam.0.a-b", t.pool());
        assertEquals(1234, t.pid());
        assertNull(ShmNames.parseTemp(Path.of("/dev/shm/.tmp.vbuf.cam")));
        assertNull(ShmNames.parseTemp(Path.of("/dev/shm/vbuf.cam.12.34")));
    }
}
