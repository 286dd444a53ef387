package dev.vbuf.pool;

/** {@link FramePoolConformance} on a shared pool (control block and buffers in a /dev/shm file, this process its creator). */
class FramePoolSharedTest extends FramePoolConformance {
    @Override
    PoolBuilder builder() { return PoolConformance.shared(); }
}
