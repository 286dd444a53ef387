package dev.vbuf.memory;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * A buddy allocator over a range of {@code blocks} blocks of {@code blockBytes} (2 MiB in a
 * zone) (S2.4). It hands out offsets, not memory: a run of 2^k blocks starting at a multiple
 * of 2^k blocks. Freeing a run merges it with its buddy (the run it was split from) as long
 * as that buddy is free, so after everything is freed the range is back to its largest
 * blocks. A range that is not a power of two is covered by its largest aligned power-of-two
 * pieces, which never merge with each other.
 *
 * <p>Statistics: free bytes, the largest free block, fragmentation (1 - largest free block /
 * free bytes: 0 when all free memory is one block), and the allocations refused for
 * fragmentation although the free bytes would have been enough. Not thread-safe: a
 * {@link Zones} zone calls it under its own lock (pools are built and closed rarely).
 */
public final class BuddyAllocator {
    private final long blockBytes;
    private final long blocks;
    private final int maxOrder;
    /** free[k]: start blocks of free runs of 2^k blocks. */
    private final TreeSet<Long>[] free;
    /** Allocated runs: start block -> order. */
    private final Map<Long, Integer> allocated = new HashMap<>();
    private long freeBlocks;
    private long failedForFragmentation;
    private long failedForSpace;

    @SuppressWarnings("unchecked")
    public BuddyAllocator(long blocks, long blockBytes) {
        if (blocks < 1) throw new IllegalArgumentException("a buddy allocator needs at least 1 block, got " + blocks);
        if (blockBytes < 1) throw new IllegalArgumentException("block size " + blockBytes + " is not positive");
        this.blocks = blocks;
        this.blockBytes = blockBytes;
        this.maxOrder = 63 - Long.numberOfLeadingZeros(blocks);
        this.free = new TreeSet[maxOrder + 1];
        for (int k = 0; k <= maxOrder; k++) free[k] = new TreeSet<>();
        long at = 0;
        for (int k = maxOrder; k >= 0; k--) {
            if ((blocks & (1L << k)) != 0) {
                free[k].add(at);
                at += 1L << k;
            }
        }
        freeBlocks = blocks;
    }

    public long blockBytes() { return blockBytes; }
    public long totalBytes() { return blocks * blockBytes; }
    public long freeBytes() { return freeBlocks * blockBytes; }

    /** Bytes of the largest free run (what one allocation can get at most). */
    public long largestFreeBytes() {
        for (int k = maxOrder; k >= 0; k--) if (!free[k].isEmpty()) return (1L << k) * blockBytes;
        return 0;
    }

    /** 1 - largest free block / free bytes; 0 when nothing is free or all free memory is one block. */
    public double fragmentation() {
        long f = freeBytes();
        return f == 0 ? 0 : 1.0 - (double) largestFreeBytes() / f;
    }

    /** Allocations refused although the free bytes were enough: the free memory was in pieces too small. */
    public long failedForFragmentation() { return failedForFragmentation; }

    /** Allocations refused because there were not enough free bytes at all. */
    public long failedForSpace() { return failedForSpace; }

    /** The size an allocation of {@code bytes} takes: the next power-of-two count of blocks. */
    public long roundedBytes(long bytes) { return blocksFor(bytes) * blockBytes; }

    private long blocksFor(long bytes) {
        long n = Math.max(1, (bytes + blockBytes - 1) / blockBytes);
        return Long.highestOneBit(n) == n ? n : Long.highestOneBit(n) << 1;
    }

    /** A run for {@code bytes}: its byte offset in the range, or -1 when no free run is large enough. */
    public long allocate(long bytes) {
        if (bytes < 1) throw new IllegalArgumentException("allocation of " + bytes + " bytes; ask for at least 1");
        long n = blocksFor(bytes);
        int order = 63 - Long.numberOfLeadingZeros(n);
        int k = order;
        while (k <= maxOrder && free[k].isEmpty()) k++;
        if (k > maxOrder) {
            if (freeBlocks >= n) failedForFragmentation++;
            else failedForSpace++;
            return -1;
        }
        long start = free[k].pollFirst();
        while (k > order) { // split, keeping the upper half free
            k--;
            free[k].add(start + (1L << k));
        }
        allocated.put(start, order);
        freeBlocks -= n;
        return start * blockBytes;
    }

    /** Frees the run at {@code offset} (as returned by {@link #allocate}), merging it with free buddies. */
    public void free(long offset) {
        if (offset < 0 || offset % blockBytes != 0) {
            throw new IllegalArgumentException("offset " + offset + " was not returned by this allocator");
        }
        long start = offset / blockBytes;
        Integer order = allocated.remove(start);
        if (order == null) throw new IllegalArgumentException("offset " + offset + " is not allocated (double free?)");
        freeBlocks += 1L << order;
        int k = order;
        while (k < maxOrder) {
            long buddy = start ^ (1L << k);
            // The buddy must exist inside the same power-of-two piece of the range.
            long pieceEnd = pieceEnd(Math.min(start, buddy), k + 1);
            if (pieceEnd < 0 || !free[k].remove(buddy)) break;
            start = Math.min(start, buddy);
            k++;
        }
        free[k].add(start);
    }

    /** End of a run of 2^order blocks at start if it lies inside one initial piece, else -1. */
    private long pieceEnd(long start, int order) {
        long at = 0;
        for (int k = maxOrder; k >= 0; k--) {
            if ((blocks & (1L << k)) != 0) {
                long end = at + (1L << k);
                if (start >= at && start + (1L << order) <= end) return start + (1L << order);
                at = end;
            }
        }
        return -1;
    }

    /** The runs allocated now: start offset -> bytes (a copy, for checks and reports). */
    public Map<Long, Long> allocatedRuns() {
        Map<Long, Long> m = new HashMap<>();
        allocated.forEach((s, o) -> m.put(s * blockBytes, (1L << o) * blockBytes));
        return m;
    }

    /** Free runs per size: bytes -> count. */
    public Map<Long, Integer> freeRuns() {
        Map<Long, Integer> m = new java.util.TreeMap<>();
        for (int k = 0; k <= maxOrder; k++) if (!free[k].isEmpty()) m.put((1L << k) * blockBytes, free[k].size());
        return m;
    }
}
