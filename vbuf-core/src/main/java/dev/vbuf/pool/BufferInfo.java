package dev.vbuf.pool;

import dev.vbuf.format.PixelFormat;
import dev.vbuf.memory.Ownership;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * A snapshot of one buffer (id, virtual and physical address, size,
 * ownership, state, reference count, DMA-BUF fd) with its last frame's metadata.
 *
 * @param refCount   consumer groups that have not released the frame yet
 * @param generation times the buffer has gone back to IDLE (modulo 2^30)
 * @param alive      false once an external owner freed the memory
 */
public record BufferInfo(int id, MemorySegment segment, long physicalAddress, long size, Ownership ownership,
                         FrameState state, int refCount, long generation, int fd, long sequence,
                         long captureTimeNs, long pts, long payloadSize, int width, int height, PixelFormat format,
                         int flags, List<String> pendingGroups, List<String> heldBy, boolean alive) {
}
