package dev.vbuf.pool;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Proves which backing the conformance tests ran on (private by default, shared in the conformance-shared run). */
class ConformanceBackingTest {
    @Test
    void poolsAreBuiltOnTheBackingThisRunAsksFor() {
        boolean shared = Boolean.getBoolean("vbuf.test.sharedBacking");
        try (FramePool p = FramePool.builder().count(2).bufferSize(4096).jmx(false).build()) {
            assertEquals(shared, p.isShared(), p.backing());
            if (shared) assertEquals(1, p.peers().size());
        }
    }
}
