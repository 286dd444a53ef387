package dev.vbuf.pool;

/** {@link OverflowConformance} on the single-writer path (one producer, one consumer per group), shared backing. */
class OverflowSingleWriterSharedTest extends OverflowConformance {
    @Override
    PoolBuilder builder() { return PoolConformance.singleWriter(PoolConformance.shared()); }

    @Override
    boolean singleWriter() { return true; }
}
