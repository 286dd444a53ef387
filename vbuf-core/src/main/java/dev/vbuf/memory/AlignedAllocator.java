package dev.vbuf.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Plain off-heap memory, each buffer aligned to 4 KiB (or more), pre-faulted at allocation:
 * {@link Arena#allocate} zero-fills what it returns, which writes every page, so no page
 * fault is left for the first frame. One shared arena holds all buffers; closing the
 * allocation closes it (any later access through a buffer's segment throws instead of
 * touching freed memory).
 */
public final class AlignedAllocator implements Allocator {
    public static final long PAGE = 4096;

    @Override
    public String name() { return "aligned"; }

    @Override
    public Allocation allocate(int count, long bufferBytes, long alignment) {
        checkRequest(count, bufferBytes, alignment);
        Arena arena = Arena.ofShared();
        MemorySegment[] buffers = new MemorySegment[count];
        int i = 0;
        try {
            for (; i < count; i++) {
                buffers[i] = arena.allocate(bufferBytes, Math.max(PAGE, alignment));
            }
        } catch (OutOfMemoryError | RuntimeException e) {
            arena.close();
            throw new BufferAllocationException("could not allocate buffer " + i + " of " + count + " ("
                    + bufferBytes + " bytes each, " + (long) count * bufferBytes
                    + " bytes in all) off-heap: " + e.getMessage()
                    + "; free memory, lower the pool's frame count, or raise -XX:MaxDirectMemorySize if set", e);
        }
        return new Allocation() {
            @Override public int count() { return count; }
            @Override public MemorySegment buffer(int k) { return buffers[k]; }
            @Override public long physicalAddress(int k) { return Pagemap.physicalAddress(buffers[k].address()); }
            @Override public String backing() { return "anonymous 4 KiB pages, aligned " + Math.max(PAGE, alignment) + ", pre-faulted"; }
            @Override public void close() { arena.close(); }
        };
    }

    static void checkRequest(int count, long bufferBytes, long alignment) {
        if (count < 1) {
            throw new IllegalArgumentException("buffer count " + count + " is outside 1.." + Integer.MAX_VALUE + "; ask for at least one buffer");
        }
        if (bufferBytes < 1) {
            throw new IllegalArgumentException("buffer size " + bufferBytes + " bytes is not positive; give the frame size in bytes");
        }
        if (alignment < 1 || Long.bitCount(alignment) != 1 || alignment > (1L << 30)) {
            throw new IllegalArgumentException("alignment " + alignment + " is not a power of two in 1..1 GiB");
        }
    }
}
