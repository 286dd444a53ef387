package dev.vbuf.pool;

import dev.vbuf.stats.PoolStats;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A producer's reference kept across publish ({@link FramePool#submitKeepingReference}): the
 * decoder's reference picture is one more holder of the slot. The frame goes to the groups at
 * once; the slot is IDLE again only when every group released it and the reference is dropped,
 * in either order; while kept it is never taken back or reused; misuse and crash rules as for
 * any holder. Runs on every backing and both paths.
 */
@org.junit.jupiter.api.Timeout(value = 5, unit = TimeUnit.MINUTES)
abstract class DecoderReferenceConformance extends PoolConformance {

    FramePool pool(int count, Overflow overflow, String... groups) {
        return builder().count(count).bufferSize(4096).groups(groups).overflow(overflow).jmx(false).build();
    }

    @Test
    void theGroupsGetTheFrameAtOnceAndTheSlotWaitsForTheReference() {
        try (FramePool pool = pool(2, Overflow.BLOCK, "a", "b")) {
            Frame f = pool.tryAcquireFree();
            f.setLong(0, 42);
            int id = f.id();
            Frame ref = pool.submitKeepingReference(f);
            assertTrue(ref.isReference());
            assertFalse(ref.isProducerSide());
            assertNull(ref.group());
            assertEquals(id, ref.id());
            assertEquals(FrameState.READY_FOR_CONSUME, ref.state(), "queued for the groups");
            BufferInfo info = pool.getBufferById(id).orElseThrow();
            assertEquals(List.of("decoder"), info.heldBy());
            assertEquals(List.of("a", "b", "decoder"), info.pendingGroups());
            assertEquals(3, info.refCount(), "two groups and the reference");
            assertTrue(pool.validateAllBuffers());

            Frame a = pool.consumer("a").tryAcquireFilled();
            Frame b = pool.consumer("b").tryAcquireFilled();
            assertEquals(42, a.getLong(0));
            assertEquals(FrameState.LOCKED_BY_CONSUMER, a.state());
            a.release();
            b.release();
            assertEquals(FrameState.HELD_BY_DECODER, pool.getBufferById(id).orElseThrow().state());
            assertEquals(42, ref.getLong(0), "the reference still reads the picture");
            PoolStats st = pool.stats();
            assertEquals(1, st.heldByDecoder());
            assertEquals(1, st.references());
            assertEquals(1, st.idle());
            assertEquals(st.total(), st.idle() + st.producerLocked() + st.ready() + st.consumerLocked() + st.retired()
                    + st.heldByDecoder());
            assertEquals(1, pool.getHeldByDecoderCount());
            assertTrue(pool.validateAllBuffers());

            pool.releaseReference(ref);
            assertFalse(ref.isOpen());
            assertEquals(FrameState.IDLE, pool.getBufferById(id).orElseThrow().state());
            assertEquals(2, pool.getFreeCount());
            assertEquals(0, pool.stats().references());
            assertTrue(pool.validateAllBuffers());
        }
    }

    @Test
    void theReferenceMayGoFirst() {
        try (FramePool pool = pool(2, Overflow.BLOCK, "a")) {
            Frame f = pool.tryAcquireFree();
            int id = f.id();
            Frame ref = pool.submitKeepingReference(f);
            ref.close(); // close drops a reference
            assertFalse(ref.isOpen());
            assertEquals(FrameState.READY_FOR_CONSUME, pool.getBufferById(id).orElseThrow().state());
            Frame c = pool.tryAcquireFilled();
            assertEquals(id, c.id());
            assertEquals(1, c.refCount());
            c.release();
            assertEquals(2, pool.getFreeCount());
            assertEquals(0, pool.stats().groups().getFirst().dropped());
            assertTrue(pool.validateAllBuffers());
        }
    }

    @Test
    void releaseFilledOnAReferenceDropsIt() {
        try (FramePool pool = pool(1, Overflow.BLOCK, "a")) {
            Frame ref = pool.submitKeepingReference(pool.tryAcquireFree());
            pool.tryAcquireFilled().release();
            pool.releaseFilled(ref);
            assertEquals(1, pool.getFreeCount());
        }
    }

