package dev.vbuf.pool;

/**
 * {@link PoolStressConformance} with the buffer free longest handed out first
 * ({@link PoolBuilder#reuseOldestFirst}), on the single-writer path and the shared backing: the
 * configuration {@code vbuf bench} runs across processes.
 */
class PoolStressOldestFirstSingleWriterSharedTest extends PoolStressConformance {
    @Override
    PoolBuilder builder() { return PoolConformance.singleWriter(PoolConformance.shared()).reuseOldestFirst(true); }

    @Override
    boolean singleWriter() { return true; }

    @Override
    long frames() { return Math.min(FRAMES, 5000); }
}
