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

    /** Where buffer {@code i}'s pages are, where the kind reads it back (e.g. pages per NUMA node), else "". */
    default String placement(int i) { return ""; }

    /**
     * Brackets CPU access to buffer {@code i} (S2.5): {@code begin} true before the CPU reads
     * or writes it, false after. {@code access} is {@link #CPU_READ}, {@link #CPU_WRITE} or
     * both. A DMA-BUF maps this to DMA_BUF_IOCTL_SYNC (cache maintenance for the device);
     * plain memory does nothing. Allocates nothing.
     */
    default void syncCpu(int i, int access, boolean begin) {}

    int CPU_READ = 1;
    int CPU_WRITE = 2;

    /** What the memory actually is, e.g. "anonymous 4 KiB pages, pre-faulted". */
    String backing();

    @Override
    void close();
}
