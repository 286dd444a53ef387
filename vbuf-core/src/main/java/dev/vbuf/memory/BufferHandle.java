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
    private final Consumer<MemorySegment> deleter;
    private final AtomicBoolean closed = new AtomicBoolean();

    public BufferHandle(MemorySegment segment, long physicalAddress, Consumer<MemorySegment> deleter) {
        this.segment = Objects.requireNonNull(segment, "segment");
        if (physicalAddress < 0) {
            throw new IllegalArgumentException("physical address " + physicalAddress + " is negative; pass 0 when unknown");
        }
        this.physicalAddress = physicalAddress;
        this.deleter = deleter;
    }

    public MemorySegment segment() { return segment; }
    public long physicalAddress() { return physicalAddress; }
    public long size() { return segment.byteSize(); }

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
