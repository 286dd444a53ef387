package dev.vbuf.pool;

/** {@link DecoderReferenceConformance} on the single-writer path, private backing. */
class DecoderReferenceSingleWriterPrivateTest extends DecoderReferenceConformance {
    @Override
    PoolBuilder builder() { return PoolConformance.singleWriter(PoolConformance.privately()); }

    @Override
    boolean singleWriter() { return true; }
}
