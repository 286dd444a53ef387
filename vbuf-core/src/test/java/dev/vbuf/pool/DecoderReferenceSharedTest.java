package dev.vbuf.pool;

/** {@link DecoderReferenceConformance} on a shared pool. */
class DecoderReferenceSharedTest extends DecoderReferenceConformance {
    @Override
    PoolBuilder builder() { return PoolConformance.shared(); }
}
