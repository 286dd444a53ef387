package dev.vbuf.pool;

/** {@link PoolStressConformance} on a pool private to this JVM (control block in a GC-managed arena). */
class PoolStressPrivateTest extends PoolStressConformance {
    @Override
    PoolBuilder builder() { return PoolConformance.privately(); }
}