    @Test
    void aKeptFrameIsNeverTakenBackNorReused() {
        for (Overflow policy : Overflow.values()) {
            try (FramePool pool = pool(2, policy, "a")) {
                // one kept and unread by the group, one kept and read: neither may be reclaimed
                Frame r0 = pool.submitKeepingReference(pool.tryAcquireFree());
                Frame r1 = pool.submitKeepingReference(pool.tryAcquireFree());
                Frame c = pool.tryAcquireFilled();
                c.release();
                assertNull(pool.tryAcquireFree(), policy + ": both buffers are held by the decoder");
                assertEquals(0, pool.stats().reclaims(), policy.name());
                pool.releaseReference(r0.id() == c.id() ? r0 : r1);
                Frame again = pool.tryAcquireFree();
                assertNotNull(again, policy.name());
                assertEquals(c.id(), again.id(), policy + ": the buffer both holders left");
                again.close();
                pool.releaseReference(r0.id() == c.id() ? r1 : r0);
            }
        }
    }

    @Test
    void misuseIsRefusedAndNamed() {
        try (FramePool pool = pool(2, Overflow.BLOCK, "a")) {
            Frame f = pool.tryAcquireFree();
            Frame ref = pool.submitKeepingReference(f);
            var submit = assertThrows(FrameStateException.class, () -> pool.submitFilled(ref));
            assertTrue(submit.getMessage().contains("releaseReference"), submit.getMessage());
            assertThrows(FrameStateException.class, () -> ref.flags(1), "a reference is read-only");
            assertThrows(FrameStateException.class, () -> pool.abort(ref));
            Frame c = pool.tryAcquireFilled();
            var notRef = assertThrows(FrameStateException.class, () -> pool.releaseReference(c));
            assertTrue(notRef.getMessage().contains("releaseFilled"), notRef.getMessage());
            Frame p = pool.tryAcquireFree();
            assertThrows(FrameStateException.class, () -> pool.releaseReference(p));
            p.close();
            c.release();
            pool.releaseReference(ref);
            var twice = assertThrows(StaleFrameException.class, () -> pool.releaseReference(ref));
            assertTrue(twice.getMessage().startsWith("releaseReference"), twice.getMessage());
            assertThrows(StaleFrameException.class, () -> ref.getLong(0), "no access after the reference is dropped");
            assertThrows(StaleFrameException.class, () -> pool.submitKeepingReference(f), "a submitted frame");
            assertEquals(2, pool.getFreeCount());
            assertTrue(pool.validateAllBuffers());
        }
    }

    @Test
    void sixteenGroupsLeaveNoBitForAReference() {
        String[] groups = new String[FramePool.MAX_GROUPS];
        for (int g = 0; g < groups.length; g++) groups[g] = "g" + g;
        try (FramePool pool = pool(1, Overflow.BLOCK, groups)) {
            Frame f = pool.tryAcquireFree();
            var e = assertThrows(IllegalStateException.class, () -> pool.submitKeepingReference(f));
            assertTrue(e.getMessage().contains("at most 15 groups"), e.getMessage());
            assertTrue(f.isOpen(), "nothing happened to the frame");
            f.close();
            assertEquals(1, pool.getFreeCount());
        }
    }

    @Test
    void aDeadDecodersReferencesAreDroppedByRecovery() {
        try (FramePool pool = pool(2, Overflow.BLOCK, "a")) {
            org.junit.jupiter.api.Assumptions.assumeTrue(pool.isShared(), "recovery is per process: shared pools only");
            Frame unread = pool.submitKeepingReference(pool.tryAcquireFree());
            Frame read = pool.submitKeepingReference(pool.tryAcquireFree());
            Frame c = pool.tryAcquireFilled();
            int readId = c.id();
            c.release();
            assertTrue(pool.ownersOf(readId).contains("held by the decoder #"), pool.ownersOf(readId));
            assertEquals(FrameState.HELD_BY_DECODER, pool.getBufferById(readId).orElseThrow().state());
            // what the monitor of a survivor does for a dead process: everything its entry held
            pool.recovery().recoverOwner(pool.handOff().me);
            assertEquals(FrameState.IDLE, pool.getBufferById(readId).orElseThrow().state());
            int unreadId = readId == unread.id() ? read.id() : unread.id();
            assertEquals(FrameState.READY_FOR_CONSUME, pool.getBufferById(unreadId).orElseThrow().state(),
                    "the group still gets the frame: a lost reference is no drop");
            assertEquals("-", pool.ownersOf(unreadId));
            Frame late = pool.tryAcquireFilled();
            assertEquals(unreadId, late.id());
            late.release();
            assertEquals(0, pool.stats().groups().getFirst().dropped());
            assertEquals(2, pool.getFreeCount());
            assertThrows(StaleFrameException.class, () -> pool.releaseReference(read));
            assertTrue(pool.validateAllBuffers());
        }
    }

