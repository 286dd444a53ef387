package dev.vbuf.media;

import dev.vbuf.pool.Frame;

import java.io.IOException;

/**
 * Where frames go: a file writer, an encoder, a checksum, a display, nothing.
 *
 * <h2>Contract</h2>
 * <ol>
 *   <li>{@link #open(StreamInfo)} once, before the pool is built and before the source
 *       produces its first picture, on the thread that called {@link Pipeline#run}: a sink that
 *       cannot open its output (a directory that does not exist, a name no writer takes) fails
 *       the run before any work is done ({@link Pipeline.OpenException}).</li>
 *   <li>{@link #accept(Frame)} once per frame, in the order the sink's consumer group receives
 *       them (submission order: one producer thread gives picture order; with several reader
 *       threads order is not guaranteed and {@link Frame#pts()} says which picture it is).
 *       <b>The frame's ownership passes to the sink</b>: the sink must release it exactly once
 *       ({@link Frame#release()} or {@code close()}), either before returning (a writer, a
 *       checksum) or later, from any thread (an encoder that keeps the picture as a reference
 *       until FFmpeg drops its last reference; a display that keeps the frame on screen until
 *       the next flip). A sink must not hold more frames than the pool can spare; it says how
 *       many it may hold at once in {@link #maxHeldFrames()}, so the pipeline can size the pool.</li>
 *   <li>{@link #finish()} once, after the last frame (end of stream): flush the encoder, write
 *       the trailer, release every frame still held.</li>
 *   <li>{@link #close()} frees the sink's resources; it releases any frame still held (after
 *       an error, {@code finish} may not have run).</li>
 * </ol>
 * Frames carry the {@link Source} metadata: {@code pts} = picture number, dimensions, format,
 * capture time. Count copies of pixel data in {@link MediaCounters#copies} (0 on zero-copy paths).
 */
public interface Sink extends AutoCloseable {

    /** Called once before the first frame. */
    void open(StreamInfo info) throws IOException;

    /** Takes one frame; the sink now owns it and releases it, now or later. */
    void accept(Frame frame) throws IOException;

    /** End of stream: flush, write trailers, release every held frame. */
    void finish() throws IOException;

    /** Frames this sink may hold at once after {@code accept} returned (0 for sinks that release before returning). */
    default int maxHeldFrames() {
        return 0;
    }

    /** One line for the summary: what was written and where ("wrote clip.mkv: 120 frames, FFV1, 3.1 MB"). */
    String summary();

    @Override
    void close() throws IOException;
}
