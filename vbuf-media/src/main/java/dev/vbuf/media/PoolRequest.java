package dev.vbuf.media;

import dev.vbuf.memory.Allocator;
import dev.vbuf.pool.Overflow;

import java.util.List;

/**
 * What the pipeline asks of a pool, handed to {@link Source#createPool(PoolRequest)} for sources
 * that own their buffer memory.
 *
 * @param name      pool name (statistics, JMX, JFR)
 * @param frames    buffers wanted (a device may grant fewer or more; the pool says what it got)
 * @param groups    consumer group names, one per sink
 * @param overflow  policy when no buffer is free
 * @param allocator memory kind for pool-allocated buffers (a USERPTR or DMABUF capture uses it)
 */
public record PoolRequest(String name, int frames, List<String> groups, Overflow overflow, Allocator allocator) {
    public PoolRequest {
        groups = List.copyOf(groups);
    }
}
