package dev.vbuf.pool;

/** {@link MisuseConformance} on the single-writer path (one producer, one consumer per group), shared backing. */
class MisuseSingleWriterSharedTest extends MisuseConformance {
    @Override
    PoolBuilder builder() { return PoolConformance.singleWriter(PoolConformance.shared()); }

    @Override
    boolean singleWriter() { return true; }
}
