package dev.vbuf.pool;

/** {@link PoolStressConformance} on the single-writer path (one producer, one consumer per group), shared backing. */
class PoolStressSingleWriterSharedTest extends PoolStressConformance {
    @Override
    PoolBuilder builder() { return PoolConformance.singleWriter(PoolConformance.shared()); }

    @Override
    boolean singleWriter() { return true; }

    @Override
    long frames() { return Math.min(FRAMES, 5000); }
}
