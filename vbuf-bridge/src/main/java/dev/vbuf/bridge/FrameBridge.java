package dev.vbuf.bridge;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Views of one pool's frames for the video libraries a Java program already uses: a JavaCV
 * {@code Frame}, OpenCV {@code Mat}s, an FFmpeg {@code AVFrame} and {@code ByteBuffer}s per
 * plane, all over the pool buffer itself (no copy).
 *
 * <h2>Overview</h2>
 * {@link #view(Frame)} returns the {@link FrameView} of a frame the caller holds (a consumer's
 * frame from {@code acquireFilled}, or a producer's from {@code acquireFree}). Views are made once
 * per buffer and side (the producer side, each consumer group) and issued again each time that
 * buffer comes back, as the pool does with its {@code Frame} handles: after the first round
 * through the pool a view, its buffers, its Mats and its JavaCV frame cost no allocation. The
 * bridge keeps the views in a map keyed by the pool's (preallocated) frame handle.
 *
 * <h2>Lifetime</h2>
 * A view is valid while its frame is held, and is released through try-with-resources like every
 * vbuf frame: {@link FrameView#close()} revokes what it handed out, then releases the frame (or
 * aborts a producer's frame that was not submitted). See {@link FrameView} for what is refused
 * after release and what cannot be.
 *
 * <p>Thread safety: {@link #view} may be called from several threads (one per consumer group,
 * say); a view belongs to the thread that holds its frame, like the frame.
 */
public final class FrameBridge implements AutoCloseable {
    private static final AtomicInteger IDS = new AtomicInteger();
    /** Bridges by id, for the AVBufferRef free callback (its opaque pointer carries the id and the view's index). */
    static final ConcurrentHashMap<Integer, FrameBridge> BY_ID = new ConcurrentHashMap<>();

    final int id;
    private final FramePool pool;
    private final FrameLayout layout;
    private final ConcurrentHashMap<Frame, FrameView> views = new ConcurrentHashMap<>();
    /** Views by index (for the free callback); index = order of creation. */
    private final AtomicReferenceArray<FrameView> byIndex;
    private final AtomicInteger nextIndex = new AtomicInteger();
    private volatile boolean closed;
    private volatile RuntimeException callbackError;

    private FrameBridge(FramePool pool) {
        this.pool = pool;
        FrameLayout l = pool.layout();
        if (l == null) {
            throw new IllegalArgumentException("pool " + pool.name() + " has no frame layout (it was built with a buffer size only),"
                    + " so its buffers have no planes to view; build it with PoolBuilder.layout(FrameLayout.of(format, width, height))");
        }
        this.layout = l;
        this.byIndex = new AtomicReferenceArray<>(pool.getTotalCount() * (1 + Math.max(1, pool.groups().size())));
        this.id = IDS.incrementAndGet() & 0x7FFF_FFFF;
        BY_ID.put(id, this);
    }

    /**
     * The bridge of a pool. Make one per pool and keep it as long as the pool: it holds the
     * views (made once per buffer and side).
     *
     * @param pool a pool with a frame layout
     * @return the bridge
     * @throws IllegalArgumentException if the pool has no frame layout
     */
    public static FrameBridge of(FramePool pool) {
        return new FrameBridge(pool);
    }

    /** @return the pool */
    public FramePool pool() {
        return pool;
    }

    /** @return the layout every view follows (the pool's) */
    public FrameLayout layout() {
        return layout;
    }

    /**
     * The view of a frame the caller holds. Closing the view releases the frame.
     *
     * @param frame a frame of this bridge's pool, held by the caller (not yet submitted or released)
     * @return its view, bound to this use of the buffer
     * @throws IllegalArgumentException if the frame belongs to another pool
     * @throws IllegalStateException    if the frame is not held (already submitted, released or aborted),
     *                                  or the bridge is closed
     */
    public FrameView view(Frame frame) {
        if (closed) throw new IllegalStateException("the frame bridge of pool " + pool.name() + " is closed; make views before closing it");
        RuntimeException e = callbackError;
        if (e != null) {
            callbackError = null;
            throw new IllegalStateException("releasing a frame when FFmpeg freed its AVFrame failed: " + e.getMessage(), e);
        }
        if (frame == null) throw new NullPointerException("frame is null: acquireFilled/acquireFree returned no frame (timeout or end of stream)");
        if (frame.pool() != pool) {
            throw new IllegalArgumentException("frame " + frame.id() + " belongs to pool " + frame.pool().name()
                    + ", not to this bridge's pool " + pool.name() + "; use FrameBridge.of(frame.pool())");
        }
        if (!frame.isOpen()) {
            throw new IllegalStateException("frame " + frame.id() + " of pool " + pool.name() + " is not held (already submitted,"
                    + " released or aborted); view a frame between acquire and release");
        }
        FrameView v = views.get(frame);
        if (v != null && v.isBoundTo(frame)) return v; // viewed twice in one use: the same view, its holds intact
        if (v == null) {
            int index = nextIndex.getAndIncrement();
            if (index >= byIndex.length()) {
                throw new IllegalStateException("more views than buffers x sides in pool " + pool.name() + " (" + byIndex.length() + ")");
            }
            FrameView made = new FrameView(this, frame, index);
            FrameView raced = views.putIfAbsent(frame, made);
            v = raced != null ? raced : made;
            if (raced == null) byIndex.set(index, made);
        }
        v.bind();
        return v;
    }

    FrameView viewAt(int index) {
        return index >= 0 && index < byIndex.length() ? byIndex.get(index) : null;
    }

    /** @return views made so far (one per buffer and side that was viewed) */
    public int viewCount() {
        return views.size();
    }

    /**
     * Frees the native headers of every view (Mats, JavaCV frames). Call it after the last view
     * was closed and before the pool is closed; views refuse every use afterwards.
     */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (FrameView v : views.values()) v.dispose();
        views.clear();
        BY_ID.remove(id);
    }

    void callbackError(RuntimeException e) {
        callbackError = e;
    }

    boolean isClosed() {
        return closed;
    }
}
