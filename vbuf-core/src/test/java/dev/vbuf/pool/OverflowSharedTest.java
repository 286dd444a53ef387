package dev.vbuf.pool;

/** {@link OverflowConformance} on a shared pool (control block and buffers in a /dev/shm file, this process its creator). */
class OverflowSharedTest extends OverflowConformance {
    @Override
    PoolBuilder builder() { return PoolConformance.shared(); }
}
