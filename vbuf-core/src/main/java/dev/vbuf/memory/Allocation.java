package dev.vbuf.memory;

import java.lang.foreign.MemorySegment;

/** The buffers one {@link Allocator#allocate} call produced; closing it frees them all. */
public interface Allocation extends AutoCloseable {
    int count();

    /** Buffer {@code i}, exactly the requested size. */
    MemorySegment buffer(int i);

    /** Physical address of buffer {@code i}'s first byte where the system exposes it (see {@link Pagemap}), else 0. */
    default long physicalAddress(int i) { return 0; }

    /** A file descriptor (DMA-BUF or memfd) that exports buffer {@code i}, else -1. */
    default int fd(int i) { return -1; }

    /** What the memory actually is, e.g. "anonymous 4 KiB pages, pre-faulted". */
    String backing();

    @Override
    void close();
}
