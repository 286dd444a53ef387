package dev.vbuf.pool;

/** {@link OverflowConformance} on a pool private to this JVM (control block in a GC-managed arena). */
class OverflowPrivateTest extends OverflowConformance {
    @Override
    PoolBuilder builder() { return PoolConformance.privately(); }
}