    /**
     * A producer keeps a reference to every frame it publishes; a "codec" thread holds up to
     * {@code DPB} of them and drops them in a shuffled order, checking that the picture did not
     * change while it was kept; consumers of two groups check every frame's checksum at take and
     * just before release. At the end every frame reached every group once, in order, and every
     * slot is IDLE.
     */
    @Test
    void referencesDroppedOutOfOrderWhileGroupsRead() throws Exception {
        final int frames = (int) Math.min(1_000_000, Long.getLong("vbuf.stress.frames", 20_000) / 2); // 10,000 by default
        final int dpb = 4;
        String[] groups = {"out", "check"};
        try (FramePool pool = builder().count(dpb + 6).bufferSize(4096).groups(groups).overflow(Overflow.BLOCK)
                .waitStrategy(WaitStrategy.spinYield()).jmx(false).build()) {
            var failures = new ConcurrentLinkedQueue<String>();
            var kept = new ConcurrentLinkedQueue<Frame>();
            var producerDone = new AtomicBoolean();
            BitSet[] seen = {new BitSet(), new BitSet()};
            List<Thread> threads = new ArrayList<>();
            for (int g = 0; g < groups.length; g++) {
                final int gi = g;
                Consumer consumer = pool.consumer(groups[g]);
                threads.add(Thread.ofPlatform().name("reader-" + groups[g]).start(() -> {
                    long last = -1;
                    while (true) {
                        Frame f = consumer.acquireFilled(Duration.ofMillis(50));
                        if (f == null) {
                            if (producerDone.get() && pool.stats().groups().get(gi).lag() == 0) break;
                            continue;
                        }
                        long n = f.getLong(0);
                        if (!intact(f, n)) failures.add(groups[gi] + ": frame " + n + " torn at take");
                        if (n <= last) failures.add(groups[gi] + ": frame " + n + " after " + last);
                        last = n;
                        seen[gi].set((int) n);
                        Thread.onSpinWait();
                        if (!intact(f, n)) failures.add(groups[gi] + ": frame " + n + " changed while held");
                        f.release();
                    }
                }));
            }
            var codecDone = new AtomicBoolean();
            threads.add(Thread.ofPlatform().name("codec").start(() -> {
                var dpbFrames = new ArrayList<Frame>();
                var expect = new ArrayList<Long>();
                var rnd = new SplittableRandom(16);
                while (true) {
                    Frame r = kept.poll();
                    if (r == null) {
                        if (producerDone.get() && kept.isEmpty()) break;
                        Thread.onSpinWait();
                        continue;
                    }
                    dpbFrames.add(r);
                    expect.add(r.getLong(0));
                    while (dpbFrames.size() > rnd.nextInt(dpb + 1)) {
                        int i = rnd.nextInt(dpbFrames.size());
                        Frame d = dpbFrames.remove(i);
                        long n = expect.remove(i);
                        if (!intact(d, n)) failures.add("codec: reference " + n + " changed while kept");
                        pool.releaseReference(d);
                    }
                }
                for (Frame d : dpbFrames) pool.releaseReference(d);
                codecDone.set(true);
            }));
            for (long n = 0; n < frames; n++) {
                Frame f = pool.acquireFree(Duration.ofSeconds(30));
                assertNotNull(f, "a free buffer for frame " + n + ": " + pool.stats());
                f.setLong(0, n);
                for (int k = 1; k < 64; k++) f.setLong(8L * k, pattern(n, k));
                kept.add(pool.submitKeepingReference(f));
            }
            producerDone.set(true);
            for (Thread t : threads) t.join(TimeUnit.MINUTES.toMillis(2));
            for (Thread t : threads) assertFalse(t.isAlive(), t.getName() + " did not finish: " + pool.stats());
            assertTrue(failures.isEmpty(), () -> failures.size() + " failures, first: " + failures.peek());
            assertTrue(codecDone.get());
            for (int g = 0; g < groups.length; g++) assertEquals(frames, seen[g].cardinality(), groups[g]);
            PoolStats st = pool.stats();
            assertEquals(st.total(), st.idle(), st::toString);
            assertEquals(0, st.references());
            assertEquals(0, st.drops());
            assertTrue(pool.validateAllBuffers());
        }
    }

    private static long pattern(long n, int k) { return (n * 0x9E3779B97F4A7C15L) ^ ((long) k << 40) ^ k; }

    private static boolean intact(Frame f, long n) {
        if (f.getLong(0) != n) return false;
        for (int k = 1; k < 64; k++) if (f.getLong(8L * k) != pattern(n, k)) return false;
        return true;
    }
}
