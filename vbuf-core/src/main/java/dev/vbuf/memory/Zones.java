package dev.vbuf.memory;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One large region of memory partitioned into named zones that pools draw from (S2.4, seed
 * 004's zones, seed 000's "one 2 MiB-aligned arena"). The region is obtained once from another
 * allocator (huge pages by default, so each 2 MiB block is one huge page where the system
 * gives them) and each zone is a contiguous part of it managed by a {@link BuddyAllocator}
 * with 2 MiB blocks. {@link #zone(String)} is an {@link Allocator}: a pool built with it takes
 * its buffers from that zone and gives them back when it closes.
 *
 * <pre>
 *   region (one mapping, 2 MiB aligned)
 *   +----------------------+--------------------------+-----------+
 *   | zone "capture"       | zone "encode"            | zone ...  |
 *   | buddy over n blocks  | buddy over m blocks      |           |
 *   +----------------------+--------------------------+-----------+
 * </pre>
 */
public final class Zones implements AutoCloseable {
    public static final long BLOCK = HugePageAllocator.HUGE_PAGE;

    /** A zone's figures now. */
    public record ZoneStats(String name, long totalBytes, long freeBytes, long largestFreeBytes, double fragmentation,
                            long failedForFragmentation, long failedForSpace) {
        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "zone '%s': %d of %d bytes free, largest free block %d,"
                            + " fragmentation %.2f, failed for fragmentation %d, failed for space %d",
                    name, freeBytes, totalBytes, largestFreeBytes, fragmentation, failedForFragmentation, failedForSpace);
        }
    }

    private final Allocation region;
    private final Map<String, Zone> zones = new LinkedHashMap<>();

    /**
     * @param sizes   zone name -> bytes (each rounded up to 2 MiB blocks)
     * @param backing where the region comes from (e.g. {@link HugePageAllocator}, {@link AlignedAllocator})
     */
    public Zones(Map<String, Long> sizes, Allocator backing) {
        if (sizes.isEmpty()) throw new IllegalArgumentException("no zones given; name at least one zone with its size");
        long total = 0;
        for (var e : sizes.entrySet()) {
            if (e.getKey() == null || e.getKey().isBlank()) throw new IllegalArgumentException("a zone needs a name");
            if (e.getValue() < 1) throw new IllegalArgumentException("zone '" + e.getKey() + "' size " + e.getValue() + " is not positive");
            total += (e.getValue() + BLOCK - 1) / BLOCK * BLOCK;
        }
        this.region = backing.allocate(1, total, BLOCK);
        MemorySegment mem = region.buffer(0);
        long at = 0;
        for (var e : sizes.entrySet()) {
            long bytes = (e.getValue() + BLOCK - 1) / BLOCK * BLOCK;
            zones.put(e.getKey(), new Zone(e.getKey(), mem.asSlice(at, bytes), new BuddyAllocator(bytes / BLOCK, BLOCK)));
            at += bytes;
        }
    }

    /** Zones over huge-page memory. */
    public Zones(Map<String, Long> sizes) { this(sizes, new HugePageAllocator()); }

    /** The zone named {@code name}; the error lists the zones there are. */
    public Zone zone(String name) {
        Zone z = zones.get(name);
        if (z == null) throw new IllegalArgumentException("no zone '" + name + "'; the zones are " + zones.keySet());
        return z;
    }

    public List<ZoneStats> stats() {
        List<ZoneStats> l = new ArrayList<>();
        for (Zone z : zones.values()) l.add(z.stats());
        return l;
    }

    /** What the region is (the backing allocator's read-back). */
    public String backing() { return region.backing(); }

    @Override
    public void close() { region.close(); }

    /** One zone: an allocator whose buffers are runs of its 2 MiB blocks. */
    public static final class Zone implements Allocator {
        private final String name;
        private final MemorySegment memory;
        private final BuddyAllocator buddy;

        Zone(String name, MemorySegment memory, BuddyAllocator buddy) {
            this.name = name;
            this.memory = memory;
            this.buddy = buddy;
        }

        @Override
        public String name() { return "zone:" + name; }

        public synchronized ZoneStats stats() {
            return new ZoneStats(name, buddy.totalBytes(), buddy.freeBytes(), buddy.largestFreeBytes(),
                    buddy.fragmentation(), buddy.failedForFragmentation(), buddy.failedForSpace());
        }

        @Override
        public synchronized Allocation allocate(int count, long bufferBytes, long alignment) {
            AlignedAllocator.checkRequest(count, bufferBytes, alignment);
            if (alignment > BLOCK) throw new IllegalArgumentException("alignment " + alignment + " is over a zone's 2 MiB blocks");
            long[] offsets = new long[count];
            for (int i = 0; i < count; i++) {
                offsets[i] = buddy.allocate(bufferBytes);
                if (offsets[i] < 0) {
                    ZoneStats s = stats(); // as the refusal saw it, before the runs taken are given back
                    for (int k = 0; k < i; k++) buddy.free(offsets[k]);
                    long need = buddy.roundedBytes(bufferBytes);
                    throw new BufferAllocationException("zone '" + name + "' cannot give buffer " + i + " of " + count
                            + " (" + bufferBytes + " bytes, a run of " + need + " bytes): "
                            + (s.freeBytes() >= need ? "fragmented: " : "full: ") + s
                            + "; make the zone larger or close pools that use it");
                }
            }
            MemorySegment[] buffers = new MemorySegment[count];
            for (int i = 0; i < count; i++) buffers[i] = memory.asSlice(offsets[i], bufferBytes);
            Zone self = this;
            return new Allocation() {
                private boolean closed;
                @Override public int count() { return count; }
                @Override public MemorySegment buffer(int i) { return buffers[i]; }
                @Override public long physicalAddress(int i) { return Pagemap.physicalAddress(buffers[i].address()); }
                @Override public String backing() {
                    return "zone '" + name + "' (buddy allocator, 2 MiB blocks, " + count + " runs of "
                            + buddy.roundedBytes(bufferBytes) + " bytes); " + self.stats();
                }
                @Override public void close() {
                    synchronized (self) {
                        if (closed) return;
                        closed = true;
                        for (long o : offsets) buddy.free(o);
                    }
                }
            };
        }
    }
}
