package dev.vbuf.memory;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Shared memory (S2.2): each buffer is its own memfd ({@code memfd_create} with
 * {@code MFD_CLOEXEC | MFD_ALLOW_SEALING}), sized with {@code ftruncate} and mapped
 * {@code MAP_SHARED | MAP_POPULATE}, so it is pre-faulted at allocation and
 * {@link Allocation#fd(int)} exports it: another process that receives the descriptor (or a
 * device, through udmabuf) maps the same pages, with no copy. All-or-nothing: a failure part
 * way unmaps and closes what was made, then throws {@link BufferAllocationException}.
 */
public final class MemfdAllocator implements Allocator {
    private static final long PAGE = AlignedAllocator.PAGE;

    @Override
    public String name() { return "memfd"; }

    @Override
    public Allocation allocate(int count, long bufferBytes, long alignment) {
        AlignedAllocator.checkRequest(count, bufferBytes, alignment);
        if (alignment > PAGE) {
            throw new IllegalArgumentException("memfd buffers are page aligned (4096); alignment " + alignment
                    + " needs the aligned or huge-page allocator");
        }
        long mapped = (bufferBytes + PAGE - 1) & -PAGE;
        List<MemorySegment> maps = new ArrayList<>(count);
        int[] fds = new int[count];
        int made = 0;
        try {
            for (; made < count; made++) {
                fds[made] = Native.memfdCreate("vbuf-" + made, Native.MFD_CLOEXEC | Native.MFD_ALLOW_SEALING);
                try {
                    Native.ftruncate(fds[made], mapped);
                    maps.add(Native.mmap(mapped, Native.PROT_READ | Native.PROT_WRITE,
                            Native.MAP_SHARED | Native.MAP_POPULATE, fds[made], 0));
                } catch (RuntimeException e) {
                    Native.close(fds[made]);
                    throw e;
                }
            }
        } catch (NativeException e) {
            free(maps, fds, made);
            throw new BufferAllocationException("could not allocate memfd buffer " + made + " of " + count + " ("
                    + bufferBytes + " bytes each): " + e.getMessage()
                    + "; check free memory and the open-file limit (ulimit -n), or use fewer buffers", e);
        }
        MemorySegment[] buffers = new MemorySegment[count];
        for (int i = 0; i < count; i++) buffers[i] = maps.get(i).asSlice(0, bufferBytes);
        return new Allocation() {
            private boolean closed;
            @Override public int count() { return count; }
            @Override public MemorySegment buffer(int i) { return buffers[i]; }
            @Override public long physicalAddress(int i) { return Pagemap.physicalAddress(buffers[i].address()); }
            @Override public int fd(int i) { return fds[i]; }
            @Override public String backing() { return "memfd shared memory, one file per buffer, pre-faulted (MAP_POPULATE)"; }
            @Override public synchronized void close() {
                if (closed) return;
                closed = true;
                free(maps, fds, count);
            }
        };
    }

    private static void free(List<MemorySegment> maps, int[] fds, int n) {
        for (MemorySegment m : maps) Native.munmap(m);
        for (int i = 0; i < n; i++) Native.close(fds[i]);
    }
}
