package dev.vbuf.pool;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A frame's checked accessors work between acquire and submit/abort/release and throw after it:
 * a use after release is an exception, never a write into a buffer another party owns.
 */
class FrameUseAfterReleaseTest {
    static final java.util.List<Consumer<Frame>> ACCESSES = accesses();

    static java.util.List<Consumer<Frame>> accesses() {
        byte[] bytes = new byte[16];
        MemorySegment heap = MemorySegment.ofArray(new byte[16]);
        return java.util.List.<Consumer<Frame>>of(
                f -> f.getByte(0), f -> f.setByte(1, (byte) 1), f -> f.getShort(2),
                f -> f.setShort(2, (short) 2), f -> f.getInt(4), f -> f.setInt(4, 3), f -> f.getLong(8),
                f -> f.setLong(8, 4L), f -> f.copyFrom(bytes, 0, 0, 16), f -> f.copyTo(0, bytes, 0, 16),
                f -> f.copyFrom(heap, 0, 0, 16), f -> f.copyTo(0, heap, 0, 16), f -> f.fill((byte) 9));
    }

    static FramePool pool(String... groups) {
        return FramePool.builder().count(2).bufferSize(4096).groups(groups).jmx(false).build();
    }

    @Test
    void everyAccessorWorksWhileTheFrameIsHeld() {
        try (FramePool pool = pool("a")) {
            Frame f = pool.tryAcquireFree();
            for (Consumer<Frame> a : ACCESSES) a.accept(f);
            f.setLong(0, 0x1122334455667788L).setInt(9, 0xCAFEBABE).setShort(13, (short) 0x7777).setByte(15, (byte) -1);
            f.submit();
            Frame r = pool.consumer("a").tryAcquireFilled();
            assertEquals(0x1122334455667788L, r.getLong(0));
            assertEquals(0xCAFEBABE, r.getInt(9), "unaligned offsets are fine");
            assertEquals((short) 0x7777, r.getShort(13));
            assertEquals((byte) -1, r.getByte(15));
            assertEquals(r.segment().get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 0), r.getLong(0),
                    "the accessors and the raw segment see the same bytes");
            r.release();
        }
    }

    @Test
    void afterSubmitTheProducersFrameThrows() {
        try (FramePool pool = pool("a")) {
            Frame f = pool.tryAcquireFree();
            f.setLong(0, 7L);
            f.submit();
            for (Consumer<Frame> a : ACCESSES) {
                assertThrows(StaleFrameException.class, () -> a.accept(f), "use after submit");
            }
            Frame r = pool.consumer("a").tryAcquireFilled();
            assertEquals(7L, r.getLong(0), "nothing after submit reached the consumer's frame");
            r.release();
        }
    }

    @Test
    void afterAbortTheProducersFrameThrows() {
        try (FramePool pool = pool("a")) {
            Frame f = pool.tryAcquireFree();
            f.close(); // abort
            for (Consumer<Frame> a : ACCESSES) assertThrows(StaleFrameException.class, () -> a.accept(f), "use after abort");
        }
    }

    @Test
    void afterReleaseTheConsumersFrameThrowsAndTheNextProducerOwnsTheBytes() {
        try (FramePool pool = FramePool.builder().count(1).bufferSize(4096).groups("a", "b").jmx(false).build()) {
            Frame f = pool.tryAcquireFree();
            f.setLong(0, 1L).submit();
            Frame ra = pool.consumer("a").tryAcquireFilled();
            Frame rb = pool.consumer("b").tryAcquireFilled();
            ra.release();
            for (Consumer<Frame> a : ACCESSES) assertThrows(StaleFrameException.class, () -> a.accept(ra), "use after release");
            assertEquals(1L, rb.getLong(0), "the other group still reads its frame");
            rb.release();
            Frame next = pool.acquireFree(Duration.ofSeconds(1));
            assertNotNull(next);
            next.setLong(0, 2L);
            assertThrows(StaleFrameException.class, () -> rb.setLong(0, 99L), "a released reader cannot write into"
                    + " the buffer the producer owns now");
            assertEquals(2L, next.getLong(0));
            next.close();
        }
    }

    @Test
    void offsetsOutsideTheBufferAreRefused() {
        try (FramePool pool = FramePool.builder().count(1).layout(FrameLayout.of(PixelFormat.GRAY8, 64, 64)).jmx(false)
                .build()) {
            Frame f = pool.tryAcquireFree();
            long size = f.size();
            assertThrows(IndexOutOfBoundsException.class, () -> f.getLong(size - 4));
            assertThrows(IndexOutOfBoundsException.class, () -> f.setByte(-1, (byte) 0));
            assertThrows(IndexOutOfBoundsException.class, () -> f.copyFrom(new byte[8], 0, size - 4, 8));
            try (Arena a = Arena.ofConfined()) {
                MemorySegment dst = a.allocate(8);
                assertThrows(IndexOutOfBoundsException.class, () -> f.copyTo(size - 4, dst, 0, 8));
            }
            f.close();
        }
    }
}
