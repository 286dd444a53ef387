package dev.vbuf.pool;

/** {@link OverflowConformance} on the single-writer path (one producer, one consumer per group), private backing. */
class OverflowSingleWriterPrivateTest extends OverflowConformance {
    @Override
    PoolBuilder builder() { return PoolConformance.singleWriter(PoolConformance.privately()); }

    @Override
    boolean singleWriter() { return true; }
}
