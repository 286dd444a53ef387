package dev.vbuf.sizing;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;

/**
 * How many frame buffers a stream needs (SPEC S1.6, seed 000 "Cálculo de Pool Size"), with units
 * that agree and exact arithmetic.
 *
 * <h2>Formula</h2>
 * Every term is a number of frames:
 * <pre>
 *   base     = ⌈fps × maxLatency⌉                        frames/s × s = frames
 *   safety   = ⌈fps × 2 × (transferLatency + decodeLatency)⌉   frames/s × s = frames
 *   producer = {@value #PRODUCER_FRAMES}
 *   frames   = max(minFrames, base + safety + producer)
 *   memory   = frames × bytesPerFrame                      bytes
 * </pre>
 *
 * <p><b>base</b> is Little's law: frames arrive at {@code fps} per second and each is held
 * downstream (queued, encoded, sent, displayed) for up to {@code maxLatency}, so up to
 * {@code fps × maxLatency} frames are in flight at once, rounded up because a partly used
 * buffer is still a buffer.
 *
 * <p><b>safety</b> is seed 000's {@code ΔSeguridad = 2 × (LatenciaPCIe + LatenciaDecodificador)}.
 * That expression is a <em>time</em>; the seed adds it to a frame count as if 10 ms were
 * 10 frames. vbuf converts it to frames at the stream's rate, the way {@code base} is: the
 * frames that arrive during twice the transfer plus decode time.
 *
 * <p><b>producer</b>: the frame the producer is filling has been acquired but not yet submitted,
 * so it is in neither of the terms above, which count frames from submit to release. Without it
 * a pool of exactly {@code base + safety} buffers is full whenever the downstream stages are at
 * their bound, and the producer must wait for a release before it can start the next frame —
 * the lock-step the sizing exists to avoid (with one frame in flight it degenerates to a single
 * buffer shared by producer and consumer, where double buffering is the known minimum). vbuf
 * therefore adds one frame and shows it as its own line in {@link PoolPlan#working()}; the seed's
 * formula has no such term.
 *
 * <h2>Exactness</h2>
 * The products are computed in {@link BigDecimal} from the decimal value of {@code fps} (as
 * {@link Double#toString(double)} prints it, so 59.94 is 59.94) and durations in whole
 * nanoseconds: {@code ⌈60 × 0.016⌉ = ⌈0.96⌉ = 1}, {@code ⌈120 × 0.016⌉ = ⌈1.92⌉ = 2} and
 * {@code ⌈50 × 0.02⌉ = ⌈1.00⌉ = 1} exactly, with no floating-point rounding to push an exact
 * product over the next integer.
 */
public final class PoolSizer {

    /** Largest accepted frame rate, in frames per second. */
    public static final double MAX_FPS = 1000.0;
    /** Longest accepted latency (maximum, transfer or decode). */
    public static final Duration MAX_LATENCY = Duration.ofSeconds(60);
    /** Largest accepted minimum number of frames. */
    public static final int MAX_MIN_FRAMES = 1 << 20;
    /** Factor seed 000 applies to transfer plus decode latency. */
    public static final int SAFETY_FACTOR = 2;
    /** Frames added for the buffer the producer is filling (see the class comment). */
    public static final int PRODUCER_FRAMES = 1;

    private PoolSizer() {
    }

    /**
     * Plans a pool with no minimum number of frames.
     *
     * @param fps             frame rate, &gt; 0 and ≤ {@value #MAX_FPS}
     * @param maxLatency      longest time a submitted frame is held downstream, &gt; 0 and ≤ 60 s
     * @param transferLatency bus transfer time per frame (seed 000's PCIe latency), 0..60 s
     * @param decodeLatency   decoder latency per frame, 0..60 s
     * @param bytesPerFrame   size of one frame buffer, ≥ 1 (e.g. {@code FrameLayout.frameBytes()})
     * @return the plan
     * @throws IllegalArgumentException naming the input, its accepted range and what to do
     */
    public static PoolPlan plan(double fps, Duration maxLatency, Duration transferLatency, Duration decodeLatency,
                                long bytesPerFrame) {
        return plan(fps, maxLatency, transferLatency, decodeLatency, bytesPerFrame, 0);
    }

