package dev.vbuf.pool;

/** {@link FramePoolConformance} on the single-writer path (one producer, one consumer per group), private backing. */
class FramePoolSingleWriterPrivateTest extends FramePoolConformance {
    @Override
    PoolBuilder builder() { return PoolConformance.singleWriter(PoolConformance.privately()); }

    @Override
    boolean singleWriter() { return true; }
}
