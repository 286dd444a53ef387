package dev.vbuf.pool;

/** {@link DecoderReferenceConformance} on a private pool. */
class DecoderReferencePrivateTest extends DecoderReferenceConformance {
    @Override
    PoolBuilder builder() { return PoolConformance.privately(); }
}
