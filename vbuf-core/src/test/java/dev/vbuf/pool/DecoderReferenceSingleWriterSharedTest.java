package dev.vbuf.pool;

/** {@link DecoderReferenceConformance} on the single-writer path, shared backing. */
class DecoderReferenceSingleWriterSharedTest extends DecoderReferenceConformance {
    @Override
    PoolBuilder builder() { return PoolConformance.singleWriter(PoolConformance.shared()); }

    @Override
    boolean singleWriter() { return true; }
}
