package dev.vbuf.pool;

/** {@link HotPathAllocationConformance} on a shared pool (control block and buffers in a /dev/shm file, this process its creator). */
class HotPathAllocationSharedTest extends HotPathAllocationConformance {
    @Override
    PoolBuilder builder() { return PoolConformance.shared(); }
}
