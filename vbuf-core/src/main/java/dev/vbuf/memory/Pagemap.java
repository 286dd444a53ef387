package dev.vbuf.memory;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Physical addresses from /proc/self/pagemap (S2.3, seed 001 section 4.1). Each virtual page
 * has a 64-bit entry: bit 63 "present", bits 0-54 the page frame number. Since Linux 4.0 the
 * frame number reads as 0 without CAP_SYS_ADMIN, so every answer here is 0 when unprivileged
 * (as the seed says: "returns 0 otherwise"), never a guess.
 */
public final class Pagemap {
    public static final long PAGE = 4096;
    private static final long PRESENT = 1L << 63;
    private static final long PFN_MASK = (1L << 55) - 1;
    private static final Path PAGEMAP = Path.of("/proc/self/pagemap");

    private Pagemap() {}

    /** The physical address of {@code virt}, or 0 when not present or not visible. */
    public static long physicalAddress(long virt) {
        try (FileChannel ch = FileChannel.open(PAGEMAP, StandardOpenOption.READ)) {
            long pfn = pfn(ch, virt / PAGE);
            return pfn == 0 ? 0 : pfn * PAGE + virt % PAGE;
        } catch (IOException | SecurityException e) {
            return 0;
        }
    }

    /**
     * How many physically contiguous runs the pages of {@code seg} form: 1 for a buffer a
     * device could reach with one DMA descriptor, one per page at worst; 0 when the physical
     * addresses are not visible (unprivileged) or a page is not present.
     */
    public static long contiguousRuns(MemorySegment seg) {
        if (seg.byteSize() == 0) return 0;
        long first = seg.address() / PAGE, last = (seg.address() + seg.byteSize() - 1) / PAGE;
        try (FileChannel ch = FileChannel.open(PAGEMAP, StandardOpenOption.READ)) {
            long runs = 0, prev = -2;
            ByteBuffer buf = ByteBuffer.allocate(8 * 512).order(ByteOrder.nativeOrder());
            for (long page = first; page <= last; ) {
                int n = (int) Math.min(512, last - page + 1);
                buf.clear().limit(n * 8);
                while (buf.hasRemaining()) {
                    if (ch.read(buf, page * 8 + buf.position()) < 0) return 0;
                }
                buf.flip();
                for (int i = 0; i < n; i++) {
                    long e = buf.getLong();
                    long pfn = (e & PRESENT) == 0 ? 0 : e & PFN_MASK;
                    if (pfn == 0) return 0;
                    if (pfn != prev + 1) runs++;
                    prev = pfn;
                }
                page += n;
            }
            return runs;
        } catch (IOException | SecurityException e) {
            return 0;
        }
    }

    private static long pfn(FileChannel ch, long page) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder());
        while (b.hasRemaining()) {
            if (ch.read(b, page * 8 + b.position()) < 0) return 0;
        }
        long e = b.getLong(0);
        return (e & PRESENT) == 0 ? 0 : e & PFN_MASK;
    }
}
