package dev.vbuf.media;

import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;

import java.io.IOException;

/**
 * Where frames come from: a file reader, a decoder, a capture device, the test pattern.
 *
 * <h2>Contract</h2>
 * <ol>
 *   <li>Opening the source (its constructor or factory) reads enough to fill {@link #info()}:
 *       layout, buffer size, rate, frame count. Nothing is read into a pool yet.</li>
 *   <li>The pipeline builds the pool: it first asks {@link #createPool(PoolRequest)}; a source
 *       that owns its buffer memory (V4L2 MMAP buffers, a framebuffer) builds the pool there
 *       (EXTERNAL buffers) and returns it; the default returns {@code null} and the pipeline
 *       builds an ordinary pool of {@link StreamInfo#bufferBytes()} buffers with
 *       {@link StreamInfo#layout()}.</li>
 *   <li>{@link #produce(FramePool, MediaCounters)} runs on one pipeline thread (a source that
 *       wants several threads, or several reads in flight, starts and joins them inside) and
 *       blocks until the input ends, {@link MediaCounters#stopRequested()} turns true, or an
 *       error. For every picture it: {@code pool.acquireFree(..)}, writes the pixels <em>in
 *       place</em> into {@link Frame#plane(int)} / {@link Frame#segment()}, sets the metadata
 *       and {@link Frame#submit() submits}:
 *       <ul>
 *         <li>{@code pts(n)}: the picture's number in the input, 0-based (restarting at 0 on
 *             each pass when looping); sinks that check content rely on it;</li>
 *         <li>{@code captureTimeNs(System.nanoTime())} when the picture was read, decoded or
 *             captured (the source's own clock for capture devices);</li>
 *         <li>{@code dimensions}, {@code format}, {@code payloadSize} when they differ from the
 *             pool layout's defaults; {@code flags(Frame.FLAG_KEY_FRAME | ...)}.</li>
 *       </ul>
 *       It counts what it did in {@link MediaCounters}: frames, bytes, every copy of pixel data
 *       it had to make (0 on a zero-copy path), its own drops.</li>
 *   <li>It never submits an end-of-stream frame: the pipeline does that after {@code produce}
 *       returns. On error it aborts (closes) every frame it still holds before throwing, so the
 *       pool has every slot back; errors about the input are {@link MediaException}s naming the
 *       input, the frame number and the byte offset where known.</li>
 *   <li>{@link #close()} frees what the source opened (files, rings, codec contexts). It is
 *       called after {@code produce} returned and before the pool is closed.</li>
 * </ol>
 */
public interface Source extends AutoCloseable {

    /** What this source delivers. Available right after opening, before any frame. */
    StreamInfo info();

    /**
     * Builds the pool when the source owns the buffer memory (V4L2 MMAP, framebuffer); the
     * default {@code null} lets the pipeline build an ordinary pool for {@link #info()}.
     *
     * @param request what the pipeline wants: frame count (from the sizer or {@code --pool}),
     *                consumer groups, overflow policy, allocator
     * @return the pool, or {@code null}
     */
    default FramePool createPool(PoolRequest request) {
        return null;
    }

    /**
     * Frames this source may hold at once (acquired and not yet submitted): 1 for a simple
     * reader, the reads in flight for io_uring, the reference frames of a decoder, the buffers
     * queued in a capture driver. The pipeline sizes the pool so that the source and the sinks
     * together can never hold all of it.
     */
    default int maxHeldFrames() {
        return 1;
    }

    /**
     * Writes every picture into pool buffers and submits them (see the class contract).
     *
     * @param pool     the pool to fill
     * @param counters where to count frames, bytes, copies and latency; also carries the stop request
     * @throws IOException          on a read or device error
     * @throws MediaException       on bad input (names the input, frame number, byte offset)
     * @throws InterruptedException when the thread is interrupted while waiting for a buffer
     */
    void produce(FramePool pool, MediaCounters counters) throws IOException, InterruptedException;

    @Override
    void close() throws IOException;
}
