package dev.vbuf.shm;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.pool.ControlBlock;
import dev.vbuf.pool.FramePool;
import dev.vbuf.pool.PoolBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** A full process table: attach reclaims dead entries before it gives up, and says what to do when it must. */
class ProcessTableFullTest {
    final String name = "pt" + ProcessHandle.current().pid() + "-" + System.nanoTime();

    @AfterEach
    void cleanUp() throws IOException {
        Files.deleteIfExists(ShmNames.path(name));
    }

    FramePool create(Duration reclaimAfter) {
        return FramePool.builder().shared(name).sharedMemory(PoolBuilder.SharedMemory.FILE).layout(FrameLayout.of(PixelFormat.GRAY8, 16, 16)).count(2).groups("c")
                .processCapacity(2).reclaimAfter(reclaimAfter).jmx(false).build();
    }

    static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        return p.pid();
    }

    /** Writes entry {@code index} (1-based) as a LIVE entry of {@code pid}, as a process that later died left it. */
    void writeEntry(int index, long pid, long start) throws IOException {
        try (FileChannel ch = FileChannel.open(ShmNames.path(name), StandardOpenOption.READ, StandardOpenOption.WRITE);
             Arena a = Arena.ofConfined()) {
            MemorySegment m = ch.map(FileChannel.MapMode.READ_WRITE, 0, ch.size(), a);
            long off = m.get(ValueLayout.JAVA_LONG, ControlBlock.H_PROCESS_OFFSET) + (long) (index - 1) * ProcessTable.PROCESS_BYTES;
            m.set(ValueLayout.JAVA_LONG, off + ProcessTable.PR_START_TIME, start);
            m.set(ValueLayout.JAVA_LONG, off + ProcessTable.PR_WORD, ProcessTable.liveWord(pid));
        }
    }

    @Test
    void aDeadEntryThatHoldsNothingIsReclaimedByAttach() throws Exception {
        try (FramePool creator = create(Duration.ofHours(1))) { // its monitor will not help in time
            writeEntry(2, deadPid(), 12345);
            try (FramePool p = FramePool.attach(name, new PoolBuilder.AttachOptions().jmx(false))) {
                assertTrue(p.peers().stream().anyMatch(e -> e.pid() == ProcessHandle.current().pid() && e.index() == 2),
                        "the dead entry was reclaimed and claimed: " + p.peers());
            }
        }
    }

    @Test
    void aTableFullOfLiveProcessesIsRefusedWithWhatToDo() {
        try (FramePool creator = create(Duration.ofSeconds(1));
             FramePool second = FramePool.attach(name, new PoolBuilder.AttachOptions().jmx(false))) {
            var e = assertThrows(IllegalStateException.class,
                    () -> FramePool.attach(name, new PoolBuilder.AttachOptions().jmx(false)));
            assertTrue(e.getMessage().contains("all 2 process entries in use (2 by live processes)")
                    && e.getMessage().contains("larger process capacity"), e.getMessage());
        }
    }
}
