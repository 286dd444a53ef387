package dev.vbuf.pool;

import dev.vbuf.format.PixelFormat;
import dev.vbuf.memory.BufferLifetimeException;
import dev.vbuf.memory.Ownership;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A handle on one frame buffer, held from an acquire until submit, abort or release (S1.1).
 *
 * <p>Handles are preallocated flyweights: the pool keeps one per buffer for the producer side
 * and one per buffer and consumer group for the consumer side, and hands the same object out
 * each time that buffer is acquired by that side, so acquiring allocates nothing. A handle
 * records the generation of the buffer it was issued for; once it is submitted, aborted or
 * released every further use throws {@link StaleFrameException}, until the pool issues the
 * object again for a later use of the same buffer. Keep {@link #id()} and {@link #sequence()},
 * not the object, when you need to remember a frame.
 *
 * <p>{@code Frame} is {@link AutoCloseable}: closing a producer's frame that was not submitted
 * aborts it (the buffer goes back to the pool, no sequence number is used); closing a
 * consumer's frame releases it; closing a frame already submitted or released does nothing.
 *
 * <p>A handle belongs to the thread that acquired it; hand it to another thread only with a
 * happens-before edge of your own (a queue, a future).
 *
 * <h2>Checked access to the pixels</h2>
 * The accessors {@link #getLong}, {@link #setLong} (and the byte, short and int forms),
 * {@link #copyFrom(byte[], int, long, int)}, {@link #copyTo(long, byte[], int, int)}, the
 * segment forms of both, and {@link #fill} check the handle on every call: after submit, abort
 * or release they throw {@link StaleFrameException} instead of writing into a buffer that
 * another party may own by then. The check is one plain load and a branch of a field of this
 * handle (RoundTripBenchmark's {@code vbufChecked} against {@code vbuf} measures it). Offsets
 * are bytes from the start of the buffer, values in native byte order, any alignment.
 *
 * <p>{@link #segment()} and {@link #plane(int)} give the raw buffer, for zero-copy hand-off to
 * native code and devices. Their result is <em>not</em> revoked at release: a segment cannot
 * lose its memory without a per-hand-out {@code Arena}, whose close costs a handshake with every
 * thread, far more than the whole hand-off. Do not keep it past submit/release. The same holds
 * for this object itself: the pool issues it again for the buffer's next use, so a stale
 * reference used after a re-issue reaches the new frame; keep {@link #id()} and
 * {@link #sequence()}, never the object.
 */
public final class Frame implements AutoCloseable {
    /** Flag: the frame is a key frame (an intra-coded picture). */
    public static final int FLAG_KEY_FRAME = 1;
    /** Flag: the producer has nothing after this frame. */
    public static final int FLAG_END_OF_STREAM = 2;
    /** Flag: the frame's content is known to be damaged. */
    public static final int FLAG_CORRUPT = 4;

    private final FramePool pool;
    private final ControlBlock cb;
    final int slot;
    /** {@link #group} of a producer's handle. */
    static final int PRODUCER = -1;
    /** {@link #group} of a producer's reference kept across publish ({@link FramePool#submitKeepingReference}). */
    static final int REFERENCE = -2;

    /** The consumer group this handle reads for, {@link #PRODUCER} or {@link #REFERENCE}. */
    final int group;
    long gen;
    boolean open;
    /**
     * Producer handles: this handle wrote metadata (or the slot's metadata is not yet at its
     * defaults), so the next hand-out resets it. Starts true.
     */
    boolean metaDirty = true;
    /** The buffer (the pool's buffers are fixed when it is built, before any handle). */
    private final MemorySegment buffer;
    /** The buffer is the user's memory with a lifetime of its own (checked on each hand-out of the raw segment). */
    private final boolean external;

    private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    Frame(FramePool pool, ControlBlock cb, int slot, int group) {
        this.pool = pool;
        this.cb = cb;
        this.slot = slot;
        this.group = group;
        this.buffer = pool.bufferFor(slot);
        this.external = pool.isExternal(slot);
    }

    /** The buffer id (its index in the pool, 0-based). */
    public int id() { return slot; }

    /** The buffer's generation when this handle was issued. */
    public long generation() { return gen; }

    /** True between acquire and submit/abort/release. */
    public boolean isOpen() { return open; }

    /** True for a handle from acquireFree, false for one from acquireFilled or a producer's reference. */
    public boolean isProducerSide() { return group == PRODUCER; }

    /**
     * True for the read-only handle of a producer's reference ({@link FramePool#submitKeepingReference}):
     * give it back with {@link FramePool#releaseReference}.
     */
    public boolean isReference() { return group == REFERENCE; }

    /** The consumer group this handle was acquired for, or null on the producer side and for a reference. */
    public String group() { return group < 0 ? null : pool.groupName(group); }

    /** The pool this frame belongs to. */
    public FramePool pool() { return pool; }

    /** The buffer's memory: its address is the virtual address (S1.1). */
    public MemorySegment segment() {
        checkOpen("segment");
        if (external) checkAlive("segment");
        return buffer;
    }

    /**
     * Plane {@code i} of the frame, when the pool was built with a {@link dev.vbuf.format.FrameLayout}.
     *
     * @throws IllegalStateException when the pool has no layout
     * @throws IndexOutOfBoundsException when {@code i} is not a plane of the layout
     */
    public MemorySegment plane(int i) {
        checkOpen("plane");
        if (external) checkAlive("plane");
        return pool.planeFor(slot, i);
    }

    /** Bytes in the buffer. */
    public long size() { return pool.bufferSize(slot); }

    // ---- checked access to the buffer: a use after submit/abort/release throws ----

    private MemorySegment buf() { return buffer; }

    /** The byte at {@code offset}. @throws StaleFrameException after submit, abort or release */
    public byte getByte(long offset) { checkOpen("getByte"); return buf().get(BYTE, offset); }
    public Frame setByte(long offset, byte v) { checkOpen("setByte"); buf().set(BYTE, offset, v); return this; }
    public short getShort(long offset) { checkOpen("getShort"); return buf().get(SHORT, offset); }
    public Frame setShort(long offset, short v) { checkOpen("setShort"); buf().set(SHORT, offset, v); return this; }
    public int getInt(long offset) { checkOpen("getInt"); return buf().get(INT, offset); }
    public Frame setInt(long offset, int v) { checkOpen("setInt"); buf().set(INT, offset, v); return this; }
    /** The 8 bytes at {@code offset} (native byte order, any alignment). @throws StaleFrameException after submit, abort or release */
    public long getLong(long offset) { checkOpen("getLong"); return buf().get(LONG, offset); }
    /** Writes 8 bytes at {@code offset}. @throws StaleFrameException after submit, abort or release */
    public Frame setLong(long offset, long v) { checkOpen("setLong"); buf().set(LONG, offset, v); return this; }

    /** Copies {@code length} bytes of {@code src} from {@code srcOffset} into the buffer at {@code offset}. */
    public Frame copyFrom(byte[] src, int srcOffset, long offset, int length) {
        checkOpen("copyFrom");
        MemorySegment.copy(src, srcOffset, buf(), BYTE, offset, length);
        return this;
    }

    /** Copies {@code length} bytes of the buffer from {@code offset} into {@code dst} at {@code dstOffset}. */
    public void copyTo(long offset, byte[] dst, int dstOffset, int length) {
        checkOpen("copyTo");
        MemorySegment.copy(buf(), BYTE, offset, dst, dstOffset, length);
    }

    /** Copies {@code bytes} bytes of {@code src} from {@code srcOffset} into the buffer at {@code offset}. */
    public Frame copyFrom(MemorySegment src, long srcOffset, long offset, long bytes) {
        checkOpen("copyFrom");
        MemorySegment.copy(src, srcOffset, buf(), offset, bytes);
        return this;
    }

    /** Copies {@code bytes} bytes of the buffer from {@code offset} into {@code dst} at {@code dstOffset}. */
    public void copyTo(long offset, MemorySegment dst, long dstOffset, long bytes) {
        checkOpen("copyTo");
        MemorySegment.copy(buf(), offset, dst, dstOffset, bytes);
    }

    /** Sets every byte of the buffer to {@code value}. */
    public Frame fill(byte value) {
        checkOpen("fill");
        buf().fill(value);
        return this;
    }

    /** The physical address where the system exposes it, else 0 (S2.3). */
    public long physicalAddress() { return pool.physicalAddress(slot); }

    /** Whether the pool's allocator owns the memory or the user does. */
    public Ownership ownership() { return pool.ownership(slot); }

    /** A DMA-BUF or memfd file descriptor that exports the buffer, else -1. */
    public int fd() { return pool.fd(slot); }

    /** CPU access for {@link #beginCpuAccess}/{@link #endCpuAccess}: read, write, or both ({@code CPU_READ | CPU_WRITE}). */
    public static final int CPU_READ = dev.vbuf.memory.Allocation.CPU_READ;
    public static final int CPU_WRITE = dev.vbuf.memory.Allocation.CPU_WRITE;

    /**
     * Call before the CPU touches the pixels of a buffer a device also uses (S2.5,
     * vbuf_sync_cpu): DMA_BUF_IOCTL_SYNC start on a DMA-BUF, nothing on plain memory.
     * Allocates nothing.
     */
    public void beginCpuAccess(int access) { checkOpen("beginCpuAccess"); pool.syncCpu(slot, access, true); }

    /** Call when the CPU is done with the pixels (vbuf_sync_device): DMA_BUF_IOCTL_SYNC end, or nothing. */
    public void endCpuAccess(int access) { checkOpen("endCpuAccess"); pool.syncCpu(slot, access, false); }

    /** The buffer's state now, seen from the whole pool. */
    public FrameState state() { return SlotWord.state(cb.lvWord(slot), pool.handOff().refBit); }

    /** Consumer groups that have not yet released the frame (its reference count). */
    public int refCount() { return Integer.bitCount(SlotWord.refs(cb.lvWord(slot))); }

    // ---- metadata (S1.1) ----

    /** The sequence number the pool gave the frame at submit; -1 before. */
    public long sequence() { checkOpen("sequence"); return group < 0 ? -1L : cb.lpLong(slot, ControlBlock.S_SEQUENCE); }
    public long captureTimeNs() { checkOpen("captureTimeNs"); return cb.lpLong(slot, ControlBlock.S_CAPTURE_NANOS); }
    public long pts() { checkOpen("pts"); return cb.lpLong(slot, ControlBlock.S_PTS); }
    /** System.nanoTime() at submit when the pool records timestamps, else 0. */
    public long submitTimeNs() { checkOpen("submitTimeNs"); return group < 0 ? 0L : cb.lpLong(slot, ControlBlock.S_SUBMIT_NANOS); }
    public long payloadSize() { checkOpen("payloadSize"); return cb.lpLong(slot, ControlBlock.S_PAYLOAD_BYTES); }
    public int width() { checkOpen("width"); return cb.lpInt(slot, ControlBlock.S_WIDTH); }
    public int height() { checkOpen("height"); return cb.lpInt(slot, ControlBlock.S_HEIGHT); }
    /** The pixel format, or null when none was set. */
    public PixelFormat format() {
        checkOpen("format");
        return FramePool.formatOf(cb.lpInt(slot, ControlBlock.S_FORMAT));
    }
    public int flags() { checkOpen("flags"); return cb.lpInt(slot, ControlBlock.S_FLAGS); }
    public boolean isKeyFrame() { return (flags() & FLAG_KEY_FRAME) != 0; }
    public boolean isEndOfStream() { return (flags() & FLAG_END_OF_STREAM) != 0; }
    public boolean isCorrupt() { return (flags() & FLAG_CORRUPT) != 0; }

    public Frame captureTimeNs(long ns) { checkWritable("captureTimeNs"); cb.spLong(slot, ControlBlock.S_CAPTURE_NANOS, ns); return this; }
    public Frame pts(long pts) { checkWritable("pts"); cb.spLong(slot, ControlBlock.S_PTS, pts); return this; }

    /** Bytes of valid data, 0..{@link #size()}. */
    public Frame payloadSize(long bytes) {
        checkWritable("payloadSize");
        if (bytes < 0 || bytes > size()) {
            throw new IllegalArgumentException("payload size " + bytes + " of frame " + slot + " is outside 0.." + size()
                    + " (the buffer's size)");
        }
        cb.spLong(slot, ControlBlock.S_PAYLOAD_BYTES, bytes);
        return this;
    }

    public Frame dimensions(int width, int height) {
        checkWritable("dimensions");
        if (width < 0 || height < 0) {
            throw new IllegalArgumentException("dimensions " + width + "x" + height + " of frame " + slot + " are negative");
        }
        cb.spInt(slot, ControlBlock.S_WIDTH, width);
        cb.spInt(slot, ControlBlock.S_HEIGHT, height);
        return this;
    }

    public Frame format(PixelFormat format) {
        checkWritable("format");
        cb.spInt(slot, ControlBlock.S_FORMAT, FramePool.formatId(format));
        return this;
    }

    public Frame flags(int flags) { checkWritable("flags"); cb.spInt(slot, ControlBlock.S_FLAGS, flags); return this; }

    /** Publishes the frame to every consumer group (producer side only). */
    public void submit() { pool.submitFilled(this); }

    /** Gives the frame back (consumer side), or drops a producer's reference. */
    public void release() { pool.releaseFilled(this); }

    /**
     * Aborts an unsubmitted producer frame, releases a consumer frame, drops a producer's
     * reference, or does nothing if already done.
     */
    @Override
    public void close() {
        if (!open) return;
        if (group == PRODUCER) pool.abort(this);
        else pool.releaseFilled(this);
    }

    private void checkOpen(String op) {
        if (!open) {
            throw pool.staleHandle(op, this);
        }
    }

    private void checkAlive(String op) {
        if (pool.isExternal(slot) && !pool.isAlive(slot)) {
            throw new BufferLifetimeException(op + ": frame " + slot + " is external memory whose owner has freed it;"
                    + " the pool will not touch it again (it is RETIRED once back in the pool)");
        }
    }

    private void checkWritable(String op) {
        checkOpen(op);
        if (group != PRODUCER) {
            throw new FrameStateException(op, slot, gen, state(), FrameState.LOCKED_BY_PRODUCER,
                    "metadata is written by the producer before submit; a consumer's frame and a kept reference are read-only");
        }
        metaDirty = true;
    }

    @Override
    public String toString() {
        return "Frame[id=" + slot + ", gen=" + gen + (group == PRODUCER ? ", producer"
                : group == REFERENCE ? ", producer reference" : ", group=" + pool.groupName(group))
                + (open ? ", open" : ", closed") + "]";
    }
}
