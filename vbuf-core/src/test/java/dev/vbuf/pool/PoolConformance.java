package dev.vbuf.pool;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The pool's conformance suites run on every backing (as JCTools' MpqSanityTest runs on every
 * queue, and iceoryx2's conformance tests on every service): each suite is an abstract
 * {@code *Conformance} class that builds its pools with {@link #builder()}, and each backing
 * has one subclass per suite ({@code *PrivateTest}, {@code *SharedTest}); the single-writer
 * path (one producer, one consumer per group, declared in the builder) runs every suite too
 * ({@code *SingleWriterPrivateTest}, {@code *SingleWriterSharedTest}). One algorithm, one
 * suite, both backings, both paths; no hook in production code.
 */
abstract class PoolConformance {
    private static final AtomicInteger SHARED_IDS = new AtomicInteger();

    /** A builder of a pool on this suite's backing; set anything but the backing. */
    abstract PoolBuilder builder();

    /** True where the suite runs the single-writer path (its tests then use one producer and one consumer per group at a time). */
    boolean singleWriter() { return false; }

    /** The single-writer path's roles on a builder. */
    static PoolBuilder singleWriter(PoolBuilder b) { return b.singleProducer(true).singleConsumers(true); }

    /** A builder of a private pool. */
    static PoolBuilder privately() { return FramePool.builder(); }

    /** A builder of a shared pool under a name of its own (its file is removed when it closes). */
    static PoolBuilder shared() {
        return FramePool.builder().shared("conformance-" + ProcessHandle.current().pid() + "-" + SHARED_IDS.incrementAndGet());
    }
}
