package dev.vbuf.net;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Chunking and placement: every chunk fits its message, the chunks tile the frame exactly, in order. */
class ChunkingPropertyTest {
    /** 8K RGBA64, the biggest frame vbuf lays out (7680x4320x8 bytes). */
    static final long LARGEST = FrameLayout.of(PixelFormat.RGBA64, 7680, 4320).frameBytes();

    @Property(tries = 400)
    void chunksTileTheFrame(@ForAll @LongRange(min = 0, max = 265_420_800L) long total,
                            @ForAll @IntRange(min = ChunkHeader.FIRST_HEADER_BYTES + 1, max = 16 << 20) int message) {
        var c = new Chunking(message);
        long offset = 0, chunks = 0;
        do {
            long data = c.dataAt(total, offset);
            int header = offset == 0 ? ChunkHeader.FIRST_HEADER_BYTES : ChunkHeader.NEXT_HEADER_BYTES;
            assertTrue(data >= 0 && header + data <= message, "chunk at " + offset + " of " + data + " bytes");
            assertTrue(offset == 0 || data > 0, "an empty chunk after the first");
            offset += data;
            chunks++;
        } while (offset < total);
        assertEquals(total, offset);
        assertEquals(c.count(total), chunks);
        assertEquals(total + ChunkHeader.FIRST_HEADER_BYTES + (chunks - 1) * ChunkHeader.NEXT_HEADER_BYTES, c.wireBytes(total));
    }

    @Example
    void boundaries() {
        var c = new Chunking(1376); // Aeron's max payload at the default MTU of 1408
        int first = 1376 - 128, next = 1376 - 32;
        assertEquals(1, c.count(0));
        assertEquals(1, c.count(1));
        assertEquals(1, c.count(first));
        assertEquals(2, c.count(first + 1));
        assertEquals(2, c.count(first + next));
        assertEquals(3, c.count(first + next + 1));
        assertEquals(1 + (LARGEST - first + next - 1) / next, c.count(LARGEST));
    }

    @Example
    void aMessageWithNoRoomForDataIsRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> new Chunking(128));
        assertTrue(e.getMessage().contains("leaves no room"), e.getMessage());
    }

    @Example
    void everyFormatHasItsOwnWireCode() {
        for (PixelFormat f : PixelFormat.values()) assertEquals(f, WireFormat.format(WireFormat.code(f)));
        assertEquals(null, WireFormat.format(0));
        assertEquals(null, WireFormat.format(0x7fff_fff0));
    }

    @Property(tries = 200)
    void latencyPercentilesAreWithinABucket(@ForAll @LongRange(min = 0, max = 1L << 40) long v) {
        var l = new Latency();
        l.record(v);
        long p = l.valueAt(50);
        assertTrue(p >= v && p <= v + v / 16 + 1, v + " -> " + p);
    }
}
