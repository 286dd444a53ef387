package dev.vbuf.cli;

import dev.vbuf.memory.AlignedAllocator;
import dev.vbuf.memory.Allocator;
import dev.vbuf.memory.DmaHeapAllocator;
import dev.vbuf.memory.HugePageAllocator;
import dev.vbuf.memory.LockedAllocator;
import dev.vbuf.memory.MemfdAllocator;
import dev.vbuf.memory.NumaAllocator;
import dev.vbuf.memory.NumaNodes;
import dev.vbuf.memory.Zones;

import java.util.Locale;
import java.util.Map;

/**
 * The {@code --memory} flag: one base kind (anon/aligned, hugepages, memfd, udmabuf, dmaheap,
 * zone:NAME) with the modifiers {@code numa:N} and {@code locked}, comma-separated in any
 * order, e.g. {@code hugepages,locked,numa:0}. The allocator is composed as
 * locked(numa(base)): pages are placed on the node as they are faulted, then locked.
 *
 * @param base   the base kind's name
 * @param zone   the zone's name for zone:NAME, else null
 * @param node   the NUMA node, or -1
 * @param locked whether to mlock the buffers
 */
record MemorySpec(String base, String zone, int node, boolean locked) {
    static final String KINDS = "anon (or aligned), hugepages, memfd, udmabuf, dmaheap, zone:NAME, file (with --shared),"
            + " optionally with numa:N and locked, comma-separated (e.g. hugepages,locked,numa:0)";

    /** Parses the flag; a bad value is an IllegalArgumentException naming the part and the accepted kinds. */
    static MemorySpec parse(String text) {
        String base = null, zone = null;
        int node = -1;
        boolean locked = false;
        for (String raw : text.split(",")) {
            String part = raw.trim().toLowerCase(Locale.ROOT);
            String kind;
            if (part.equals("locked")) {
                locked = true;
                continue;
            } else if (part.startsWith("numa:")) {
                if (node >= 0) throw new IllegalArgumentException("--memory " + text + " names two NUMA nodes; give one numa:N");
                try {
                    node = Integer.parseInt(part.substring(5));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("--memory " + text + ": '" + raw.trim() + "' needs a node number, e.g. numa:0");
                }
                if (node < 0) throw new IllegalArgumentException("--memory " + text + ": NUMA node " + node + " is negative");
                NumaNodes.check(node);
                continue;
            } else if (part.startsWith("zone:")) {
                zone = raw.trim().substring(5);
                if (zone.isEmpty()) throw new IllegalArgumentException("--memory " + text + ": zone: needs a name, e.g. zone:capture");
                kind = "zone";
            } else {
                kind = switch (part) {
                    case "anon", "aligned" -> "anon";
                    case "hugepages", "memfd", "udmabuf", "dmaheap", "file" -> part;
                    default -> throw new IllegalArgumentException("--memory " + text + ": '" + raw.trim()
                            + "' is not a kind of memory; give " + KINDS);
                };
            }
            if (base != null) {
                throw new IllegalArgumentException("--memory " + text + " names two kinds of memory (" + base + ", " + kind
                        + "); give one of " + KINDS);
            }
            base = kind;
        }
        return new MemorySpec(base == null ? "anon" : base, zone, node, locked);
    }

    /** The flag's spelling of this memory: base kind, then numa:N and locked. */
    String text() {
        String t = zone != null ? "zone:" + zone : base;
        if (node >= 0) t += ",numa:" + node;
        if (locked) t += ",locked";
        return t;
    }

    /** The allocator, and the zone region it draws from when there is one (closed after the pool). */
    record Built(Allocator allocator, Zones zones) implements AutoCloseable {
        @Override
        public void close() { if (zones != null) zones.close(); }
    }

    /** Builds the allocator for a pool of {@code count} buffers of {@code bufferBytes}. */
    Built build(int count, long bufferBytes) {
        Zones zones = null;
        Allocator a = switch (base) {
            case "hugepages" -> new HugePageAllocator();
            case "memfd" -> new MemfdAllocator();
            case "udmabuf" -> new MemfdAllocator(true);
            case "dmaheap" -> new DmaHeapAllocator();
            case "file" -> throw new IllegalArgumentException("--memory file names a /dev/shm file for a shared pool; give it"
                    + " with --shared NAME, or choose anon (the default) for a pool private to this process");
            case "zone" -> {
                // A region with this one zone, sized for the pool: each buffer is a run of
                // 2 MiB blocks rounded up to a power of two, as the buddy allocator gives them.
                long blocks = Math.max(1, (bufferBytes + Zones.BLOCK - 1) / Zones.BLOCK);
                long run = Long.highestOneBit(blocks) == blocks ? blocks : Long.highestOneBit(blocks) << 1;
                zones = new Zones(Map.of(zone, run * Zones.BLOCK * count));
                yield zones.zone(zone);
            }
            default -> new AlignedAllocator();
        };
        if (node >= 0) a = new NumaAllocator(a, node);
        if (locked) a = new LockedAllocator(a);
        return new Built(a, zones);
    }
}
