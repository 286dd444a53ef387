package dev.vbuf.cli;

import dev.vbuf.format.TestPattern;
import dev.vbuf.pool.Consumer;
import dev.vbuf.pool.Frame;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.locks.LockSupport;

/**
 * The reader thread of one consumer group in {@code vbuf run}. It takes every frame the pool
 * gives its group, records the hand-off latency (now minus the frame's submit time), checks the
 * frame, releases it, and stops after the end-of-stream frame or when the pool closes or the
 * thread is interrupted.
 *
 * <p>Checks, by {@link Mode}: VERIFY compares every data byte with the test pattern of the
 * frame's sequence number and the stamp with {@code frame.sequence()}; SAMPLE does that on every
 * 10th frame it takes and only reads the stamp of the others; SLOW holds each frame for a fixed
 * time, then verifies it fully (a held frame must not have been overwritten meanwhile). Every
 * mode checks that the sequence numbers it sees strictly increase and counts the gaps, which
 * must equal the group's drops.
 *
 * <p>Counters are plain fields written by the reader thread; read them after {@link Thread#join()}.
 */
final class GroupReader implements Runnable {
    enum Mode { VERIFY, SAMPLE, SLOW }

    /** SAMPLE verifies one frame in this many. */
    static final int SAMPLE_EVERY = 10;

    final String name;
    final Mode mode;
    final LatencyStats latency = new LatencyStats();
    private final Consumer consumer;
    private final TestPattern pattern;
    private final long holdNanos;

    long taken;
    long fullyVerified;
    long verifyFailures;
    long sequenceErrors;
    long gaps;
    long lastSequence = -1;
    boolean sawEndOfStream;
    String firstFailure;
    volatile Throwable error;

    GroupReader(String name, Mode mode, Consumer consumer, TestPattern pattern, long holdNanos) {
        this.name = name;
        this.mode = mode;
        this.consumer = consumer;
        this.pattern = pattern;
        this.holdNanos = holdNanos;
    }

    @Override
    public void run() {
        try {
            for (;;) {
                Frame f = consumer.acquireFilled();
                if (f == null) return;
                latency.record(System.nanoTime() - f.submitTimeNs());
                boolean end;
                try {
                    end = check(f);
                } finally {
                    consumer.releaseFilled(f);
                }
                if (end) return;
            }
        } catch (Throwable t) {
            error = t;
        }
    }

    /** Checks one frame; true when it is the last one. */
    private boolean check(Frame f) {
        long seq = f.sequence();
        taken++;
        if (seq <= lastSequence) {
            sequenceErrors++;
            fail("sequence " + seq + " after " + lastSequence + " (not increasing)");
        } else {
            gaps += seq - lastSequence - 1;
            lastSequence = seq;
        }
        if (mode == Mode.SLOW && !hold()) return true;
        MemorySegment seg = f.segment();
        boolean ok = true;
        if (mode != Mode.SAMPLE || (taken - 1) % SAMPLE_EVERY == 0) {
            fullyVerified++;
            long bad = pattern.verify(seg, seq);
            if (bad >= 0) {
                ok = false;
                fail("frame " + f.id() + " sequence " + seq + ": byte at offset " + bad + " differs from the test pattern");
            }
        }
        if (ok) {
            long stamp = pattern.readSequence(seg);
            if (stamp != seq) {
                ok = false;
                fail("frame " + f.id() + " sequence " + seq + ": stamp reads " + stamp);
            }
        }
        if (!ok) verifyFailures++;
        sawEndOfStream = f.isEndOfStream();
        return sawEndOfStream;
    }

    /** Holds the frame for {@code holdNanos}; false when interrupted. */
    private boolean hold() {
        long until = System.nanoTime() + holdNanos;
        for (long left = holdNanos; left > 0; left = until - System.nanoTime()) {
            LockSupport.parkNanos(left);
            if (Thread.currentThread().isInterrupted()) return false;
        }
        return true;
    }

    private void fail(String what) {
        if (firstFailure == null) firstFailure = what;
    }
}
