package dev.vbuf.memory;

import dev.vbuf.sys.Abi;
import dev.vbuf.sys.Errno;
import dev.vbuf.sys.Mman;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * 2 MiB huge pages (S2.2, seed 000 "2MB HugePages"), and the truth about what was obtained.
 * All buffers live in one mapping, each starting on a 2 MiB boundary:
 * <ol>
 *   <li>explicit huge pages ({@code MAP_HUGETLB | MAP_POPULATE}) when the system has them
 *       reserved (/proc/sys/vm/nr_hugepages);</li>
 *   <li>else a 2 MiB-aligned anonymous mapping advised {@code MADV_HUGEPAGE} (transparent
 *       huge pages) and then touched page by page, so it is pre-faulted;</li>
 *   <li>the pages actually obtained are then read back from /proc/self/smaps
 *       ({@code AnonHugePages} of the mapping), never assumed, and reported in
 *       {@link Allocation#backing()} and {@link #lastReport()}.</li>
 * </ol>
 */
public final class HugePageAllocator implements Allocator {
    public static final long HUGE_PAGE = 2L << 20;

    /** What an allocation got. */
    public enum Kind { EXPLICIT_HUGE_PAGES, TRANSPARENT_HUGE_PAGES, NORMAL_PAGES }

    /** The read-back: kind, bytes mapped, bytes the kernel backs with 2 MiB pages, why. */
    public record Report(Kind kind, long mappedBytes, long hugeBytes, String detail) {
        @Override
        public String toString() {
            return switch (kind) {
                case EXPLICIT_HUGE_PAGES -> "explicit 2 MiB huge pages (hugetlbfs), " + mappedBytes + " bytes";
                case TRANSPARENT_HUGE_PAGES -> "transparent huge pages: " + hugeBytes + " of " + mappedBytes
                        + " bytes in 2 MiB pages (read from /proc/self/smaps); " + detail;
                case NORMAL_PAGES -> "normal 4 KiB pages, " + mappedBytes + " bytes; " + detail;
            };
        }
    }

    private volatile Report lastReport;

    @Override
    public String name() { return "hugepages"; }

    /** The report of the last allocation, or null before the first. */
    public Report lastReport() { return lastReport; }

    @Override
    public Allocation allocate(int count, long bufferBytes, long alignment) {
        AlignedAllocator.checkRequest(count, bufferBytes, alignment);
        if (alignment > HUGE_PAGE) {
            throw new IllegalArgumentException("alignment " + alignment + " is over 2 MiB, the huge-page size");
        }
        long stride = (bufferBytes + HUGE_PAGE - 1) & -HUGE_PAGE;
        long total;
        try {
            total = Math.multiplyExact(stride, (long) count);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(count + " buffers of " + bufferBytes + " bytes overflow a 64-bit size");
        }
        MemorySegment region;
        Report report;
        String explicitFailure;
        try {
            region = Mman.mmap(total, Abi.PROT_READ | Abi.PROT_WRITE,
                    Abi.MAP_PRIVATE | Abi.MAP_ANONYMOUS | Abi.MAP_HUGETLB | Abi.MAP_POPULATE, -1, 0);
            report = new Report(Kind.EXPLICIT_HUGE_PAGES, total, total, "");
            explicitFailure = null;
        } catch (NativeException e) {
            explicitFailure = "explicit huge pages refused (" + Errno.describe(e.errno()) + ", "
                    + meminfo("HugePages_Free") + " free of " + meminfo("HugePages_Total") + " reserved)";
            region = null;
            report = null;
        }
        if (region == null) {
            try {
                region = alignedMapping(total);
                Mman.madvise(region, Abi.MADV_HUGEPAGE);
            } catch (NativeException e) {
                throw new BufferAllocationException("could not map " + total + " bytes for " + count + " buffers of "
                        + bufferBytes + " bytes: " + e.getMessage(), e);
            }
            for (long off = 0; off < total; off += AlignedAllocator.PAGE) {
                region.set(java.lang.foreign.ValueLayout.JAVA_BYTE, off, (byte) 0); // pre-fault
            }
            long huge = anonHugeBytes(region);
            String mode = thpMode();
            String detail = explicitFailure + "; THP mode " + mode;
            report = huge > 0 ? new Report(Kind.TRANSPARENT_HUGE_PAGES, total, huge, detail)
                    : new Report(Kind.NORMAL_PAGES, total, 0, detail);
        }
        lastReport = report;
        final MemorySegment mapping = region;
        final String backing = report.toString();
        MemorySegment[] buffers = new MemorySegment[count];
        for (int i = 0; i < count; i++) buffers[i] = mapping.asSlice(i * stride, bufferBytes);
        return new Allocation() {
            private boolean closed;
            @Override public int count() { return count; }
            @Override public MemorySegment buffer(int i) { return buffers[i]; }
            @Override public long physicalAddress(int i) { return Pagemap.physicalAddress(buffers[i].address()); }
            @Override public String backing() { return backing; }
            @Override public synchronized void close() {
                if (closed) return;
                closed = true;
                Mman.munmap(mapping);
            }
        };
    }

    /** An anonymous mapping of {@code length} bytes starting on a 2 MiB boundary. */
    private static MemorySegment alignedMapping(long length) {
        MemorySegment raw = Mman.mmap(length + HUGE_PAGE, Abi.PROT_READ | Abi.PROT_WRITE,
                Abi.MAP_PRIVATE | Abi.MAP_ANONYMOUS | Abi.MAP_NORESERVE, -1, 0);
        long start = (raw.address() + HUGE_PAGE - 1) & -HUGE_PAGE;
        long head = start - raw.address();
        long tail = HUGE_PAGE - head;
        if (head > 0) Mman.munmap(raw.asSlice(0, head));
        if (tail > 0) Mman.munmap(raw.asSlice(head + length, tail));
        return MemorySegment.ofAddress(start).reinterpret(length);
    }

    /** Sum of AnonHugePages over the smaps entries that lie inside {@code region}. */
    static long anonHugeBytes(MemorySegment region) {
        long lo = region.address(), hi = lo + region.byteSize();
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of("/proc/self/smaps"));
        } catch (IOException e) {
            return 0;
        }
        long sum = 0;
        boolean inside = false;
        for (String line : lines) {
            int dash = line.indexOf('-');
            int space = line.indexOf(' ');
            if (dash > 0 && space > dash && isHex(line, 0, dash)) {
                long start = Long.parseUnsignedLong(line.substring(0, dash), 16);
                long end = Long.parseUnsignedLong(line.substring(dash + 1, space), 16);
                inside = start >= lo && end <= hi;
            } else if (inside && line.startsWith("AnonHugePages:")) {
                sum += Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return Math.min(sum, region.byteSize());
    }

    private static boolean isHex(String s, int from, int to) {
        for (int i = from; i < to; i++) if (Character.digit(s.charAt(i), 16) < 0) return false;
        return to > from;
    }

    /** The bracketed word of /sys/kernel/mm/transparent_hugepage/enabled, or "unavailable". */
    public static String thpMode() {
        try {
            String s = Files.readString(Path.of("/sys/kernel/mm/transparent_hugepage/enabled"));
            int a = s.indexOf('['), b = s.indexOf(']');
            return a >= 0 && b > a ? s.substring(a + 1, b) : s.trim();
        } catch (IOException e) {
            return "unavailable";
        }
    }

    /** A /proc/meminfo field's number, or "?" when it cannot be read. */
    static String meminfo(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith(field + ":")) return line.substring(field.length() + 1).trim();
            }
        } catch (IOException ignored) {
            // fall through
        }
        return "?";
    }
}
