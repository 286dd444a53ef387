package dev.vbuf.memory;

import java.lang.foreign.MemorySegment;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * An external buffer with a lifetime and a deleter (seed 001's BufferHandle): closing the
 * handle runs the deleter once (cudaFree, munmap, an arena's close ...). A pool built from
 * handles takes ownership of them and closes them when it closes. {@link #isAlive()} is the
 * weak_ptr of the seed: false once the handle is closed or the segment's scope is gone, and
 * a pool never touches a buffer whose handle is no longer alive.
 */
public final class BufferHandle implements AutoCloseable {
    private final MemorySegment segment;
    private final long physicalAddress;
    private final int fd;
    private final Consumer<MemorySegment> deleter;
    private final AtomicBoolean closed = new AtomicBoolean();

    public BufferHandle(MemorySegment segment, long physicalAddress, Consumer<MemorySegment> deleter) {
        this(segment, physicalAddress, -1, deleter);
    }

    /**
     * A handle whose memory is also exported by a file descriptor (a DMA-BUF, e.g. from
     * VIDIOC_EXPBUF or a DMA-BUF heap), reported by the pool as the frame's {@code fd()}.
     * The deleter owns the descriptor: the pool never closes it itself.
     *
     * @param fd the descriptor, or -1 when there is none
     */
    public BufferHandle(MemorySegment segment, long physicalAddress, int fd, Consumer<MemorySegment> deleter) {
        this.segment = Objects.requireNonNull(segment, "segment");
        if (physicalAddress < 0) {
            throw new IllegalArgumentException("physical address " + physicalAddress + " is negative; pass 0 when unknown");
        }
        if (fd < -1) throw new IllegalArgumentException("file descriptor " + fd + " is negative; pass -1 when there is none");
        this.physicalAddress = physicalAddress;
        this.fd = fd;
        this.deleter = deleter;
    }

    public MemorySegment segment() { return segment; }
    public long physicalAddress() { return physicalAddress; }
    public long size() { return segment.byteSize(); }
    /** The DMA-BUF or memfd descriptor exporting this memory, else -1. */
    public int fd() { return fd; }

    /** True until {@link #close()} runs or the segment's scope is closed by its owner. */
    public boolean isAlive() { return !closed.get() && segment.scope().isAlive(); }

    /** Runs the deleter, once. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true) && deleter != null) {
            deleter.accept(segment);
        }
    }
}
