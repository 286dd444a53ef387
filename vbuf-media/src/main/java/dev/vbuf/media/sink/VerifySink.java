package dev.vbuf.media.sink;

import dev.vbuf.format.TestPattern;
import dev.vbuf.media.Sink;
import dev.vbuf.media.StreamInfo;
import dev.vbuf.pool.Frame;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.locks.LockSupport;

/**
 * Checks a stream of the {@link dev.vbuf.media.TestSource test pattern} frame by frame, in place
 * in the pool buffer: the verifier groups of {@code vbuf run}.
 *
 * <p>By {@link Mode}: VERIFY compares every data byte with the pattern of the frame's picture
 * number ({@code pts}) and checks the stamp; SAMPLE does that on every {@value #SAMPLE_EVERY}th
 * frame it takes and only reads the stamp of the others; SLOW holds each frame for a fixed time
 * first, then verifies it fully (a held frame must not have been overwritten meanwhile). Every
 * mode checks that the pool's sequence numbers it sees strictly increase and counts the gaps:
 * frames dropped for its group, or taken by another consumer of the same group (another process
 * reading a shared pool's group).
 *
 * <p>Counters are written by the sink's thread only; {@link #intervalLatency()} may be called
 * from any one other thread (the status line). Read the rest after the pipeline returned.
 */
public final class VerifySink implements Sink {
    /** What a group does with each frame. */
    public enum Mode { VERIFY, SAMPLE, SLOW }

    /** SAMPLE verifies one frame in this many. */
    public static final int SAMPLE_EVERY = 10;
    private static final long HIGHEST_NANOS = 60_000_000_000L;

    private final String name;
    private final Mode mode;
    private final long holdNanos;
    private final Recorder latency = new Recorder(HIGHEST_NANOS, 3);
    private final Histogram total = new Histogram(HIGHEST_NANOS, 3);
    private Histogram interval;
    private TestPattern pattern;

    private volatile long taken;
    private long fullyVerified, verifyFailures, sequenceErrors, gaps, lastSequence = -1;
    private boolean finished;
    private String firstFailure;

    /**
     * @param name      the group's name, for messages
     * @param holdNanos SLOW: how long each frame is held; ignored by the other modes
     */
    public VerifySink(String name, Mode mode, long holdNanos) {
        if (mode == Mode.SLOW && holdNanos <= 0) throw new IllegalArgumentException("a SLOW verifier needs a hold time above 0");
        this.name = name;
        this.mode = mode;
        this.holdNanos = holdNanos;
    }

    @Override
    public void open(StreamInfo info) {
        pattern = new TestPattern(info.layout());
    }

    @Override
    public void accept(Frame f) {
        try {
            long sub = f.submitTimeNs();
            if (sub > 0) latency.recordValue(Math.max(0, Math.min(HIGHEST_NANOS, System.nanoTime() - sub)));
            check(f);
        } finally {
            f.close();
        }
    }

    private void check(Frame f) {
        long seq = f.sequence();
        long pts = f.pts();
        long n = taken + 1;
        taken = n;
        if (seq <= lastSequence) {
            sequenceErrors++;
            fail("sequence " + seq + " after " + lastSequence + " (not increasing)");
        } else {
            gaps += seq - lastSequence - 1;
            lastSequence = seq;
        }
        if (mode == Mode.SLOW && !hold()) return;
        MemorySegment seg = f.segment();
        boolean ok = true;
        if (mode != Mode.SAMPLE || (n - 1) % SAMPLE_EVERY == 0) {
            fullyVerified++;
            long bad = pattern.verify(seg, pts);
            if (bad >= 0) {
                ok = false;
                fail("picture " + pts + " (buffer " + f.id() + "): byte at offset " + bad + " differs from the test pattern");
            }
        }
        if (ok) {
            long stamp = pattern.readSequence(seg);
            if (stamp != pts) {
                ok = false;
                fail("picture " + pts + " (buffer " + f.id() + "): its stamp reads " + stamp);
            }
        }
        if (!ok) verifyFailures++;
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

    @Override
    public void finish() {
        finished = true;
    }

    @Override
    public String summary() {
        return name + ": " + taken + " frames, " + fullyVerified + " verified, " + (verifyFailures + sequenceErrors) + " bad";
    }

    @Override
    public void close() {
        if (pattern != null) pattern.close();
    }

    public String name() { return name; }
    public Mode mode() { return mode; }
    /** Frames this sink took (its group's frames taken by other processes are not counted). */
    public long taken() { return taken; }
    public long fullyVerified() { return fullyVerified; }
    /** Frames whose pixels or stamp differ from the pattern. */
    public long verifyFailures() { return verifyFailures; }
    /** Frames whose sequence number did not increase. */
    public long sequenceErrors() { return sequenceErrors; }
    /** Sequence numbers skipped between frames this sink took. */
    public long gaps() { return gaps; }
    /** The last sequence number taken, -1 before the first. */
    public long lastSequence() { return lastSequence; }
    /** True once the stream ended normally for this sink. */
    public boolean finished() { return finished; }
    /** What went wrong first, or null. */
    public String firstFailure() { return firstFailure; }

    /**
     * Hand-off latencies (submit → this sink has the frame) recorded since the previous call, in
     * nanoseconds; also added to {@link #totalLatency()}. One caller thread at a time.
     */
    public synchronized Histogram intervalLatency() {
        interval = latency.getIntervalHistogram(interval);
        total.add(interval);
        return interval;
    }

    /** Every latency recorded (call after the pipeline returned). */
    public synchronized Histogram totalLatency() {
        intervalLatency();
        return total;
    }
}
