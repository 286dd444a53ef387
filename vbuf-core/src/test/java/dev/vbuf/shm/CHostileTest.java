package dev.vbuf.shm;

import dev.vbuf.pool.PoolBuilder;
import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.pool.ControlBlock;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import dev.vbuf.pool.WaitStrategy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A process of the same user writes nonsense into the slot words, holders and rings of a live
 * pool: the C consumer (examples/c/vbuf_consume.c) never hangs. It ends with an error naming the
 * pool and the field (exit 4), or gets its frames, or stops on SIGTERM while it waits.
 */
class CHostileTest {
    static Path consumer;
    static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

    final String name = "ch" + ProcessHandle.current().pid() + "-" + System.nanoTime();
    final Path path = ShmNames.path(name);
    final List<Process> started = new ArrayList<>();

    @BeforeAll
    static void build() throws Exception {
        CBuild.assumeGcc();
        consumer = CBuild.compile(CBuild.root().resolve("examples/c/vbuf_consume.c"), CBuild.outDir().resolve("vbuf_consume_h"));
    }

    @AfterEach
    void cleanUp() throws IOException {
        for (Process p : started) p.destroyForcibly();
        Files.deleteIfExists(path);
    }

    FramePool create(int count) {
        return FramePool.builder().shared(name).sharedMemory(PoolBuilder.SharedMemory.FILE).layout(FrameLayout.of(PixelFormat.GRAY8, 64, 16)).count(count).groups("c")
                .jmx(false).waitStrategy(WaitStrategy.futex()).build();
    }

