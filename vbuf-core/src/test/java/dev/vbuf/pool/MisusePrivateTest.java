package dev.vbuf.pool;

/** {@link MisuseConformance} on a pool private to this JVM (control block in a GC-managed arena). */
class MisusePrivateTest extends MisuseConformance {
    @Override
    PoolBuilder builder() { return PoolConformance.privately(); }
}
