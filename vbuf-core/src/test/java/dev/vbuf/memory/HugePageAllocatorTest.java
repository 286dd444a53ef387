package dev.vbuf.memory;

import dev.vbuf.pool.FramePool;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Runs on whatever the machine has: explicit huge pages if reserved, else transparent ones, else
 * normal pages; what is checked is that the report is read back and agrees with itself. The
 * explicit path is checked where pages are reserved (docs/ARCHITECTURE.md, verified rows).
 */
class HugePageAllocatorTest {
    @Test
    void buffersAre2MiBAlignedUsableAndTheReportIsReadBack() {
        HugePageAllocator alloc = new HugePageAllocator();
        try (FramePool pool = FramePool.builder().count(3).bufferSize(3_000_000).allocator(alloc).jmx(false).build()) {
            for (int i = 0; i < 3; i++) {
                var b = pool.getBufferById(i).orElseThrow();
                assertEquals(0, b.segment().address() % HugePageAllocator.HUGE_PAGE, "buffer " + i);
                b.segment().set(ValueLayout.JAVA_LONG, 2_999_992, i);
                assertEquals(i, b.segment().get(ValueLayout.JAVA_LONG, 2_999_992));
            }
            HugePageAllocator.Report r = alloc.lastReport();
            assertEquals(3 * 4L << 20, r.mappedBytes(), "3 buffers, each rounded up to 4 MiB");
            assertTrue(r.hugeBytes() >= 0 && r.hugeBytes() <= r.mappedBytes(), r.toString());
            switch (r.kind()) {
                case EXPLICIT_HUGE_PAGES -> assertEquals(r.mappedBytes(), r.hugeBytes());
                case TRANSPARENT_HUGE_PAGES -> assertTrue(r.hugeBytes() > 0, r.toString());
                case NORMAL_PAGES -> assertEquals(0, r.hugeBytes(), r.toString());
            }
            if (r.kind() != HugePageAllocator.Kind.EXPLICIT_HUGE_PAGES) {
                assertTrue(r.detail().contains("explicit huge pages refused"), r.detail());
                assertTrue(r.detail().contains("THP mode " + HugePageAllocator.thpMode()), r.detail());
            }
            assertTrue(pool.backing().startsWith("hugepages: "), pool.backing());
        }
    }
}
