package dev.vbuf.net;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import io.aeron.Subscription;
import io.aeron.logbuffer.ControlledFragmentHandler;
import io.aeron.logbuffer.FrameDescriptor;
import org.agrona.concurrent.BackoffIdleStrategy;

import java.util.Arrays;
import java.util.Locale;
import java.util.function.BooleanSupplier;

/**
 * The picture a stream carries, read from the first {@link ChunkHeader#FIRST} chunk that passes
 * {@link ChunkHeader#check}: so that a receiver can make its pool before it takes frames. The
 * chunk is left on the stream (the receiver takes it next).
 *
 * @param width      pixels across
 * @param height     rows
 * @param format     the pixel format, null when the sender's pool had none
 * @param strides    bytes per row of each plane (empty when the sender's pool had no layout)
 * @param totalBytes the frame's payload bytes
 */
public record StreamFormat(int width, int height, PixelFormat format, int[] strides, long totalBytes) {
    public StreamFormat {
        strides = strides.clone();
    }

    @Override
    public int[] strides() { return strides.clone(); }

    /**
     * Waits for the first frame's first chunk on a subscription.
     *
     * @return the stream's format, or null if {@code keepGoing} said stop or {@code timeoutNanos} passed
     */
    public static StreamFormat probe(Subscription subscription, long timeoutNanos, BooleanSupplier keepGoing) {
        var found = new StreamFormat[1];
        ControlledFragmentHandler h = (b, at, length, header) -> {
            boolean begin = (header.flags() & FrameDescriptor.BEGIN_FRAG_FLAG) != 0;
            boolean whole = begin && (header.flags() & FrameDescriptor.END_FRAG_FLAG) != 0;
            if (!begin || ChunkHeader.check(b, at, length, !whole) != ChunkHeader.Refusal.OK
                    || ChunkHeader.kind(b, at) != ChunkHeader.FIRST) {
                return ControlledFragmentHandler.Action.CONTINUE;
            }
            var le = ChunkHeader.LE;
            int planes = b.getInt(at + ChunkHeader.PLANE_COUNT_OFFSET, le); // 0..4, checked
            int[] strides = new int[planes];
            for (int i = 0; i < planes; i++) strides[i] = b.getInt(at + ChunkHeader.STRIDES_OFFSET + 4 * i, le);
            found[0] = new StreamFormat(b.getInt(at + ChunkHeader.WIDTH_OFFSET, le), b.getInt(at + ChunkHeader.HEIGHT_OFFSET, le),
                    WireFormat.format(b.getInt(at + ChunkHeader.FORMAT_OFFSET, le)), strides, ChunkHeader.totalBytes(b, at));
            return ControlledFragmentHandler.Action.ABORT; // leave it for the receiver
        };
        var idle = new BackoffIdleStrategy();
        long deadline = System.nanoTime() + timeoutNanos;
        while (found[0] == null && keepGoing.getAsBoolean() && System.nanoTime() - deadline < 0) {
            idle.idle(subscription.controlledPoll(h, 16));
        }
        return found[0];
    }

    /**
     * The layout with these dimensions, format and strides (the stride alignment that gives them).
     *
     * @throws IllegalArgumentException if the stream has no format, or no alignment gives its strides
     */
    public FrameLayout layout() {
        if (format == null || width <= 0 || height <= 0) {
            throw new IllegalArgumentException("the stream's frames carry no picture format (" + this + "); give the"
                    + " receiving pool's --size and --format");
        }
        for (int align = 1; align <= FrameLayout.MAX_STRIDE_ALIGN; align <<= 1) {
            FrameLayout l;
            try {
                l = FrameLayout.of(format, width, height, align);
            } catch (IllegalArgumentException e) {
                continue;
            }
            boolean same = strides.length == 0 || strides.length == l.planeCount();
            for (int i = 0; same && i < strides.length; i++) same = strides[i] == l.plane(i).stride();
            if (same && l.frameBytes() >= totalBytes) return l;
        }
        throw new IllegalArgumentException("no frame layout of " + this + " has the stream's strides; give the receiving"
                + " pool's --size and --format");
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%dx%d %s, strides %s, %d bytes", width, height,
                format == null ? "no format" : format.name().toLowerCase(Locale.ROOT), Arrays.toString(strides), totalBytes);
    }
}
