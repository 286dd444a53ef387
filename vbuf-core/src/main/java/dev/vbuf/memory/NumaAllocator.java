package dev.vbuf.memory;

import dev.vbuf.sys.Abi;
import dev.vbuf.sys.Numa;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Memory bound to one NUMA node (S2.2, S0.1), over any other kind of memory (aligned, memfd,
 * huge pages): the pages are placed on the node while the inner allocator pre-faults them
 * (the calling thread's policy is {@code set_mempolicy(MPOL_BIND, node)} for the duration of
 * the allocation, then restored), then every buffer is {@code mbind}-ed to the node with
 * {@code MPOL_MF_MOVE | MPOL_MF_STRICT}, so a page that landed elsewhere is moved or the
 * allocation fails. Finally the placement is read back, page by page, with
 * {@code move_pages(nodes = NULL)} and reported per buffer ({@link Allocation#placement(int)}) and for the
 * pool ({@link Allocation#backing()}): never assumed.
 *
 * <p>A node the machine does not have is refused before anything is allocated, with the list
 * of the nodes it has. Must be called from a platform thread (the memory policy is a property
 * of the OS thread).
 */
public final class NumaAllocator implements Allocator {
    private final Allocator inner;
    private final int node;

    public NumaAllocator(Allocator inner, int node) {
        this.inner = inner;
        this.node = node;
    }

    public NumaAllocator(int node) { this(new AlignedAllocator(), node); }

    public int node() { return node; }

    @Override
    public String name() { return inner.name() + "+numa:" + node; }

    @Override
    public Allocation allocate(int count, long bufferBytes, long alignment) {
        NumaNodes.check(node);
        if (Thread.currentThread().isVirtual()) {
            throw new IllegalStateException("NUMA-bound memory must be allocated on a platform thread (the memory policy"
                    + " belongs to the OS thread, and a virtual thread can change carrier); build the pool on a platform thread");
        }
        Allocation a;
        Numa.setMempolicy(node);
        try {
            a = inner.allocate(count, bufferBytes, alignment);
        } finally {
            Numa.setMempolicy(-1);
        }
        int maxNode = NumaNodes.online().stream().mapToInt(Integer::intValue).max().orElse(0);
        long[][] perBuffer = new long[count][];
        long[] total = new long[maxNode + 2];
        try {
            for (int i = 0; i < count; i++) {
                MemorySegment b = a.buffer(i);
                Numa.mbind(pageRange(b), node, Abi.MPOL_MF_MOVE | Abi.MPOL_MF_STRICT);
                perBuffer[i] = Numa.pagesPerNode(b, maxNode);
                for (int k = 0; k < total.length; k++) total[k] += perBuffer[i][k];
            }
        } catch (NativeException e) {
            a.close();
            throw new BufferAllocationException("could not bind " + count + " buffers of " + bufferBytes
                    + " bytes to NUMA node " + node + ": " + e.getMessage() + "; node memory: " + NumaNodes.nodes(), e);
        }
        String report = describe(total);
        return new Allocation() {
            @Override public int count() { return a.count(); }
            @Override public MemorySegment buffer(int i) { return a.buffer(i); }
            @Override public long physicalAddress(int i) { return a.physicalAddress(i); }
            @Override public int fd(int i) { return a.fd(i); }
            @Override public String placement(int i) { return describe(perBuffer[i]); }
            @Override public void syncCpu(int i, int access, boolean begin) { a.syncCpu(i, access, begin); }
            @Override public String backing() { return a.backing() + ", bound to NUMA node " + node + " (mbind): " + report; }
            @Override public void close() { a.close(); }
        };
    }

    /** The buffer widened to whole pages (mbind wants a page-aligned start). */
    private static MemorySegment pageRange(MemorySegment b) {
        long page = AlignedAllocator.PAGE;
        long start = b.address() & -page;
        long end = (b.address() + b.byteSize() + page - 1) & -page;
        return MemorySegment.ofAddress(start).reinterpret(end - start);
    }

    /** "pages on node 1: 768 of 768 (read back with move_pages)". */
    static String describe(long[] counts) {
        long all = 0;
        for (long c : counts) all += c;
        StringBuilder sb = new StringBuilder("pages per node (move_pages):");
        for (int k = 0; k < counts.length - 1; k++) if (counts[k] > 0) sb.append(" node ").append(k).append(' ').append(counts[k]);
        if (counts[counts.length - 1] > 0) sb.append(" not present ").append(counts[counts.length - 1]);
        return sb.append(" of ").append(all).toString();
    }

    /** Pages of {@code seg} per node now, index = node, last = on no node. */
    public static long[] placementOf(MemorySegment seg) {
        List<Integer> nodes = NumaNodes.online();
        return Numa.pagesPerNode(seg, nodes.stream().mapToInt(Integer::intValue).max().orElse(0));
    }
}
