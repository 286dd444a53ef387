package dev.vbuf.memory;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What memory this machine offers, read from the kernel's files (never assumed): the memory
 * available (MemAvailable), the cgroup's limit and usage (v2 memory.max / memory.current, or
 * v1 memory.limit_in_bytes / memory.usage_in_bytes), free space in /dev/shm, huge-page pools,
 * the THP mode, the memlock limit and whether /proc/self/pagemap shows physical addresses.
 * Used by {@code vbuf info} and by {@link Negotiator}.
 */
public final class SystemMemory {
    /** Bytes a cgroup does not limit (no limit, or none found). */
    public static final long UNLIMITED = Long.MAX_VALUE;

    /** One huge-page size's pool: pages reserved and free. */
    public record HugePagePool(long pageBytes, long total, long free) {}

    /** The cgroup memory limit and usage; {@code limit} is {@link #UNLIMITED} when there is none. */
    public record Cgroup(String version, String path, long limit, long current) {
        public long headroom() { return limit == UNLIMITED ? UNLIMITED : Math.max(0, limit - current); }
    }

    private SystemMemory() {}

    /** MemAvailable of /proc/meminfo in bytes, or -1. */
    public static long memAvailable() { return meminfoBytes("MemAvailable"); }

    /** MemTotal of /proc/meminfo in bytes, or -1. */
    public static long memTotal() { return meminfoBytes("MemTotal"); }

    static long meminfoBytes(String field) {
        String v = HugePageAllocator.meminfo(field);
        String digits = v.replaceAll("[^0-9]", "");
        if (digits.isEmpty()) return -1;
        long n = Long.parseLong(digits);
        return v.endsWith("kB") ? n * 1024 : n;
    }

    /** The memory cgroup of this process (v2 first, then v1). */
    public static Cgroup cgroup() { return cgroup(Path.of("/proc/self/cgroup"), Path.of("/sys/fs/cgroup")); }

    static Cgroup cgroup(Path procCgroup, Path fsRoot) {
        List<String> lines;
        try {
            lines = Files.readAllLines(procCgroup);
        } catch (IOException e) {
            return new Cgroup("none", "", UNLIMITED, 0);
        }
        for (String line : lines) {
            if (line.startsWith("0::")) {
                String p = line.substring(3);
                Path dir = fsRoot.resolve(p.startsWith("/") ? p.substring(1) : p);
                if (Files.exists(dir.resolve("memory.max"))) {
                    return new Cgroup("v2", p, readLimit(dir.resolve("memory.max")), readLimit(dir.resolve("memory.current")));
                }
            }
        }
        for (String line : lines) {
            String[] f = line.split(":", 3);
            if (f.length == 3 && List.of(f[1].split(",")).contains("memory")) {
                // v1: the hierarchy is mounted at /sys/fs/cgroup/memory; inside a container the
                // process's own group is usually the mount's root.
                for (Path dir : List.of(fsRoot.resolve("memory").resolve(f[2].startsWith("/") ? f[2].substring(1) : f[2]),
                        fsRoot.resolve("memory"))) {
                    if (Files.exists(dir.resolve("memory.limit_in_bytes"))) {
                        long limit = readLimit(dir.resolve("memory.limit_in_bytes"));
                        if (limit >= (1L << 62)) limit = UNLIMITED; // v1 says "no limit" with a huge number
                        return new Cgroup("v1", f[2], limit, readLimit(dir.resolve("memory.usage_in_bytes")));
                    }
                }
            }
        }
        return new Cgroup("none", "", UNLIMITED, 0);
    }

    private static long readLimit(Path p) {
        try {
            String s = Files.readString(p).trim();
            return s.equals("max") ? UNLIMITED : Long.parseLong(s);
        } catch (IOException | NumberFormatException e) {
            return UNLIMITED;
        }
    }

    /** Free bytes in /dev/shm (statvfs through the file store), or -1 when there is no /dev/shm. */
    public static long shmFree() {
        try {
            return Files.getFileStore(Path.of("/dev/shm")).getUsableSpace();
        } catch (IOException e) {
            return -1;
        }
    }

    /** The huge-page pools of /sys/kernel/mm/hugepages, smallest page first. */
    public static List<HugePagePool> hugePagePools() {
        List<HugePagePool> out = new ArrayList<>();
        Path root = Path.of("/sys/kernel/mm/hugepages");
        if (!Files.isDirectory(root)) return out;
        try (var s = Files.list(root)) {
            for (Path d : s.toList()) {
                String n = d.getFileName().toString();
                if (!n.startsWith("hugepages-") || !n.endsWith("kB")) continue;
                long kb = Long.parseLong(n.substring("hugepages-".length(), n.length() - 2));
                out.add(new HugePagePool(kb * 1024, readLong(d.resolve("nr_hugepages")), readLong(d.resolve("free_hugepages"))));
            }
        } catch (IOException e) {
            return out;
        }
        out.sort(java.util.Comparator.comparingLong(HugePagePool::pageBytes));
        return out;
    }

    private static long readLong(Path p) {
        try {
            return Long.parseLong(Files.readString(p).trim());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    /** The base page size the kernel uses for this process's mappings (KernelPageSize of smaps), in bytes. */
    public static long basePageSize() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
                if (line.startsWith("KernelPageSize:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        } catch (IOException | NumberFormatException ignored) {
            // fall through
        }
        return AlignedAllocator.PAGE;
    }

    /** True when /proc/self/pagemap shows page frame numbers to this process (CAP_SYS_ADMIN). */
    public static boolean pagemapShowsPhysical() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment page = a.allocate(AlignedAllocator.PAGE, AlignedAllocator.PAGE);
            page.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
            return Pagemap.physicalAddress(page.address()) != 0;
        }
    }
}
