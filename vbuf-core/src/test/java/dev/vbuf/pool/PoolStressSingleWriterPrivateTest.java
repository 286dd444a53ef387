package dev.vbuf.pool;

/** {@link PoolStressConformance} on the single-writer path (one producer, one consumer per group), private backing. */
class PoolStressSingleWriterPrivateTest extends PoolStressConformance {
    @Override
    PoolBuilder builder() { return PoolConformance.singleWriter(PoolConformance.privately()); }

    @Override
    boolean singleWriter() { return true; }
}
