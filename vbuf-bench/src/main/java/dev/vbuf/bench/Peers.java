package dev.vbuf.bench;

import com.lmax.disruptor.RingBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * What the peers need in common: preallocated direct frame buffers, Agrona ring buffers carrying
 * a buffer index, and the Disruptor's event (a slot that owns a preallocated buffer). The peers
 * are used the way their documentation shows; none is tuned beyond that.
 */
final class Peers {
    /** Agrona record type of the index messages. */
    static final int MSG = 1;

    private Peers() {}

    static MemorySegment[] buffers(Arena arena, int count, long bytes) {
        MemorySegment[] b = new MemorySegment[count];
        for (int i = 0; i < count; i++) b[i] = arena.allocate(bytes, 4096);
        return b;
    }

    /** An Agrona ring buffer with room for {@code messages} 4-byte messages (each takes a 16-byte record). */
    static UnsafeBuffer ringBufferMemory(int messages) {
        int capacity = Integer.highestOneBit(Math.max(64, messages * 16 * 2) - 1) << 1;
        return new UnsafeBuffer(ByteBuffer.allocateDirect(capacity + RingBufferDescriptor.TRAILER_LENGTH));
    }

    /** A Disruptor slot: owns one preallocated frame buffer; the producer writes into it in place. */
    static final class FrameEvent {
        MemorySegment buffer;
        long stamp;
    }

    static RingBuffer<FrameEvent> fill(RingBuffer<FrameEvent> rb, Arena arena, long bytes) {
        for (int i = 0; i < rb.getBufferSize(); i++) rb.get(i).buffer = arena.allocate(bytes, 4096);
        return rb;
    }
}
