package dev.vbuf.pool;

/** {@link MisuseConformance} on a shared pool (control block and buffers in a /dev/shm file, this process its creator). */
class MisuseSharedTest extends MisuseConformance {
    @Override
    PoolBuilder builder() { return PoolConformance.shared(); }
}
