package dev.vbuf.pool;

/** {@link MisuseConformance} on the single-writer path (one producer, one consumer per group), private backing. */
class MisuseSingleWriterPrivateTest extends MisuseConformance {
    @Override
    PoolBuilder builder() { return PoolConformance.singleWriter(PoolConformance.privately()); }

    @Override
    boolean singleWriter() { return true; }
}
