package dev.vbuf.pool;

/** {@link HotPathAllocationConformance} on a pool private to this JVM (control block in a GC-managed arena). */
class HotPathAllocationPrivateTest extends HotPathAllocationConformance {
    @Override
    PoolBuilder builder() { return PoolConformance.privately(); }
}
