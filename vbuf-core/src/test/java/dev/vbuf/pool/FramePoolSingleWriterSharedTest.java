package dev.vbuf.pool;

/** {@link FramePoolConformance} on the single-writer path (one producer, one consumer per group), shared backing. */
class FramePoolSingleWriterSharedTest extends FramePoolConformance {
    @Override
    PoolBuilder builder() { return PoolConformance.singleWriter(PoolConformance.shared()); }

    @Override
    boolean singleWriter() { return true; }
}
