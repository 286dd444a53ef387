package dev.vbuf.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class TestPatternTest {

    @ParameterizedTest
    @EnumSource(PixelFormat.class)
    void writeThenVerifyForEveryFormat(PixelFormat f) {
        FrameLayout layout = FrameLayout.of(f, 96, 38, 64);
        try (Arena arena = Arena.ofConfined(); TestPattern pattern = new TestPattern(layout)) {
            MemorySegment frame = arena.allocate(layout.frameBytes());
            for (long seq : new long[] {0, 1, 2, 63, 64, 255, 256, 1_000_003, Long.MAX_VALUE}) {
                pattern.write(frame, seq);
                assertEquals(-1, pattern.verify(frame, seq), "seq " + seq);
                assertEquals(seq, pattern.readSequence(frame));
                assertNotEquals(-1, pattern.verify(frame, seq == Long.MAX_VALUE ? 0 : seq + 1));
            }
        }
    }

    @Test
    void stampIsAtStartOfEveryPlane() {
        FrameLayout layout = FrameLayout.of(PixelFormat.I420, 64, 32, 64);
        try (Arena arena = Arena.ofConfined(); TestPattern pattern = new TestPattern(layout)) {
            MemorySegment frame = arena.allocate(layout.frameBytes());
            pattern.write(frame, 0x0102030405060708L);
            var le = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
            assertEquals(0x0102030405060708L, frame.get(le, 0));
            assertEquals(~0x0102030405060708L, frame.get(le, 8));
            for (Plane p : layout.planes()) {
                assertEquals(0x0102030405060708L, frame.get(le, p.offset()));
            }
            // planes carry different check words, so a plane copied from another is caught
            assertNotEquals(frame.get(le, layout.plane(1).offset() + 8), frame.get(le, layout.plane(2).offset() + 8));
        }
    }

    @Test
    void patternMovesFromFrameToFrame() {
        FrameLayout layout = FrameLayout.of(PixelFormat.GRAY8, 64, 4, 64);
        try (Arena arena = Arena.ofConfined(); TestPattern pattern = new TestPattern(layout)) {
            MemorySegment a = arena.allocate(layout.frameBytes());
            MemorySegment b = arena.allocate(layout.frameBytes());
            pattern.write(a, 10);
            pattern.write(b, 11);
            // row 1 (no stamp): frame 11 is frame 10 shifted by FRAME_STEP pixels
            assertEquals(a.get(ValueLayout.JAVA_BYTE, 64 + 20 + TestPattern.FRAME_STEP), b.get(ValueLayout.JAVA_BYTE, 64 + 20));
            assertNotEquals(-1, MemorySegment.mismatch(a, 64, 128, b, 64, 128));
        }
    }

    @Test
    void paddingIsIgnored() {
        FrameLayout layout = FrameLayout.of(PixelFormat.RGB24, 30, 8, 64); // rowBytes 90, stride 128
        try (Arena arena = Arena.ofConfined(); TestPattern pattern = new TestPattern(layout)) {
            MemorySegment frame = arena.allocate(layout.frameBytes());
            frame.fill((byte) 0x5a);
            pattern.write(frame, 7);
            assertEquals((byte) 0x5a, frame.get(ValueLayout.JAVA_BYTE, 100), "padding untouched by write");
            frame.set(ValueLayout.JAVA_BYTE, 100, (byte) 1);
            assertEquals(-1, pattern.verify(frame, 7), "padding ignored by verify");
            frame.set(ValueLayout.JAVA_BYTE, 128 + 89, (byte) ~frame.get(ValueLayout.JAVA_BYTE, 128 + 89));
            assertEquals(128 + 89, pattern.verify(frame, 7));
        }
    }

    @Test
    void readSequenceRejectsInconsistentStamps() {
        FrameLayout layout = FrameLayout.of(PixelFormat.NV12, 64, 16);
        try (Arena arena = Arena.ofConfined(); TestPattern pattern = new TestPattern(layout)) {
            MemorySegment frame = arena.allocate(layout.frameBytes());
            assertEquals(-1, pattern.readSequence(frame), "all-zero frame has no stamp");
            pattern.write(frame, 42);
            frame.set(ValueLayout.JAVA_BYTE, 12, (byte) 0);
            assertEquals(-1, pattern.readSequence(frame), "torn stamp");
            assertEquals(12, pattern.verify(frame, 42));
        }
    }

    @Test
    void narrowPlanesCarryTheStampAcrossRows() {
        // I420 8x4: Y rows of 8 bytes (stamp spans rows 0 and 1), U and V hold 4x2 = 8 bytes (truncated stamp)
        FrameLayout layout = FrameLayout.of(PixelFormat.I420, 8, 4, 16);
        try (Arena arena = Arena.ofConfined(); TestPattern pattern = new TestPattern(layout)) {
            MemorySegment frame = arena.allocate(layout.frameBytes());
            pattern.write(frame, 99);
            assertEquals(-1, pattern.verify(frame, 99));
            assertEquals(99, pattern.readSequence(frame));
            assertEquals(99, frame.get(ValueLayout.JAVA_BYTE, 0));
            frame.set(ValueLayout.JAVA_BYTE, 16, (byte) 0x33);  // row 1 byte 0: stamp byte 8
            assertEquals(16, pattern.verify(frame, 99));
            assertEquals(-1, pattern.readSequence(frame));
        }
    }

    @Test
    void heapSegmentsWorkToo() {
        FrameLayout layout = FrameLayout.of(PixelFormat.YUYV, 32, 8);
        try (TestPattern pattern = new TestPattern(layout)) {
            MemorySegment frame = MemorySegment.ofArray(new byte[(int) layout.frameBytes()]);
            pattern.write(frame, 3);
            assertEquals(-1, pattern.verify(frame, 3));
        }
    }

    @Test
    void argumentsAreChecked() {
        FrameLayout layout = FrameLayout.of(PixelFormat.NV12, 64, 16);
        try (Arena arena = Arena.ofConfined(); TestPattern pattern = new TestPattern(layout)) {
            MemorySegment small = arena.allocate(layout.frameBytes() - 1);
            MemorySegment frame = arena.allocate(layout.frameBytes());
            assertThrows(IllegalArgumentException.class, () -> pattern.write(small, 1));
            assertThrows(IllegalArgumentException.class, () -> pattern.verify(small, 1));
            assertThrows(IllegalArgumentException.class, () -> pattern.write(frame, -1));
        }
        assertThrows(IllegalArgumentException.class, () -> new TestPattern(null));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TestPattern(FrameLayout.of(PixelFormat.GRAY8, 3, 5)));
        assertTrue(e.getMessage().contains("16"), e.getMessage());
    }

    @Test
    void closedPatternRefusesWork() {
        FrameLayout layout = FrameLayout.of(PixelFormat.NV12, 64, 16);
        TestPattern pattern = new TestPattern(layout);
        pattern.close();
        pattern.close();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment frame = arena.allocate(layout.frameBytes());
            assertThrows(IllegalStateException.class, () -> pattern.write(frame, 1));
            assertThrows(IllegalStateException.class, () -> pattern.verify(frame, 1));
        }
    }

    @Test
    void usableFromManyThreads() throws Exception {
        FrameLayout layout = FrameLayout.of(PixelFormat.NV12, 256, 64);
        try (Arena arena = Arena.ofShared(); TestPattern pattern = new TestPattern(layout)) {
            Thread[] threads = new Thread[4];
            long[] failures = new long[threads.length];
            for (int t = 0; t < threads.length; t++) {
                int id = t;
                MemorySegment frame = arena.allocate(layout.frameBytes());
                threads[t] = Thread.ofPlatform().start(() -> {
                    for (long seq = id; seq < 2000; seq += threads.length) {
                        pattern.write(frame, seq);
                        if (pattern.verify(frame, seq) != -1 || pattern.readSequence(frame) != seq) {
                            failures[id]++;
                        }
                    }
                });
            }
            for (Thread t : threads) {
                t.join();
            }
            assertEquals(0, java.util.Arrays.stream(failures).sum());
        }
    }

    /** write and verify must not allocate: measured with the JVM's per-thread allocation counter. */
    @Test
    void writeAndVerifyDoNotAllocate() {
        var bean = ManagementFactory.getThreadMXBean();
        if (!(bean instanceof com.sun.management.ThreadMXBean mx) || !mx.isThreadAllocatedMemorySupported()) {
            return;
        }
        mx.setThreadAllocatedMemoryEnabled(true);
        FrameLayout layout = FrameLayout.of(PixelFormat.I420, 640, 360);
        try (Arena arena = Arena.ofConfined(); TestPattern pattern = new TestPattern(layout)) {
            MemorySegment frame = arena.allocate(layout.frameBytes());
            long sink = 0;
            for (int i = 0; i < 20_000; i++) {   // warm up so the JIT compiles the loops
                pattern.write(frame, i);
                sink += pattern.verify(frame, i) + pattern.readSequence(frame);
            }
            long tid = Thread.currentThread().threadId();
            long before = mx.getThreadAllocatedBytes(tid);
            for (int i = 0; i < 1000; i++) {
                pattern.write(frame, i);
                sink += pattern.verify(frame, i) + pattern.readSequence(frame);
            }
            long allocated = mx.getThreadAllocatedBytes(tid) - before;
            assertTrue(sink != 42, "keep the loop alive");
            // a few hundred bytes of slack for the measurement itself; one allocation per row would be ~30 MB
            assertTrue(allocated < 4096, "write/verify allocated " + allocated + " bytes over 1000 frames");
        }
    }
}
