package dev.vbuf.net;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.format.TestPattern;
import dev.vbuf.pool.FramePool;
import dev.vbuf.pool.Overflow;
import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;

import static dev.vbuf.net.FrameReceiver.Counter.*;
import static dev.vbuf.net.NetTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A receiver fed hand-made messages on a real Aeron stream: hostile headers are refused and
 * counted with a clear text, broken frames (a receiver joining mid-frame, a gap, a new frame, a
 * sender that vanishes mid-frame) are aborted and counted lost, and no buffer of the receiving
 * pool is lost; whole frames after them arrive byte-exact.
 */
class HostileChunkTest {
    static final FrameLayout LAYOUT = FrameLayout.of(PixelFormat.GRAY8, 64, 64); // 4096 bytes
    static final int MESSAGE = 1376;
    static NetLink link;

    @BeforeAll
    static void driver() { link = NetLink.embedded(); }

    @AfterAll
    static void close() { if (link != null) link.close(); }

    /** Writes messages by hand. */
    static final class Crafter implements AutoCloseable {
        final ExclusivePublication pub;
        final UnsafeBuffer buf = new UnsafeBuffer(ByteBuffer.allocateDirect(1 << 16));
        // data() reads the picture through a raw view: its ranges are checked here

        final Arena arena = Arena.ofConfined();
        final MemorySegment picture = arena.allocate(LAYOUT.frameBytes(), 64);
        final TestPattern pattern = new TestPattern(LAYOUT);

        Crafter(ExclusivePublication pub) { this.pub = pub; }

        void send(int length) {
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (true) {
                long r = pub.offer(buf, 0, length);
                if (r > 0) return;
                if (r == Publication.CLOSED || System.nanoTime() > deadline) fail("offer failed: " + r);
                Thread.onSpinWait();
            }
        }

        /** A first chunk header for a frame of LAYOUT's picture (format, size, strides as given). */
        int first(long frame, long total, long chunk, PixelFormat format, int w, int h, int planes, int stride) {
            buf.setMemory(0, ChunkHeader.FIRST_HEADER_BYTES, (byte) 0);
            ChunkHeader.putCommon(buf, 0, ChunkHeader.FIRST, frame, 0, (int) chunk);
            var le = ChunkHeader.LE;
            buf.putLong(ChunkHeader.TOTAL_BYTES_OFFSET, total, le);
            buf.putLong(ChunkHeader.PTS_OFFSET, frame, le);
            buf.putInt(ChunkHeader.WIDTH_OFFSET, w, le);
            buf.putInt(ChunkHeader.HEIGHT_OFFSET, h, le);
            buf.putInt(ChunkHeader.FORMAT_OFFSET, WireFormat.code(format), le);
            buf.putInt(ChunkHeader.PLANE_COUNT_OFFSET, planes, le);
            buf.putInt(ChunkHeader.STRIDES_OFFSET, stride, le);
            return ChunkHeader.FIRST_HEADER_BYTES;
        }

        int first(long frame, long chunk) {
            return first(frame, LAYOUT.frameBytes(), chunk, LAYOUT.format(), LAYOUT.width(), LAYOUT.height(), 1,
                    LAYOUT.plane(0).stride());
        }

        int next(long frame, long offset, long chunk) {
            ChunkHeader.putCommon(buf, 0, ChunkHeader.NEXT, frame, offset, (int) chunk);
            return ChunkHeader.NEXT_HEADER_BYTES;
        }

        /** Puts the picture of frame {@code frame}'s bytes [offset, offset+n) after a header of {@code head} bytes. */
        int data(long frame, int head, long offset, int n) {
            if (offset < 0 || n < 0 || offset + n > picture.byteSize()) throw new IllegalArgumentException(offset + "+" + n);
            pattern.write(picture, frame);
            buf.putBytes(head, new UnsafeBuffer(picture.address() + offset, n), 0, n);
            return head + n;
        }

        /** Sends frame {@code frame} whole, or only its chunks before {@code stopAt} bytes. */
        void frame(long frame, long stopAt) {
            var c = new Chunking(MESSAGE);
            long total = LAYOUT.frameBytes(), offset = 0;
            do {
                int n = (int) c.dataAt(total, offset);
                int head = offset == 0 ? first(frame, n) : next(frame, offset, n);
                send(data(frame, head, offset, n));
                offset += n;
            } while (offset < total && offset < stopAt);
        }