    record Run(Process process, Path outFile, Path errFile) {
        int exit() throws Exception {
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the C consumer ends by itself within 60 s (no hang); stderr "
                    + err());
            return process.exitValue();
        }
        String err() throws IOException { return Files.readString(errFile, StandardCharsets.UTF_8); }
        String out() throws IOException { return Files.readString(outFile, StandardCharsets.UTF_8); }
    }

    Run c(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(consumer.toString()));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile("vbuf-c", ".out"), err = Files.createTempFile("vbuf-c", ".err");
        out.toFile().deleteOnExit();
        err.toFile().deleteOnExit();
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().put("VBUF_SHM_DIR", ShmNames.directory().toString());
        Process p = pb.start();
        started.add(p);
        return new Run(p, out, err);
    }

    /** The mapped pool file, as a hostile writer sees it. */
    static MemorySegment map(Path p, Arena arena) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            return ch.map(FileChannel.MapMode.READ_WRITE, 0, ch.size(), arena);
        }
    }

    static int submitOne(FramePool pool) {
        Frame f = pool.acquireFree(Duration.ofSeconds(10));
        assertNotNull(f);
        f.fill((byte) 7);
        int slot = f.id();
        f.submit();
        return slot;
    }

    static long holderOffset(MemorySegment m, int slot, int group) {
        return m.get(ValueLayout.JAVA_LONG, ControlBlock.H_SLOTS_OFFSET) + (long) slot * ControlBlock.SLOT_BYTES
                + ControlBlock.S_HOLDERS + 4L * group;
    }

    @Test
    void aQueuedFrameHeldByAnUnusedProcessEntryEndsInAnErrorNamingTheField() throws Exception {
        try (FramePool pool = create(4); Arena arena = Arena.ofConfined()) {
            int slot = submitOne(pool);
            MemorySegment m = map(path, arena);
            m.set(ValueLayout.JAVA_INT, holderOffset(m, slot, 0), 50); // entry 50 of 64 is free
            Run r = c("--check", "none", name, "c", "1"); // no timeout: it must end by itself
            assertEquals(4, r.exit(), "exit 4: the pool's shared words are corrupt; stderr " + r.err());
            assertTrue(r.err().contains("shared pool " + path) && r.err().contains("slot " + slot + "'s holder for group 'c'")
                    && r.err().contains("process entry 50, which is free") && r.err().contains("vbuf shm rm"), r.err());
        }
    }

    @Test
    void aHolderBeyondTheProcessTableEndsInAnError() throws Exception {
        try (FramePool pool = create(4); Arena arena = Arena.ofConfined()) {
            int slot = submitOne(pool);
            MemorySegment m = map(path, arena);
            m.set(ValueLayout.JAVA_INT, holderOffset(m, slot, 0), 0x7fffffff);
            Run r = c("--check", "none", name, "c", "1");
            assertEquals(4, r.exit(), r.err());
            assertTrue(r.err().contains("beyond the 64 entries of the process table"), r.err());
        }
    }

    @Test
    void aFreeRingFullOfDuplicatesOfAFreeSlotDoesNotStopARelease() throws Exception {
        try (FramePool pool = create(2); Arena arena = Arena.ofConfined()) {
            Frame f = pool.acquireFree(Duration.ofSeconds(10)); // the free ring now holds the other slot's entry
            assertNotNull(f);
            MemorySegment m = map(path, arena);
            long ring = m.get(ValueLayout.JAVA_LONG, ControlBlock.H_FREE_RING_OFFSET);
            int capacity = m.get(ValueLayout.JAVA_INT, ControlBlock.H_FREE_RING_CAPACITY);
            long head = (long) LONG.getVolatile(m, ring + ControlBlock.R_HEAD);
            long cell = (long) LONG.getVolatile(m, ring + ControlBlock.R_CELLS + (head & (capacity - 1)) * 8);
            long other = cell & ((1L << 46) - 1);
            assertEquals(1 - f.id(), (int) (other & 0xFFFF), "the free ring's head is the other slot");
            int added = 0;
            while ((long) LONG.getVolatile(m, ring + ControlBlock.R_TAIL) - head < capacity) {
                CConsumerTest.offerRaw(m, ring, capacity, other);
                added++;
            }
            assertTrue(added >= 1, "the free ring is full of duplicates of one free slot");
            f.fill((byte) 1);
            f.submit();
            Run r = c("--check", "none", name, "c", "1");
            assertEquals(0, r.exit(), "the release finished; stderr " + r.err());
            assertTrue(r.out().contains("frames=1 bad=0"), r.out());
            Frame a = pool.acquireFree(Duration.ofSeconds(5)), b = pool.acquireFree(Duration.ofSeconds(5));
            assertNotNull(a, "both buffers are free again");
            assertNotNull(b, "both buffers are free again: none was lost to the duplicates");
            a.close();
            b.close();
        }
    }

    @Test
    void aConsumerWaitingOnAStuckClaimStopsOnSigterm() throws Exception {
        try (FramePool pool = create(4); Arena arena = Arena.ofConfined()) {
            int slot = submitOne(pool);
            MemorySegment m = map(path, arena);
            // the claim names a live process (this JVM, the creator: entry 1), so it is waited for, not refused
            int self = pool.peers().stream().filter(p -> p.pid() == ProcessHandle.current().pid()).findFirst()
                    .orElseThrow().index();
            m.set(ValueLayout.JAVA_INT, holderOffset(m, slot, 0), self);
            Run r = c("--check", "none", name, "c", "1");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!r.out().contains("attached ") && System.nanoTime() < deadline) Thread.sleep(20);
            Thread.sleep(300); // inside its wait
            assertTrue(r.process().isAlive(), "it waits for the claim (no timeout given); stderr " + r.err());
            new ProcessBuilder("kill", "-TERM", Long.toString(r.process().pid())).start().waitFor();
            assertEquals(3, r.exit(), "SIGTERM stops it (exit 3, incomplete); stderr " + r.err());
            assertTrue(r.err().contains("(signal)"), r.err());
        }
    }

    /** A caller with buffers larger than the header's (4 KiB path and message) builds with -O2 -Werror. */
    @Test
    void aCallerWithLargeBuffersBuildsWithoutFormatTruncationWarnings() throws Exception {
        Path src = CBuild.outDir().resolve("large_buffers.c");
        Files.writeString(src, """
                #define _GNU_SOURCE
                #include "vbuf_shm.h"
                int main(int argc, char **argv) {
                    char path[4096], err[4096];
                    snprintf(path, sizeof path, "%s", argc > 1 ? argv[1] : "/dev/shm/vbuf.none");
                    struct vbuf_pool p;
                    if (vbuf_attach(path, 0, &p, err, sizeof err)) { fputs(err, stderr); return 2; }
                    vbuf_detach(&p);
                    return 0;
                }
                """);
        Path exe = CBuild.compile(src, CBuild.outDir().resolve("large_buffers")); // fails the test on any warning
        Process p = new ProcessBuilder(exe.toString(), "/dev/shm/vbuf.no-such-pool-" + System.nanoTime()).start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue());
        assertTrue(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).contains("does not exist"));
    }
}
