package dev.vbuf.media;

import dev.vbuf.format.PixelFormat;

/**
 * How to open an input (the CLI's --reader, --threads, --loop, --size, --format, --fps).
 *
 * @param reader  file reader for raw / Y4M files: {@code mmap}, {@code direct} (O_DIRECT) or
 *                {@code io_uring}; ignored by other sources
 * @param threads producer threads (file readers), ≥ 1
 * @param loop    start again at the first picture at the end of the input
 * @param width   picture width for inputs that do not say (raw files, capture), 0 = source default
 * @param height  picture height, as width
 * @param format  pixel format for inputs that do not say, null = source default
 * @param fps     frame rate for inputs that do not say (raw files) or to ask a device for, 0 = default
 * @param queueDepth reads in flight per thread for io_uring (≥ 1)
 * @param allowTruncated an input that ends early (or has a damaged packet) is a counted warning
 *                instead of an error (the CLI's --allow-truncated)
 * @param convert a decoded picture format vbuf has no pixel format for is converted to the nearest
 *                one it has (libswscale, one counted copy per picture) instead of refused (the CLI's
 *                --convert)
 */
public record SourceOptions(String reader, int threads, boolean loop, int width, int height, PixelFormat format,
                            double fps, int queueDepth, boolean allowTruncated, boolean convert) {
    public SourceOptions(String reader, int threads, boolean loop, int width, int height, PixelFormat format, double fps,
                         int queueDepth, boolean allowTruncated) {
        this(reader, threads, loop, width, height, format, fps, queueDepth, allowTruncated, false);
    }

    public SourceOptions(String reader, int threads, boolean loop, int width, int height, PixelFormat format, double fps,
                         int queueDepth) {
        this(reader, threads, loop, width, height, format, fps, queueDepth, false);
    }

    public SourceOptions {
        if (reader == null) reader = "mmap";
        if (threads < 1) throw new IllegalArgumentException("threads " + threads + " is below 1");
        if (queueDepth < 1) throw new IllegalArgumentException("queue depth " + queueDepth + " is below 1");
    }

    public static SourceOptions defaults() {
        return new SourceOptions("mmap", 1, false, 0, 0, null, 0, 4);
    }

    public SourceOptions withReader(String r) { return new SourceOptions(r, threads, loop, width, height, format, fps, queueDepth, allowTruncated, convert); }
    public SourceOptions withThreads(int t) { return new SourceOptions(reader, t, loop, width, height, format, fps, queueDepth, allowTruncated, convert); }
    public SourceOptions withLoop(boolean l) { return new SourceOptions(reader, threads, l, width, height, format, fps, queueDepth, allowTruncated, convert); }
    public SourceOptions withSize(int w, int h) { return new SourceOptions(reader, threads, loop, w, h, format, fps, queueDepth, allowTruncated, convert); }
    public SourceOptions withFormat(PixelFormat f) { return new SourceOptions(reader, threads, loop, width, height, f, fps, queueDepth, allowTruncated, convert); }
    public SourceOptions withFps(double f) { return new SourceOptions(reader, threads, loop, width, height, format, f, queueDepth, allowTruncated, convert); }
    public SourceOptions withAllowTruncated(boolean a) {
        return new SourceOptions(reader, threads, loop, width, height, format, fps, queueDepth, a, convert);
    }
    public SourceOptions withConvert(boolean c) {
        return new SourceOptions(reader, threads, loop, width, height, format, fps, queueDepth, allowTruncated, c);
    }
}
