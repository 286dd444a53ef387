package dev.vbuf.memory;

/** Who frees a buffer's memory (seed 001). */
public enum Ownership {
    /** Allocated by the pool's allocator and freed when the pool closes. */
    OWNED,
    /** The user's memory: the pool schedules it, never frees it (unless given a deleter). */
    EXTERNAL
}
