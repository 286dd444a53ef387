package dev.vbuf.pool;

/** {@link HotPathAllocationConformance} on the single-writer path (one producer, one consumer per group), shared backing. */
class HotPathAllocationSingleWriterSharedTest extends HotPathAllocationConformance {
    @Override
    PoolBuilder builder() { return PoolConformance.singleWriter(PoolConformance.shared()); }

    @Override
    boolean singleWriter() { return true; }
}
