package dev.vbuf.memory;

import dev.vbuf.pool.FramePool;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The RLIMIT_MEMLOCK refusal, for real: root is never limited, so a child JVM is started
 * without CAP_IPC_LOCK (setpriv drops it from the inheritable and bounding sets, so the exec'd
 * JVM does not get it) and with a 64 KiB memlock limit (prlimit); it builds a locked pool of
 * 4 x 1 MiB and prints the error. The message must name the limit and the size asked.
 */
class MemlockRefusalTest {
    /** The child: try a locked pool, print the outcome. */
    public static void main(String[] args) {
        try (FramePool p = FramePool.builder().count(4).bufferSize(1 << 20)
                .allocator(new LockedAllocator(new AlignedAllocator())).jmx(false).build()) {
            System.out.println("LOCKED " + p.backing());
        } catch (BufferAllocationException e) {
            System.out.println("REFUSED " + e.getMessage());
        }
    }

    @Test
    void aLockedPoolOverTheLimitIsRefusedNamingTheLimitAndTheSize() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/prlimit")) && Files.isExecutable(Path.of("/usr/bin/setpriv")),
                "needs prlimit and setpriv (util-linux)");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of("prlimit", "--memlock=65536:65536",
                "setpriv", "--inh-caps=-ipc_lock", "--bounding-set=-ipc_lock", "--",
                java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path") + System.getProperty("path.separator") + System.getProperty("jdk.module.path", "") /* on the module path too (tests) */,
                MemlockRefusalTest.class.getName())).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child did not finish");
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.startsWith("REFUSED could not lock 4 buffers of 1048576 bytes (4194304 bytes) in memory: mlock("), out);
        assertTrue(out.contains("failed: ENOMEM") || out.contains("failed: EPERM") || out.contains("failed: EAGAIN"), out);
        assertTrue(out.contains("the limit is 65536 bytes (soft), 65536 (hard) (RLIMIT_MEMLOCK)"), out);
        assertTrue(out.contains("ulimit -l") && out.contains("CAP_IPC_LOCK"), out);
    }
}