        @Override
        public void close() {
            pattern.close();
            arena.close();
            pub.close();
        }
    }

    private static void await(FrameReceiver rx, FrameReceiver.Counter c, long value) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (rx.counters().get(c) < value && System.nanoTime() < deadline) Thread.sleep(2);
        assertEquals(value, rx.counters().get(c), c + " in " + rx.counters());
    }

    @Test
    void hostileHeadersAreRefusedCountedAndNamed() throws Exception {
        int port = freeUdpPort();
        try (FramePool dst = pool(LAYOUT, 4, Overflow.BLOCK, "check");
             TestPattern pattern = new TestPattern(LAYOUT)) {
            var rx = new RunningReceiver(new FrameReceiver(dst, link.subscription(unicast(port), 21), 2_000_000_000L));
            try (rx; var c = new Crafter(link.publication(unicast(port), 21))) {
                rx.awaitConnected(Duration.ofSeconds(20));
                FrameReceiver r = rx.receiver;

                c.buf.setMemory(0, 64, (byte) 0x5a);
                c.send(10);                                                  // too short for a header
                await(r, REFUSED_NOT_A_CHUNK, 1);
                c.send(64);                                                  // no magic
                await(r, REFUSED_NOT_A_CHUNK, 2);
                c.next(0, 0, 0);
                c.buf.putByte(ChunkHeader.KIND_OFFSET, (byte) 9);
                c.send(ChunkHeader.NEXT_HEADER_BYTES);                      // unknown kind
                await(r, REFUSED_NOT_A_CHUNK, 3);
                assertTrue(r.lastRefusal().contains("not a vbuf chunk"), r.lastRefusal());

                c.send(c.data(0, c.first(0, 2000), 0, 100));               // claims 2000 bytes, carries 100
                await(r, REFUSED_RANGE, 1);
                c.send(c.next(0, 0, 0xffff_ffffL));                          // 4 GiB chunk, no bytes
                await(r, REFUSED_RANGE, 2);
                c.send(c.next(0, -5, 0));                                    // negative offset
                await(r, REFUSED_RANGE, 3);
                c.first(0, 0);
                c.buf.putInt(ChunkHeader.PLANE_COUNT_OFFSET, 99, ChunkHeader.LE);
                c.send(ChunkHeader.FIRST_HEADER_BYTES);                     // 99 planes
                await(r, REFUSED_RANGE, 4);
                c.send(c.data(0, c.first(0, 100, 200, PixelFormat.GRAY8, 64, 64, 1, 64), 0, 200)); // chunk longer than its frame
                await(r, REFUSED_RANGE, 5);

                c.send(c.first(1, 1L << 40, 0, PixelFormat.GRAY8, 64, 64, 1, 64)); // 1 TiB frame
                await(r, REFUSED_TOO_BIG, 1);
                assertTrue(r.lastRefusal().contains("does not fit the receiving pool's buffers of 4096 bytes"), r.lastRefusal());

                c.send(c.first(2, 1024, 0, PixelFormat.RGBA, 16, 16, 1, 64)); // another format
                await(r, REFUSED_FORMAT, 1);
                assertTrue(r.lastRefusal().contains("16x16 rgba (strides 64) but the receiving pool holds 64x64 gray8 (strides 64)"),
                        r.lastRefusal());
                c.send(c.first(3, 4096, 0, PixelFormat.GRAY8, 64, 64, 1, 128)); // another stride
                await(r, REFUSED_FORMAT, 2);
                c.first(4, 0);
                c.buf.putInt(ChunkHeader.FORMAT_OFFSET, 0x7a7a7a7a, ChunkHeader.LE);
                c.send(ChunkHeader.FIRST_HEADER_BYTES);                     // a format code nobody has
                await(r, REFUSED_FORMAT, 3);
                assertTrue(r.lastRefusal().contains("does not know (code zzzz)"), r.lastRefusal());

                c.send(c.data(5, c.first(5, 1000), 0, 1000));               // a good start ...
                c.buf.setMemory(ChunkHeader.NEXT_HEADER_BYTES, 4000, (byte) 1);
                c.send(c.next(5, 1000, 4000) + 4000);                        // ... then a chunk past the frame's end
                await(r, LOST_REFUSED, 5);                                   // 1 TiB, 3 formats, this one
                assertTrue(r.lastRefusal().contains("runs past the frame's end: offset 1000 + 4000 bytes > 4096 bytes"),
                        r.lastRefusal());

                for (long f = 6; f < 9; f++) c.frame(f, Long.MAX_VALUE);    // whole frames still come through
                await(r, FRAMES, 3);
                assertEquals(3 * new Chunking(MESSAGE).count(LAYOUT.frameBytes()) + 1, r.counters().get(CHUNKS),
                        "chunks: 3 whole frames and frame 5's first");
                Seen seen = check(dst.consumer("check"), pattern, Duration.ofMillis(300));
                assertNull(seen.firstFailure());
                assertEquals(List.of(6L, 7L, 8L), seen.pts());
            }
            allFree(dst);
        }
    }

    @Test
    void brokenFramesAreAbortedAndCountedAndTheirBuffersReturned() throws Exception {
        int port = freeUdpPort();
        try (FramePool dst = pool(LAYOUT, 4, Overflow.BLOCK, "check");
             TestPattern pattern = new TestPattern(LAYOUT)) {
            var rx = new RunningReceiver(new FrameReceiver(dst, link.subscription(unicast(port), 22), 300_000_000L));
            try (rx) {
                FrameReceiver r = rx.receiver;
                try (var c = new Crafter(link.publication(unicast(port), 22))) {
                    rx.awaitConnected(Duration.ofSeconds(20));
                    // joined mid-frame: chunks of frame 10 without its first one
                    c.send(c.data(10, c.next(10, 1248, 1344), 1248, 1344));
                    c.send(c.data(10, c.next(10, 2592, 1344), 2592, 1344));
                    await(r, STRAY_CHUNKS, 2);
                    c.frame(11, Long.MAX_VALUE);
                    await(r, FRAMES, 1);
                    // a gap: frame 12 loses its second chunk
                    c.send(c.data(12, c.first(12, 1248), 0, 1248));
                    c.send(c.data(12, c.next(12, 2592, 1344), 2592, 1344));
                    await(r, LOST_GAP, 1);
                    // a new frame begins before frame 13 ended
                    c.frame(13, 2000);
                    c.frame(14, Long.MAX_VALUE);
                    await(r, LOST_NEW_FRAME, 1);
                    await(r, FRAMES, 2);
                    // frames 15 and 16 never arrive at all
                    c.frame(17, Long.MAX_VALUE);
                    await(r, LOST_NEVER_SEEN, 2);
                    // the sender stops mid-frame and goes away
                    c.frame(18, 2000);
                }
                long deadline = System.nanoTime() + 20_000_000_000L;
                while (r.counters().get(LOST_TIMEOUT) + r.counters().get(LOST_SENDER_GONE) == 0 && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                assertEquals(1, r.counters().get(LOST_TIMEOUT) + r.counters().get(LOST_SENDER_GONE), r.counters().toString());
                // a new sender (a new session, its frame numbers from 0 again) is taken as it comes
                try (var c = new Crafter(link.publication(unicast(port), 22))) {
                    deadline = System.nanoTime() + 20_000_000_000L;
                    while (!c.pub.isConnected() && System.nanoTime() < deadline) Thread.sleep(5);
                    c.frame(0, Long.MAX_VALUE);
                    await(r, FRAMES, 4);
                }
                Seen seen = check(dst.consumer("check"), pattern, Duration.ofMillis(300));
                assertEquals(List.of(11L, 14L, 17L, 0L), seen.pts());
                assertEquals(1, seen.failures(), "only the restart's frame 0 after 17 is out of order: " + seen.firstFailure());
                assertEquals(5, r.lost(), "a gap, a new frame, 2 never seen, a timeout or a sender gone: " + r.counters());
            }
            allFree(dst);
        }
    }
}
