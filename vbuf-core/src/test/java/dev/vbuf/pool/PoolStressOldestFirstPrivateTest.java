package dev.vbuf.pool;

/** {@link PoolStressConformance} with the buffer free longest handed out first ({@link PoolBuilder#reuseOldestFirst}), MPMC path, private backing. */
class PoolStressOldestFirstPrivateTest extends PoolStressConformance {
    @Override
    PoolBuilder builder() { return PoolConformance.privately().reuseOldestFirst(true); }
}
