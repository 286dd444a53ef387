package dev.vbuf.cli;

import picocli.CommandLine.Option;

/** {@code --memory}: what a pool's buffers are made of (parsed and checked by {@link MemorySpec}). */
final class MemoryOption {
    @Option(names = "--memory", converter = Converters.Memory.class, defaultValue = "aligned",
            description = "Buffer memory: anon/aligned (off-heap, 4 KiB aligned, pre-faulted), memfd (shared memory,"
                    + " one exportable file descriptor per buffer), udmabuf (memfd exported as DMA-BUFs), dmaheap"
                    + " (DMA-BUF heap, falling back to memfd then anon), hugepages (2 MiB pages: explicit, else"
                    + " transparent, as read back from /proc/self/smaps) or zone:NAME (a buddy-allocated zone);"
                    + " add numa:N to bind to a node and locked to mlock (e.g. hugepages,locked,numa:0)."
                    + " With --shared: memfd (what anon/aligned give where the kernel has sealable memfds) = one memfd"
                    + " sealed against shrinking and growing, hugepages = the same in explicit huge pages, dmaheap/udmabuf"
                    + " = one DMA-BUF per buffer, all passed to attaching processes by fd over a Unix socket at the pool's"
                    + " name; file = a /dev/shm file that tools open by path."
                    + " The backing obtained shows in the summary. Default: ${DEFAULT-VALUE}.")
    MemorySpec memory;
}