    /**
     * Plans a pool.
     *
     * @param fps             frame rate, &gt; 0 and ≤ {@value #MAX_FPS}
     * @param maxLatency      longest time a submitted frame is held downstream, &gt; 0 and ≤ 60 s
     * @param transferLatency bus transfer time per frame (seed 000's PCIe latency), 0..60 s
     * @param decodeLatency   decoder latency per frame, 0..60 s
     * @param bytesPerFrame   size of one frame buffer, ≥ 1 (e.g. {@code FrameLayout.frameBytes()})
     * @param minFrames       the pool has at least this many frames, 0..{@value #MAX_MIN_FRAMES}
     *                        (0: no minimum)
     * @return the plan
     * @throws IllegalArgumentException naming the input, its accepted range and what to do
     */
    public static PoolPlan plan(double fps, Duration maxLatency, Duration transferLatency, Duration decodeLatency,
                                long bytesPerFrame, int minFrames) {
        if (!(fps > 0) || fps > MAX_FPS) {
            throw new IllegalArgumentException("Frame rate " + fps + " fps is out of range: it must be greater than 0 and at most "
                    + (int) MAX_FPS + " frames per second. Pass the stream's frame rate, e.g. 60 or 59.94.");
        }
        checkLatency("Maximum latency", maxLatency, false);
        checkLatency("Transfer latency", transferLatency, true);
        checkLatency("Decode latency", decodeLatency, true);
        if (bytesPerFrame < 1) {
            throw new IllegalArgumentException("Bytes per frame " + bytesPerFrame + " is out of range: it must be at least 1."
                    + " Pass the frame buffer size, e.g. FrameLayout.of(format, width, height).frameBytes().");
        }
        if (minFrames < 0 || minFrames > MAX_MIN_FRAMES) {
            throw new IllegalArgumentException("Minimum frames " + minFrames + " is out of range: it must be between 0 and "
                    + MAX_MIN_FRAMES + ". Pass 0 for no minimum.");
        }
        BigDecimal rate = fpsDecimal(fps);
        int base = ceilFrames(rate.multiply(Durations.seconds(maxLatency)));
        int safety = ceilFrames(rate.multiply(BigDecimal.valueOf(SAFETY_FACTOR))
                .multiply(Durations.seconds(transferLatency).add(Durations.seconds(decodeLatency))));
        int frames = Math.max(minFrames, base + safety + PRODUCER_FRAMES);
        long totalBytes;
        try {
            totalBytes = Math.multiplyExact(frames, bytesPerFrame);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("Pool of " + frames + " frames × " + bytesPerFrame
                    + " bytes per frame overflows a 64-bit byte count; check bytes per frame (" + bytesPerFrame + ")");
        }
        return new PoolPlan(fps, maxLatency, transferLatency, decodeLatency, bytesPerFrame, minFrames,
                base, safety, PRODUCER_FRAMES, frames, totalBytes);
    }

    /**
     * Parses a duration such as {@code "16ms"}; the same as {@link Durations#parse(String)}.
     *
     * @param text the text to parse
     * @return the duration
     * @throws IllegalArgumentException if the text is not a duration
     */
    public static Duration parseDuration(String text) {
        return Durations.parse(text);
    }

    /** The exact decimal value of a frame rate as {@link Double#toString(double)} prints it. */
    static BigDecimal fpsDecimal(double fps) {
        return new BigDecimal(Double.toString(fps)).stripTrailingZeros();
    }

    private static int ceilFrames(BigDecimal frames) {
        return frames.setScale(0, RoundingMode.CEILING).intValueExact();
    }

    private static void checkLatency(String what, Duration d, boolean zeroAllowed) {
        if (d == null) {
            throw new IllegalArgumentException(what + " is missing (null); pass a duration such as Duration.ofMillis(16)"
                    + " or Durations.parse(\"16ms\")");
        }
        boolean tooSmall = zeroAllowed ? d.isNegative() : (d.isNegative() || d.isZero());
        if (tooSmall || d.compareTo(MAX_LATENCY) > 0) {
            throw new IllegalArgumentException(what + " " + Durations.format(d) + " is out of range: it must be "
                    + (zeroAllowed ? "between 0 and 60 s" : "greater than 0 and at most 60 s")
                    + ". Pass it as e.g. 16ms, 2.5ms or 500us.");
        }
    }
}
