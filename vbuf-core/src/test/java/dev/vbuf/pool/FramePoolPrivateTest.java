package dev.vbuf.pool;

/** {@link FramePoolConformance} on a pool private to this JVM (control block in a GC-managed arena). */
class FramePoolPrivateTest extends FramePoolConformance {
    @Override
    PoolBuilder builder() { return PoolConformance.privately(); }
}
