package dev.vbuf.pool;

/** {@link PoolStressConformance} on a shared pool (control block and buffers in a /dev/shm file, this process its creator). */
class PoolStressSharedTest extends PoolStressConformance {
    @Override
    PoolBuilder builder() { return PoolConformance.shared(); }

    /** Fewer frames than the private run (as the former shared run): a shared pool's hand-off is the same code. */
    @Override
    long frames() { return Math.min(FRAMES, 5000); }
}
