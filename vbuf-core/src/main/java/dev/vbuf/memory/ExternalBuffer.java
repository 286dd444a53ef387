package dev.vbuf.memory;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A buffer the user owns, handed to a pool without a deleter (seed 001's ExternalBufferInfo):
 * the pool schedules it and never frees it. Its lifetime follows the segment's scope: once the
 * owner's arena is closed the pool never hands the buffer out again.
 *
 * @param segment         the memory (its address is the virtual address)
 * @param physicalAddress the physical address where known, else 0
 */
public record ExternalBuffer(MemorySegment segment, long physicalAddress) {
    public ExternalBuffer {
        Objects.requireNonNull(segment, "segment");
        if (physicalAddress < 0) {
            throw new IllegalArgumentException("physical address " + physicalAddress + " is negative; pass 0 when unknown");
        }
    }

    public static ExternalBuffer of(MemorySegment segment) { return new ExternalBuffer(segment, 0); }
}
