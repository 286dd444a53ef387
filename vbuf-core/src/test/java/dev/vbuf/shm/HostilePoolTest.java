package dev.vbuf.shm;

import dev.vbuf.pool.PoolBuilder;
import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.pool.ControlBlock;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import dev.vbuf.pool.FrameStateException;
import dev.vbuf.pool.PoolCorruptedException;
import dev.vbuf.pool.WaitStrategy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A process of the same user writes nonsense into a live shared pool's slot words, holders and
 * rings (not only its header): the Java side never hangs. Every acquire and release returns
 * within its timeout, honours interruption, or ends in a {@link PoolCorruptedException} that
 * names the pool and the field.
 */
class HostilePoolTest {
    static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    static final Duration BOUND = Duration.ofSeconds(30); // far above any honest operation: a hang, not a slow call

    final String name = "hp" + ProcessHandle.current().pid() + "-" + System.nanoTime();
    final Path path = ShmNames.path(name);

    @AfterEach
    void cleanUp() throws IOException {
        Files.deleteIfExists(path);
    }

    FramePool create(int count, WaitStrategy wait) {
        return FramePool.builder().shared(name).sharedMemory(PoolBuilder.SharedMemory.FILE).layout(FrameLayout.of(PixelFormat.GRAY8, 64, 16)).count(count)
                .groups("c", "d").jmx(false).waitStrategy(wait).build();
    }

