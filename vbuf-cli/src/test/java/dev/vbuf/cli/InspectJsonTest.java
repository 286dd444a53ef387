package dev.vbuf.cli;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import dev.vbuf.shm.ShmNames;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;

import static org.junit.jupiter.api.Assertions.*;

/** {@code vbuf inspect NAME --json}: the pool's state as one JSON object. */
class InspectJsonTest {
    @Test
    void inspectPrintsOneJsonObject() throws Exception {
        String name = "ij" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        try (FramePool pool = FramePool.builder().shared(name).layout(FrameLayout.of(PixelFormat.NV12, 64, 32)).count(2)
                .groups("c").jmx(false).build()) {
            Frame f = pool.tryAcquireFree();
            f.submit();
            Cli r = Cli.run("inspect", name, "--json");
            assertEquals(0, r.exit(), r.toString());
            String j = r.out().trim();
            assertTrue(j.startsWith("{") && j.endsWith("}") && j.lines().count() == 1, j);
            for (String part : new String[] {"\"pool\":\"" + name + "\"", "\"buffers\":2", "\"format\":\"NV12\"",
                    "\"width\":64", "\"READY_FOR_CONSUME\":1", "\"IDLE\":1", "\"published\":1",
                    "\"pid\":" + ProcessHandle.current().pid(), "\"role\":\"creator\"", "\"alive\":true",
                    "\"groups\":[{\"name\":\"c\"", "\"lag\":1", "\"slots\":[{\"id\":0"}) {
                assertTrue(j.contains(part), part + " in " + j);
            }
        } finally {
            Files.deleteIfExists(ShmNames.path(name));
        }
    }
}
