package dev.vbuf.sizing;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Locale;

/**
 * The result of {@link PoolSizer#plan}: how many frames a pool needs, why, and how much memory
 * they take. Use {@link #working()} to show the arithmetic.
 *
 * @param fps             frame rate the plan is for, frames per second
 * @param maxLatency      longest time a submitted frame is held downstream
 * @param transferLatency bus transfer time per frame
 * @param decodeLatency   decoder latency per frame
 * @param bytesPerFrame   size of one frame buffer in bytes
 * @param minFrames       the minimum asked for (0: none)
 * @param base            ⌈fps × maxLatency⌉, frames
 * @param safety          ⌈fps × 2 × (transferLatency + decodeLatency)⌉, frames
 * @param producer        frames for the buffer the producer is filling ({@link PoolSizer#PRODUCER_FRAMES})
 * @param frames          max(minFrames, base + safety + producer): the pool size
 * @param totalBytes      frames × bytesPerFrame
 */
public record PoolPlan(double fps, Duration maxLatency, Duration transferLatency, Duration decodeLatency,
                       long bytesPerFrame, int minFrames, int base, int safety, int producer, int frames,
                       long totalBytes) {

    /**
     * Checks that the numbers agree with each other.
     *
     * @throws IllegalArgumentException if frames is not max(minFrames, base + safety + producer)
     *                                  or totalBytes is not frames × bytesPerFrame; obtain plans
     *                                  from {@link PoolSizer#plan} rather than building them
     */
    public PoolPlan {
        if (maxLatency == null || transferLatency == null || decodeLatency == null) {
            throw new IllegalArgumentException("PoolPlan latencies must not be null; use PoolSizer.plan(...)");
        }
        if (base < 0 || safety < 0 || producer < 0 || minFrames < 0 || bytesPerFrame < 1
                || frames != Math.max(minFrames, base + safety + producer)
                || totalBytes != (long) frames * bytesPerFrame) {
            throw new IllegalArgumentException("Inconsistent PoolPlan: frames " + frames + " must be max(minFrames "
                    + minFrames + ", base " + base + " + safety " + safety + " + producer " + producer
                    + ") and totalBytes " + totalBytes + " must be frames × bytesPerFrame " + bytesPerFrame
                    + "; use PoolSizer.plan(...)");
        }
    }

    /** @return the pool size in frames (same as {@link #frames()}) */
    public int poolSize() {
        return frames;
    }

    /**
     * A multi-line explanation of every step with its units, like a worked example, ending with
     * a note on seed 000's arithmetic (the seed's own worked example is called out when these are
     * its inputs: 120 fps, 16 ms, 2 ms, 3 ms). Plain ASCII, so it prints on any console.
     *
     * @return the text, lines separated by '\n'
     */
    public String working() {
        String f = PoolSizer.fpsDecimal(fps).toPlainString();
        BigDecimal lat = Durations.seconds(maxLatency);
        BigDecimal tr = Durations.seconds(transferLatency);
        BigDecimal dec = Durations.seconds(decodeLatency);
        BigDecimal rate = PoolSizer.fpsDecimal(fps);
        BigDecimal baseExact = rate.multiply(lat).stripTrailingZeros();
        BigDecimal sum = tr.add(dec).stripTrailingZeros();
        BigDecimal twice = sum.multiply(BigDecimal.valueOf(PoolSizer.SAFETY_FACTOR)).stripTrailingZeros();
        BigDecimal safetyExact = rate.multiply(twice).stripTrailingZeros();
        StringBuilder b = new StringBuilder();
        b.append("Pool plan for ").append(f).append(" fps, max latency ").append(Durations.format(maxLatency))
                .append(", transfer ").append(Durations.format(transferLatency))
                .append(", decode ").append(Durations.format(decodeLatency))
                .append(", ").append(group(bytesPerFrame)).append(" bytes per frame:\n");
        b.append("  base     = ceil(fps x max latency)\n");
        b.append("           = ceil(").append(f).append(" frames/s x ").append(plain(lat)).append(" s) = ceil(")
                .append(plain(baseExact)).append(" frames) = ").append(frames(base)).append('\n');
        b.append("  safety   = ceil(fps x 2 x (transfer + decode))\n");
        b.append("           = ceil(").append(f).append(" frames/s x 2 x (").append(plain(tr)).append(" s + ")
                .append(plain(dec)).append(" s)) = ceil(").append(f).append(" frames/s x ").append(plain(twice))
                .append(" s) = ceil(").append(plain(safetyExact)).append(" frames) = ").append(frames(safety)).append('\n');
        b.append("  producer = ").append(frames(producer))
                .append(" (the buffer the producer is filling; not yet submitted, so in neither term above)\n");
        b.append("  frames   = max(minimum, base + safety + producer) = max(").append(minFrames).append(", ")
                .append(base).append(" + ").append(safety).append(" + ").append(producer).append(") = ")
                .append(frames(frames)).append('\n');
        b.append("  memory   = frames x bytes per frame = ").append(frames).append(" x ").append(group(bytesPerFrame))
                .append(" bytes = ").append(group(totalBytes)).append(" bytes (").append(mib(totalBytes)).append(")\n");
        if (isSeedExample()) {
            b.append("  note: this example is often worked as ceil(120 x 0.016) + 2 x (2ms + 3ms) = 192 frames + 10 = 202 frames.\n");
            b.append("        But ceil(120 x 0.016) = ceil(1.92) = 2, not 192; and 2 x (2 ms + 3 ms) = 10 ms is a time,\n");
            b.append("        not a number of frames: at 120 fps it is ceil(120 x 0.010) = ceil(1.2) = 2 frames.\n");
            b.append("        Correct: 2 + 2 = 4 frames, plus 1 producer frame = 5 frames (docs/SIZING.md).");
        } else {
            b.append("  note: 2 x (transfer + decode) is a time, not a number of frames;\n");
            b.append("        here that time is converted to frames at the stream's rate (docs/SIZING.md).");
        }
        return b.toString();
    }

    private boolean isSeedExample() {
        return fps == 120.0 && maxLatency.equals(Duration.ofMillis(16)) && transferLatency.equals(Duration.ofMillis(2))
                && decodeLatency.equals(Duration.ofMillis(3));
    }

    private static String plain(BigDecimal d) {
        return d.stripTrailingZeros().toPlainString();
    }

    private static String frames(int n) {
        return n + (n == 1 ? " frame" : " frames");
    }

    private static String group(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    private static String mib(long bytes) {
        if (bytes >= 1L << 30) {
            return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
        }
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
    }

    /** @return a one-line summary, e.g. "PoolPlan[5 frames = base 2 + safety 2 + producer 1; 5 x 132710400 = 663552000 bytes]" */
    @Override
    public String toString() {
        return "PoolPlan[" + frames + " frames = " + (frames > base + safety + producer ? "minimum " + minFrames
                + " (formula gave " + (base + safety + producer) + ")" : "base " + base + " + safety " + safety
                + " + producer " + producer) + "; " + frames + " x " + bytesPerFrame + " = " + totalBytes + " bytes]";
    }
}
