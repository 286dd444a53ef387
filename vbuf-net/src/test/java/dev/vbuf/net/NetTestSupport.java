package dev.vbuf.net;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.TestPattern;
import dev.vbuf.pool.Consumer;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import dev.vbuf.pool.Overflow;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Pools, threads and checks shared by the network tests. */
final class NetTestSupport {
    private NetTestSupport() {}

    static int freeUdpPort() {
        try (var s = new DatagramSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String unicast(int port) { return "aeron:udp?endpoint=127.0.0.1:" + port; }

    static FramePool pool(FrameLayout layout, int buffers, Overflow policy, String... groups) {
        return FramePool.builder().layout(layout).count(buffers).overflow(policy).groups(groups).jmx(false)
                .recordTimestamps(true).build();
    }

    /** Writes frames 0..n-1 with the test pattern (pts = its number), then marks the end of the stream. */
    static Thread produce(FramePool pool, TestPattern pattern, int n, long pauseNanos) {
        return start("producer", () -> {
            for (int i = 0; i < n; i++) {
                Frame f = pool.acquireFree(Duration.ofSeconds(60));
                if (f == null) throw new IllegalStateException("no free frame for 60 s at frame " + i);
                pattern.write(f.segment(), i);
                f.pts(i).captureTimeNs(System.nanoTime());
                f.submit();
                if (pauseNanos > 0) java.util.concurrent.locks.LockSupport.parkNanos(pauseNanos);
            }
            pool.markEndOfStream();
        });
    }

    static final List<Throwable> FAILURES = new ArrayList<>();

    static Thread start(String name, Runnable r) {
        Thread t = new Thread(() -> {
            try {
                r.run();
            } catch (Throwable e) {
                synchronized (FAILURES) { FAILURES.add(e); }
                e.printStackTrace();
            }
        }, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    static void join(Thread t, Duration d) throws InterruptedException {
        t.join(d.toMillis());
        if (t.isAlive()) fail(t.getName() + " still runs after " + d.toSeconds() + " s");
        synchronized (FAILURES) {
            if (!FAILURES.isEmpty()) {
                Throwable e = FAILURES.removeFirst();
                FAILURES.clear();
                throw new AssertionError(t.getName() + " failed", e);
            }
        }
    }

    /** What a checking reader saw. */
    record Seen(List<Long> pts, long failures, String firstFailure) {}

    /**
     * Reads a group until the pool's stream ends (or {@code idle} passes without a frame): every
     * frame's bytes against the pattern of its pts, pts increasing, the pool's sequence increasing.
     */
    static Seen check(Consumer group, TestPattern pattern, Duration idle) {
        var pts = new ArrayList<Long>();
        long failures = 0, lastSeq = -1;
        String first = null;
        long idleSince = System.nanoTime();
        while (true) {
            Frame f = group.acquireFilled(Duration.ofMillis(50));
            if (f == null) {
                if (group.pool().endOfStream() && group.lag() == 0) break;
                if (System.nanoTime() - idleSince > idle.toNanos()) break;
                continue;
            }
            idleSince = System.nanoTime();
            try {
                long p = f.pts();
                long bad = pattern.verify(f.segment(), p);
                String why = bad >= 0 ? "frame " + p + ": byte " + bad + " differs from the pattern"
                        : !pts.isEmpty() && p <= pts.getLast() ? "frame " + p + " after " + pts.getLast()
                        : f.sequence() <= lastSeq ? "pool sequence " + f.sequence() + " after " + lastSeq
                        : pattern.readSequence(f.segment()) != p ? "stamp " + pattern.readSequence(f.segment()) + " in frame " + p
                        : null;
                if (why != null) {
                    failures++;
                    if (first == null) first = why;
                }
                lastSeq = f.sequence();
                pts.add(p);
            } finally {
                group.releaseFilled(f);
            }
        }
        return new Seen(pts, failures, first);
    }

    /** Every buffer of the pool is free again (none lost by an abort or a drop). */
    static void allFree(FramePool pool) {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (pool.getFreeCount() != pool.getTotalCount() && System.nanoTime() < deadline) Thread.onSpinWait();
        assertEquals(pool.getTotalCount(), pool.getFreeCount(), "free buffers of " + pool.name() + ":\n" + pool.buffersReport());
    }

    /** A receiver polling on its own thread until stopped or the stream ends. */
    static final class RunningReceiver implements AutoCloseable {
        final FrameReceiver receiver;
        final AtomicBoolean running = new AtomicBoolean(true);
        final Thread thread;
        final AtomicReference<Throwable> error = new AtomicReference<>();

        RunningReceiver(FrameReceiver receiver) {
            this.receiver = receiver;
            this.thread = start("receiver", () -> receiver.run(running::get));
        }

        void awaitConnected(Duration d) {
            long deadline = System.nanoTime() + d.toNanos();
            while (receiver.senders() == 0 && System.nanoTime() < deadline) Thread.onSpinWait();
            assertTrue(receiver.senders() > 0, "no sender connected within " + d.toSeconds() + " s");
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            join(thread, Duration.ofSeconds(30));
            receiver.close();
        }
    }
}
