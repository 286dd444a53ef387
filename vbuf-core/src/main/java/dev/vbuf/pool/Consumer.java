package dev.vbuf.pool;

import java.time.Duration;

/**
 * A reader in one consumer group. Every group sees every frame; the consumers of one
 * group share its frames (each frame goes to one of them). Create one per reading thread with
 * {@link FramePool#consumer(String)}; a Consumer itself holds no state that threads would
 * contend on, so it is cheap, but it is meant for one thread.
 */
public final class Consumer {
    private final FramePool pool;
    private final int group;

    Consumer(FramePool pool, int group) {
        this.pool = pool;
        this.group = group;
    }

    public String group() { return pool.groupName(group); }
    public int groupIndex() { return group; }
    public FramePool pool() { return pool; }

    /** The next filled frame, or null at once when there is none. */
    public Frame tryAcquireFilled() { return pool.acquireFilled(group, 0); }

    /** Waits for the next filled frame; null when the pool closed or the thread was interrupted. */
    public Frame acquireFilled() { return pool.acquireFilled(group, Long.MAX_VALUE); }

    /** Waits up to {@code timeout}; null on timeout, close or interrupt. */
    public Frame acquireFilled(Duration timeout) { return pool.acquireFilled(group, FramePool.nanos(timeout)); }

    /** Waits up to {@code timeoutNanos}; null on timeout, close or interrupt. */
    public Frame acquireFilled(long timeoutNanos) { return pool.acquireFilled(group, timeoutNanos); }

    /** Releases a frame this group acquired. */
    public void releaseFilled(Frame frame) {
        if (frame.group != group) {
            throw new IllegalArgumentException("frame " + frame.id() + " was acquired by group '" + frame.group()
                    + "', not by this consumer's group '" + group() + "'");
        }
        pool.releaseFilled(frame);
    }

    /** Frames published to this group and not yet taken or dropped. */
    public long lag() { return pool.lag(group); }
}
