package dev.vbuf.pool;

/** {@link HotPathAllocationConformance} on the single-writer path (one producer, one consumer per group), private backing. */
class HotPathAllocationSingleWriterPrivateTest extends HotPathAllocationConformance {
    @Override
    PoolBuilder builder() { return PoolConformance.singleWriter(PoolConformance.privately()); }

    @Override
    boolean singleWriter() { return true; }
}
