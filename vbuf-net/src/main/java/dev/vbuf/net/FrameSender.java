package dev.vbuf.net;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.pool.Consumer;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import io.aeron.logbuffer.BufferClaim;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Publishes the frames of one consumer group of a local pool (private or shared) on an Aeron
 * publication, in chunks written straight from the pool buffers; releases each frame when its
 * last chunk has been accepted.
 *
 * <h2>Overview</h2>
 * A frame of {@code payloadSize} bytes is cut by {@link Chunking} into messages of at most
 * {@code chunkBytes} (the publication's max payload by default, so that each chunk is one
 * Aeron fragment): a {@link ChunkHeader#FIRST} chunk with the metadata (sequence, pts, capture
 * and submit time, width, height, format, flags, strides), then {@link ChunkHeader#NEXT} chunks.
 * A chunk that fits one fragment is written with {@code tryClaim}: the header and the bytes,
 * copied once from the pool buffer into Aeron's term buffer. A bigger chunk (a {@code chunkBytes}
 * above the max payload) is {@code offer}ed as the header plus a slice of the frame's memory
 * (Aeron fragments it; the receiver places every fragment where it belongs). Nothing is copied
 * anywhere else and nothing is allocated per frame.
 *
 * <h2>Back-pressure</h2>
 * When the publication is back-pressured (a slow network or receiver: Aeron's flow control) or
 * has no subscriber, {@link BackPressure#WAIT} waits (the group then lags and the pool's own
 * overflow policy acts: drop-oldest for live video, block for a recording) and
 * {@link BackPressure#DROP} drops the whole frame, counted by reason. The decision is taken at
 * the frame's first chunk only: once a frame has started it is finished (waiting), so a frame is
 * never torn on purpose. A frame that cannot be finished (no subscriber left, or the sender is
 * stopped) is abandoned and counted {@link Counter#ABORTED}; the receiver sees the next frame
 * begin and counts the unfinished one lost.
 *
 * <h2>Assumptions and guarantees</h2>
 * One thread calls {@link #sendNext}, {@link #send}, {@link #run} and
 * {@link #sendEndOfStream}; {@link #stop()} and the counters may be used from any thread.
 * Frame numbers on the stream increase by one for every frame whose first chunk was accepted.
 */
public final class FrameSender implements AutoCloseable {
    /** What to do when the publication cannot take a frame's first chunk now. */
    public enum BackPressure {
        /** Wait until it can (or until {@link #stop()}). */
        WAIT,
        /** Drop the frame (release it, counted by reason). */
        DROP
    }

    /** The sender's counters ({@link #counters()}). */
    public enum Counter {
        /** Frames whose last chunk was accepted. */
        FRAMES,
        /** Payload bytes of those frames. */
        BYTES,
        /** Chunks accepted. */
        CHUNKS,
        /** Chunks written with tryClaim (one fragment). */
        CLAIMS,
        /** Chunks offered as header plus a slice of the frame (fragmented by Aeron). */
        OFFERS,
        /** Times a chunk was refused for back-pressure and retried. */
        BACK_PRESSURED,
        /** Frames dropped before their first chunk because the publication was back-pressured. */
        DROPPED_BACK_PRESSURE,
        /** Frames dropped before their first chunk because no receiver was connected. */
        DROPPED_NOT_CONNECTED,
        /** Frames started but not finished (receivers gone or the sender stopped mid-frame). */
        ABORTED,
        /** End-of-stream messages sent. */
        END_OF_STREAM
    }

    private static final long NOT_SENT = 0, SENT = 1, DROPPED = 2;

    private final Consumer group;
    private final FramePool pool;
    private final ExclusivePublication publication;
    private final BackPressure backPressure;
    private final Chunking chunking;
    private final int maxPayload;
    private final BufferClaim claim = new BufferClaim();
    private final UnsafeBuffer header = new UnsafeBuffer(new byte[ChunkHeader.FIRST_HEADER_BYTES]);
    private final UnsafeBuffer slice = new UnsafeBuffer(0, 0);
    private final IdleStrategy idle = new BackoffIdleStrategy();
    private final Counters<Counter> counters = new Counters<>(Counter.class);
    private final FrameLayout layout;
    private volatile boolean stopped;
    private long nextFrameNumber;
    /** The largest window seen (at a frame's start): the publication's window when every receiver has caught up. */
    private long fullWindow;
    /** How long a multicast sender stays after its window is whole, to serve late NAKs. */
    static final long MULTICAST_LINGER_NS = 2_000_000_000L;
    private final boolean multicast;

    /**
     * @param group         the consumer group whose frames to send
     * @param publication   where to send them
     * @param chunkBytes    the largest message, header included: 0 for the publication's max payload
     *                      (one fragment per chunk, written with tryClaim), or up to its max message length
     * @param backPressure  what to do when a frame cannot start now
     * @throws IllegalArgumentException if chunkBytes is out of range
     */
    public FrameSender(Consumer group, ExclusivePublication publication, int chunkBytes, BackPressure backPressure) {
        this(group, group.pool(), group.pool().layout(), publication, chunkBytes, backPressure);
    }

    /**
     * A sender of frames handed to {@link #send} by the caller (a pipeline's sink, not a consumer
     * group of its own): {@code send} releases each with {@link Frame#release()};
     * {@link #run} and {@link #sendNext} are not available.
     *
     * @param layout the frames' layout (for frames that carry no dimensions or format of their own), or null
     * @throws IllegalArgumentException if chunkBytes is out of range
     */
    public FrameSender(FrameLayout layout, ExclusivePublication publication, int chunkBytes, BackPressure backPressure) {
        this(null, null, layout, publication, chunkBytes, backPressure);
    }

    private FrameSender(Consumer group, FramePool pool, FrameLayout layout, ExclusivePublication publication, int chunkBytes,
                        BackPressure backPressure) {
        this.group = group;
        this.pool = pool;
        this.publication = publication;
        this.backPressure = backPressure;
        this.maxPayload = publication.maxPayloadLength();
        int max = publication.maxMessageLength();
        if (chunkBytes != 0 && (chunkBytes <= ChunkHeader.FIRST_HEADER_BYTES || chunkBytes > max)) {
            throw new IllegalArgumentException("chunk size " + chunkBytes + " bytes is outside " + (ChunkHeader.FIRST_HEADER_BYTES + 1)
                    + ".." + max + " (this channel's largest message: term length / 8, at most 16 MiB); give 0 for one"
                    + " fragment per chunk (" + maxPayload + " bytes)");
        }
        this.chunking = new Chunking(chunkBytes == 0 ? maxPayload : chunkBytes);
        this.layout = layout;
        this.multicast = isMulticast(publication.channel());
    }

    /** True if the channel's endpoint is a multicast address (224.0.0.0/4 or ff00::/8). */
    static boolean isMulticast(String channel) {
        try {
            String endpoint = io.aeron.ChannelUri.parse(channel).get("endpoint");
            if (endpoint == null) return false;
            String host = endpoint.startsWith("[") ? endpoint.substring(1, endpoint.indexOf(']')) : endpoint.substring(0, endpoint.lastIndexOf(':'));
            if (host.contains(":")) return host.toLowerCase(java.util.Locale.ROOT).startsWith("ff");
            int first = Integer.parseInt(host.substring(0, host.indexOf('.')));
            return first >= 224 && first <= 239;
        } catch (RuntimeException e) {
            return false; // a host name: not a multicast group
        }
    }

    /** The counters. */
    public Counters<Counter> counters() { return counters; }

    /** How frames are cut. */
    public Chunking chunking() { return chunking; }

    /** The publication. */
    public ExclusivePublication publication() { return publication; }

    /** Asks {@link #run} to return, and a frame in the middle of sending to be abandoned; any thread. */
    public void stop() { stopped = true; }

    /**
     * Sends the group's frames until {@link #stop()}, or until the pool's stream ended and the group
     * has read it all (then an end-of-stream message follows).
     *
     * @param pollNanos how long one wait for a frame lasts before the stop flag is looked at again
     * @return true if the stream ended, false if stopped
     */
    public boolean run(long pollNanos) {
        if (group == null) throw new IllegalStateException("this sender has no consumer group: hand it frames with send(Frame)");
        while (!stopped) {
            long r = sendNext(pollNanos);
            if (r == NOT_SENT && pool.endOfStream() && group.lag() == 0) {
                sendEndOfStream();
                return true;
            }
        }
        return false;
    }

    /**
     * Takes the group's next frame (waiting up to {@code timeoutNanos}) and sends it.
     *
     * @return 0 if no frame came, 1 if one was sent, 2 if one was dropped or abandoned
     */
    public long sendNext(long timeoutNanos) {
        if (group == null) throw new IllegalStateException("this sender has no consumer group: hand it frames with send(Frame)");
        Frame f = group.acquireFilled(timeoutNanos);
        if (f == null) return NOT_SENT;
        return send(f) ? SENT : DROPPED;
    }

    /**
     * Sends one frame of this sender's group and releases it (also when it is dropped, or on an
     * exception).
     *
     * @return true if its last chunk was accepted, false if it was dropped or abandoned
     */
    public boolean send(Frame f) {
        try {
            return sendChunks(f);
        } finally {
            if (group != null) group.releaseFilled(f);
            else f.release();
        }
    }

    private boolean sendChunks(Frame f) {
        long total = payloadBytes(f);
        long base = f.segment().address();
        long frameNumber = nextFrameNumber;
        long offset = 0;
        do {
            int kind = offset == 0 ? ChunkHeader.FIRST : ChunkHeader.NEXT;
            int head = ChunkHeader.headerBytes(kind);
            int data = (int) chunking.dataAt(total, offset);
            int length = head + data;
            long r;
            if (length <= maxPayload) {
                r = publication.tryClaim(length, claim);
                if (r > 0) {
                    MutableDirectBuffer b = claim.buffer();
                    int at = claim.offset();
                    writeHeader(b, at, kind, f, frameNumber, offset, data, total);
                    if (data > 0) {
                        slice.wrap(base + offset, data);
                        b.putBytes(at + head, slice, 0, data);
                    }
                    claim.commit();
                    counters.inc(Counter.CLAIMS);
                }
            } else {
                writeHeader(header, 0, kind, f, frameNumber, offset, data, total);
                slice.wrap(base + offset, data);
                r = publication.offer(header, 0, head, slice, 0, data);
                if (r > 0) counters.inc(Counter.OFFERS);
            }
            if (r > 0) {
                if (offset == 0) {
                    nextFrameNumber++;
                    long w = publication.availableWindow(); // the receivers' window; whole when they have caught up
                    if (w > fullWindow) fullWindow = w;
                }
                offset += data;
                counters.inc(Counter.CHUNKS);
                idle.reset();
                continue;
            }
            if (!retry(r, offset == 0)) return false;
        } while (offset < total);
        counters.inc(Counter.FRAMES);
        counters.add(Counter.BYTES, total);
        return true;
    }

    /** After a refused chunk: true to try again, false when the frame is dropped or abandoned (counted). */
    private boolean retry(long r, boolean first) {
        if (r == Publication.CLOSED || r == Publication.MAX_POSITION_EXCEEDED) {
            throw new IllegalStateException("the Aeron publication on " + publication.channel() + " stream "
                    + publication.streamId() + (r == Publication.CLOSED ? " is closed"
                    : " reached its largest position; start the sender again for a new stream"));
        }
        if (stopped) {
            if (!first) counters.inc(Counter.ABORTED);
            return false;
        }
        if (r == Publication.NOT_CONNECTED) {
            if (first && backPressure == BackPressure.DROP) {
                counters.inc(Counter.DROPPED_NOT_CONNECTED);
                return false;
            }
            if (!first) { // the receivers left mid-frame: this frame cannot be finished
                counters.inc(Counter.ABORTED);
                return false;
            }
        } else if (r == Publication.BACK_PRESSURED) {
            if (first && backPressure == BackPressure.DROP) {
                counters.inc(Counter.DROPPED_BACK_PRESSURE);
                return false;
            }
            counters.inc(Counter.BACK_PRESSURED);
        }
        idle.idle();
        return true;
    }

    private long payloadBytes(Frame f) {
        long p = f.payloadSize();
        if (p > 0 || f.isEndOfStream()) return p;
        return layout != null ? Math.min(layout.frameBytes(), f.size()) : f.size();
    }

    private void writeHeader(MutableDirectBuffer b, int at, int kind, Frame f, long frameNumber, long offset, int data, long total) {
        ChunkHeader.putCommon(b, at, kind, frameNumber, offset, data);
        if (kind != ChunkHeader.FIRST) return;
        var le = ChunkHeader.LE;
        b.putLong(at + ChunkHeader.TOTAL_BYTES_OFFSET, total, le);
        b.putLong(at + ChunkHeader.SEQUENCE_OFFSET, f.sequence(), le);
        b.putLong(at + ChunkHeader.PTS_OFFSET, f.pts(), le);
        b.putLong(at + ChunkHeader.CAPTURE_NANOS_OFFSET, f.captureTimeNs(), le);
        b.putLong(at + ChunkHeader.SUBMIT_NANOS_OFFSET, f.submitTimeNs(), le);
        int w = f.width(), h = f.height();
        PixelFormat format = f.format();
        if (w == 0 && h == 0 && layout != null) {
            w = layout.width();
            h = layout.height();
        }
        if (format == null && layout != null) format = layout.format();
        b.putInt(at + ChunkHeader.WIDTH_OFFSET, w, le);
        b.putInt(at + ChunkHeader.HEIGHT_OFFSET, h, le);
        b.putInt(at + ChunkHeader.FORMAT_OFFSET, WireFormat.code(format), le);
        b.putInt(at + ChunkHeader.FLAGS_OFFSET, f.flags(), le);
        int planes = layout == null ? 0 : Math.min(layout.planeCount(), ChunkHeader.MAX_PLANES);
        b.putInt(at + ChunkHeader.PLANE_COUNT_OFFSET, planes, le);
        b.putInt(at + ChunkHeader.PLANE_COUNT_OFFSET + 4, 0, le);
        for (int i = 0; i < ChunkHeader.MAX_PLANES; i++) {
            b.putInt(at + ChunkHeader.STRIDES_OFFSET + 4 * i, i < planes ? layout.plane(i).stride() : 0, le);
        }
        b.setMemory(at + ChunkHeader.STRIDES_OFFSET + 4 * ChunkHeader.MAX_PLANES,
                ChunkHeader.FIRST_HEADER_BYTES - ChunkHeader.STRIDES_OFFSET - 4 * ChunkHeader.MAX_PLANES, (byte) 0);
    }

    /**
     * Says that the stream ended (the receiver marks its pool's end of stream). Waits while the
     * publication is back-pressured, up to one second when nobody is connected.
     *
     * @return true if the message was accepted
     */
    public boolean sendEndOfStream() {
        ChunkHeader.putCommon(header, 0, ChunkHeader.END_OF_STREAM, nextFrameNumber, 0, 0);
        long deadline = System.nanoTime() + 1_000_000_000L;
        while (true) {
            long r = publication.offer(header, 0, ChunkHeader.NEXT_HEADER_BYTES);
            if (r > 0) {
                counters.inc(Counter.END_OF_STREAM);
                return true;
            }
            if (r == Publication.CLOSED || r == Publication.MAX_POSITION_EXCEEDED) return false;
            if (r == Publication.NOT_CONNECTED && System.nanoTime() > deadline) return false;
            idle.idle();
        }
    }

    /**
     * Waits until the receivers have taken everything sent so far (the publication's window is
     * whole again), so that closing the sender's media driver right after does not lose the
     * stream's tail; returns early when no receiver is connected.
     *
     * @return true if everything was taken, false after the timeout or when no receiver is left
     */
    public boolean awaitDelivered(long timeoutNanos) {
        return awaitDelivered(timeoutNanos, null);
    }

    /**
     * As {@link #awaitDelivered(long)}, then, since a whole window says only that the driver has
     * sent everything (not that the receivers got it: a lost tail is NAKed and sent again after),
     * keeps the driver serving repairs until {@code repairs} (a count of NAKs received and
     * retransmissions sent by this process's driver, {@link NetLink#repairs()}) has not moved for
     * {@link #REPAIR_QUIET_NS}, or the timeout.
     *
     * @param repairs the driver's repair count, or null to wait for the window only
     */
    public boolean awaitDelivered(long timeoutNanos, java.util.function.LongSupplier repairs) {
        long deadline = System.nanoTime() + timeoutNanos;
        while (publication.isConnected()) {
            long w = publication.availableWindow();
            if (w >= fullWindow && w > 0) {
                if (repairs != null) lingerWhileRepairing(repairs, deadline);
                else if (multicast) lingerForRetransmits(deadline);
                return true;
            }
            if (System.nanoTime() - deadline > 0) return false;
            idle.idle();
        }
        return false;
    }

    /**
     * Multicast: the window being whole says what the slowest receiver that flow control still
     * tracks has taken; a receiver whose status messages came late (a loaded machine) may still be
     * NAKing the tail. The driver must stay up to retransmit it, so wait {@link #MULTICAST_LINGER_NS}
     * more (or until the deadline) while receivers are connected.
     */
    private void lingerForRetransmits(long deadline) {
        long end = Math.min(System.nanoTime() + MULTICAST_LINGER_NS, deadline);
        while (publication.isConnected() && end - System.nanoTime() > 0) idle.idle();
    }

    /** How long the driver's repairs must stay still before the stream counts as delivered. */
    static final long REPAIR_QUIET_NS = 1_000_000_000L;

    private void lingerWhileRepairing(java.util.function.LongSupplier repairs, long deadline) {
        long last = repairs.getAsLong(), since = System.nanoTime();
        long quiet = multicast ? MULTICAST_LINGER_NS : REPAIR_QUIET_NS;
        while (publication.isConnected() && deadline - System.nanoTime() > 0) {
            long now = System.nanoTime(), r = repairs.getAsLong();
            if (r != last) {
                last = r;
                since = now;
            } else if (now - since >= quiet) {
                return;
            }
            idle.idle();
        }
    }

    /** Closes the publication (the pool and the link stay the caller's). */
    @Override
    public void close() {
        stopped = true;
        publication.close();
    }
}