    static MemorySegment map(Path p, Arena arena) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            return ch.map(FileChannel.MapMode.READ_WRITE, 0, ch.size(), arena);
        }
    }

    static long slot(MemorySegment m, int s) {
        return m.get(ValueLayout.JAVA_LONG, ControlBlock.H_SLOTS_OFFSET) + (long) s * ControlBlock.SLOT_BYTES;
    }

    static long holder(MemorySegment m, int s, int g) { return slot(m, s) + ControlBlock.S_HOLDERS + 4L * g; }

    static int submitOne(FramePool pool) {
        Frame f = pool.acquireFree(Duration.ofSeconds(5));
        assertNotNull(f);
        f.fill((byte) 3);
        int s = f.id();
        f.submit();
        return s;
    }

    @Test
    void aFrameClaimedByAnUnusedProcessEntryEndsInAnErrorNamingTheField() throws Exception {
        for (WaitStrategy w : new WaitStrategy[] {WaitStrategy.busySpin(), WaitStrategy.futex()}) {
            try (FramePool pool = create(4, w); Arena arena = Arena.ofConfined()) {
                int s = submitOne(pool);
                MemorySegment m = map(path, arena);
                m.set(ValueLayout.JAVA_INT, holder(m, s, 0), 50); // entry 50 of 64: free
                var e = assertTimeoutPreemptively(BOUND, () -> assertThrows(PoolCorruptedException.class,
                        () -> pool.consumer("c").acquireFilled(Duration.ofSeconds(2))), "acquire ends by itself");
                assertTrue(e.getMessage().contains(path.toString()) && e.getMessage().contains("slot " + s)
                        && e.getMessage().contains("group 'c'") && e.getMessage().contains("process entry 50"), e.getMessage());
                // the other group is not affected
                Frame d = pool.consumer("d").acquireFilled(Duration.ofSeconds(2));
                assertNotNull(d);
                d.release();
            }
            Files.deleteIfExists(path);
        }
    }

    @Test
    void aHolderBeyondTheProcessTableEndsInAnError() throws Exception {
        try (FramePool pool = create(4, WaitStrategy.busySpin()); Arena arena = Arena.ofConfined()) {
            int s = submitOne(pool);
            MemorySegment m = map(path, arena);
            m.set(ValueLayout.JAVA_INT, holder(m, s, 0), -1);
            var e = assertTimeoutPreemptively(BOUND, () -> assertThrows(PoolCorruptedException.class,
                    () -> pool.consumer("c").acquireFilled(Duration.ofSeconds(2))));
            assertTrue(e.getMessage().contains("beyond"), e.getMessage());
        }
    }

    @Test
    void aClaimOfALiveProcessIsWaitedForWithinTheTimeoutAndInterruption() throws Exception {
        try (FramePool pool = create(4, WaitStrategy.busySpin()); Arena arena = Arena.ofConfined()) {
            int s = submitOne(pool);
            MemorySegment m = map(path, arena);
            int self = pool.peers().stream().filter(p -> p.pid() == ProcessHandle.current().pid()).findFirst()
                    .orElseThrow().index();
            m.set(ValueLayout.JAVA_INT, holder(m, s, 0), self); // a live process (this one) seems to be taking it
            assertTimeoutPreemptively(BOUND, () -> assertNull(pool.consumer("c").acquireFilled(Duration.ofMillis(300)),
                    "the timeout is honoured"));
            var result = new AtomicReference<Object>("not returned");
            Thread t = Thread.ofPlatform().start(() -> {
                try {
                    result.set(pool.consumer("c").acquireFilled()); // no timeout
                } catch (RuntimeException e) {
                    result.set(e);
                }
            });
            Thread.sleep(200);
            t.interrupt();
            t.join(BOUND.toMillis());
            assertFalse(t.isAlive(), "interruption ends an acquire without timeout");
            assertNull(result.get(), "an interrupted acquire returns null");
            m.set(ValueLayout.JAVA_INT, holder(m, s, 0), 0);
            Frame f = pool.consumer("c").acquireFilled(Duration.ofSeconds(2));
            assertNotNull(f, "once the claim is cleared the frame is taken");
            f.release();
        }
    }

    @Test
    void aFreeRingFullOfDuplicatesOfAFreeSlotDoesNotStopARelease() throws Exception {
        try (FramePool pool = create(2, WaitStrategy.busySpin()); Arena arena = Arena.ofConfined()) {
            Frame f = pool.acquireFree(Duration.ofSeconds(5));
            MemorySegment m = map(path, arena);
            long ring = m.get(ValueLayout.JAVA_LONG, ControlBlock.H_FREE_RING_OFFSET);
            int capacity = m.get(ValueLayout.JAVA_INT, ControlBlock.H_FREE_RING_CAPACITY);
            long head = (long) LONG.getVolatile(m, ring + ControlBlock.R_HEAD);
            long other = (long) LONG.getVolatile(m, ring + ControlBlock.R_CELLS + (head & (capacity - 1)) * 8) & ((1L << 46) - 1);
            assertEquals(1 - f.id(), (int) (other & 0xFFFF));
            while ((long) LONG.getVolatile(m, ring + ControlBlock.R_TAIL) - head < capacity) {
                CConsumerTest.offerRaw(m, ring, capacity, other);
            }
            f.submit();
            assertTimeoutPreemptively(BOUND, () -> {
                for (String g : new String[] {"c", "d"}) {
                    Frame r = pool.consumer(g).acquireFilled(Duration.ofSeconds(2));
                    assertNotNull(r);
                    r.release(); // the last release queues the slot into the full ring
                }
            });
            Frame a = pool.acquireFree(Duration.ofSeconds(2)), b = pool.acquireFree(Duration.ofSeconds(2));
            assertNotNull(a);
            assertNotNull(b, "no buffer was lost to the duplicates");
            a.close();
            b.close();
        }
    }

    /**
     * Random words written into the live slot descriptors, holders, ring cells and ring indices
     * while a producer and two groups of consumers run: every call ends by itself; the only
     * errors are a corrupt-pool error naming the pool, or a stale frame.
     */
    @Test
    void fuzzedLiveStateNeverHangs() throws Exception {
        Map<String, Integer> outcomes = new TreeMap<>();
        for (WaitStrategy w : new WaitStrategy[] {WaitStrategy.busySpin(), WaitStrategy.futex()}) {
            try (FramePool pool = create(4, w); Arena arena = Arena.ofConfined()) {
                MemorySegment m = map(path, arena);
                int slots = 4, groups = 2;
                long free = m.get(ValueLayout.JAVA_LONG, ControlBlock.H_FREE_RING_OFFSET);
                int cap = m.get(ValueLayout.JAVA_INT, ControlBlock.H_FREE_RING_CAPACITY);
                long groupsOff = m.get(ValueLayout.JAVA_LONG, ControlBlock.H_GROUPS_OFFSET);
                long[] rings = {free, m.get(ValueLayout.JAVA_LONG, groupsOff + ControlBlock.G_RING_OFFSET),
                        m.get(ValueLayout.JAVA_LONG, groupsOff + ControlBlock.GROUP_BYTES + ControlBlock.G_RING_OFFSET)};
                Random rnd = new Random(w.toString().length() * 7919L + 11);
                for (int round = 0; round < 150; round++) {
                    for (int k = 1 + rnd.nextInt(2); k > 0; k--) {
                        long v = switch (rnd.nextInt(4)) {
                            case 0 -> rnd.nextLong();
                            case 1 -> rnd.nextInt(8);
                            case 2 -> (rnd.nextLong(1L << 17) << 47) | (1L << 46) | rnd.nextInt(6); // a FULL cell
                            default -> (long) rnd.nextInt(70);
                        };
                        switch (rnd.nextInt(5)) {
                            case 0 -> LONG.setVolatile(m, slot(m, rnd.nextInt(slots)), v);                   // slot word
                            case 1 -> m.set(ValueLayout.JAVA_INT, holder(m, rnd.nextInt(slots), rnd.nextInt(groups)), (int) v);
                            case 2 -> LONG.setVolatile(m, rings[rnd.nextInt(3)] + ControlBlock.R_CELLS + 8L * rnd.nextInt(cap), v);
                            case 3 -> LONG.setVolatile(m, rings[rnd.nextInt(3)] + (rnd.nextBoolean() ? ControlBlock.R_HEAD
                                    : ControlBlock.R_TAIL), v & 0xFFFF);
                            default -> LONG.setVolatile(m, slot(m, rnd.nextInt(slots)), SlotWordValues.random(rnd));
                        }
                    }
                    assertTimeoutPreemptively(BOUND, () -> step(pool, outcomes), "round " + round + " with " + w);
                }
            }
            Files.deleteIfExists(path);
        }
        System.out.println("hostile live-state fuzz outcomes: " + outcomes);
        assertTrue(outcomes.getOrDefault("frame", 0) > 0, "frames still went through: " + outcomes);
    }

    private static void step(FramePool pool, Map<String, Integer> outcomes) {
        try {
            Frame f = pool.acquireFree(Duration.ofMillis(20));
            if (f != null) {
                f.fill((byte) 1);
                f.submit();
            }
            for (String g : new String[] {"c", "d"}) {
                Frame r = pool.consumer(g).acquireFilled(Duration.ofMillis(20));
                if (r != null) {
                    outcomes.merge("frame", 1, Integer::sum);
                    r.release();
                } else {
                    outcomes.merge("none", 1, Integer::sum);
                }
            }
        } catch (PoolCorruptedException e) {
            assertTrue(e.getMessage().contains("shared pool"), e.getMessage());
            outcomes.merge("corrupt", 1, Integer::sum);
        } catch (FrameStateException e) {
            outcomes.merge("stale", 1, Integer::sum);
        }
    }

    /** Plausible slot words: any phase, random pending and held bits, small generations. */
    static final class SlotWordValues {
        static long random(Random rnd) {
            long phase = rnd.nextInt(4), pending = rnd.nextInt(4), held = rnd.nextInt(4), gen = rnd.nextInt(4);
            return phase | (pending << 2) | (held << 18) | (gen << 34);
        }
    }
}
