package dev.vbuf.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Client-provided buffers (S2.6, V4L2's USERPTR form): the client hands in its own segments,
 * each checked against the device's needs (at least {@code requiredBytes}, start aligned to
 * {@code alignment}). A buffer that fails is refused with a message naming it, or, when bounce
 * buffers are allowed, paired with an aligned bounce buffer of the pool's own: the device side
 * ({@link #deviceBuffer}) is then the bounce buffer, and {@link #toDevice}/{@link #fromDevice}
 * copy between the two, every copy counted ({@link #bounceCopies()}).
 */
public final class UserBuffers implements AutoCloseable {
    private final List<MemorySegment> client;
    private final MemorySegment[] device;
    private final boolean[] bounced;
    private final long requiredBytes;
    private final Arena bounceArena;
    private final AtomicLong copies = new AtomicLong();

    public UserBuffers(List<MemorySegment> buffers, long requiredBytes, long alignment, boolean allowBounce) {
        if (buffers.isEmpty()) throw new IllegalArgumentException("no client buffers given; give at least one");
        if (requiredBytes < 1) throw new IllegalArgumentException("required size " + requiredBytes + " is not positive");
        if (alignment < 1 || Long.bitCount(alignment) != 1) throw new IllegalArgumentException("alignment " + alignment + " is not a power of two");
        this.client = List.copyOf(buffers);
        this.requiredBytes = requiredBytes;
        this.device = new MemorySegment[client.size()];
        this.bounced = new boolean[client.size()];
        Arena arena = null;
        List<String> refused = new ArrayList<>();
        for (int i = 0; i < client.size(); i++) {
            MemorySegment b = client.get(i);
            String problem = problem(b, requiredBytes, alignment);
            if (problem == null) {
                device[i] = b.asSlice(0, requiredBytes);
            } else if (allowBounce) {
                if (arena == null) arena = Arena.ofShared();
                device[i] = arena.allocate(requiredBytes, Math.max(alignment, AlignedAllocator.PAGE));
                bounced[i] = true;
            } else {
                refused.add("buffer " + i + " " + problem);
            }
        }
        if (!refused.isEmpty()) {
            if (arena != null) arena.close();
            throw new BufferValidationException("client buffers refused: " + String.join("; ", refused) + "; give buffers"
                    + " of at least " + requiredBytes + " bytes starting on a multiple of " + alignment
                    + ", or allow bounce buffers (each frame is then copied once)");
        }
        this.bounceArena = arena;
    }

    /** Why {@code b} does not suit the device, or null when it does. */
    static String problem(MemorySegment b, long requiredBytes, long alignment) {
        if (!b.scope().isAlive()) return "is already freed";
        if (b.byteSize() < requiredBytes) return "has " + b.byteSize() + " bytes, fewer than the " + requiredBytes + " needed";
        if (b.address() % alignment != 0) {
            return "starts at 0x" + Long.toHexString(b.address()) + ", not a multiple of " + alignment;
        }
        return null;
    }

    public int count() { return client.size(); }

    /** The memory the device (the pool) uses for buffer {@code i}: the client's, or its bounce buffer. */
    public MemorySegment deviceBuffer(int i) { return device[i]; }

    public boolean isBounced(int i) { return bounced[i]; }

    public int bouncedCount() {
        int n = 0;
        for (boolean b : bounced) if (b) n++;
        return n;
    }

    /** Copies the client's buffer into its bounce buffer (before the device reads); nothing when not bounced. */
    public void toDevice(int i) {
        if (!bounced[i]) return;
        MemorySegment src = client.get(i);
        MemorySegment.copy(src, 0, device[i], 0, Math.min(src.byteSize(), requiredBytes));
        copies.incrementAndGet();
    }

    /** Copies the bounce buffer back to the client's (after the device wrote); nothing when not bounced. */
    public void fromDevice(int i) {
        if (!bounced[i]) return;
        MemorySegment dst = client.get(i);
        MemorySegment.copy(device[i], 0, dst, 0, Math.min(dst.byteSize(), requiredBytes));
        copies.incrementAndGet();
    }

    /** Bounce copies made so far, both directions. */
    public long bounceCopies() { return copies.get(); }

    /** The device-side buffers as external buffers for {@code FramePool.ofExternal}. */
    public List<ExternalBuffer> asExternalBuffers() {
        List<ExternalBuffer> l = new ArrayList<>();
        for (MemorySegment d : device) l.add(ExternalBuffer.of(d));
        return l;
    }

    /** Frees the bounce buffers (the client's memory stays the client's). */
    @Override
    public void close() { if (bounceArena != null) bounceArena.close(); }
}
