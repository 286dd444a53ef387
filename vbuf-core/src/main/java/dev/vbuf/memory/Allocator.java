package dev.vbuf.memory;

/**
 * A strategy that obtains the memory of a pool's buffers (S2.1). Allocation happens when the
 * pool is built (the REQBUFS moment), never lazily on first touch; it is all-or-nothing: an
 * allocator that fails part way frees what it had and throws {@link BufferAllocationException}.
 * Memory is freed centrally, when the pool closes the returned {@link Allocation}.
 */
public interface Allocator {
    /** A short name for statistics, e.g. "aligned". */
    String name();

    /**
     * Allocates {@code count} buffers of {@code bufferBytes} each, every buffer starting at a
     * multiple of {@code alignment} (a power of two, at least 4096).
     */
    Allocation allocate(int count, long bufferBytes, long alignment);
}
