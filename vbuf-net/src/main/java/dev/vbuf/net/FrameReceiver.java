package dev.vbuf.net;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import dev.vbuf.pool.Overflow;
import io.aeron.Subscription;
import io.aeron.logbuffer.ControlledFragmentHandler;
import io.aeron.logbuffer.FrameDescriptor;
import io.aeron.logbuffer.Header;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.Locale;

/**
 * Takes frames off an Aeron subscription into a local pool: each chunk is written straight into
 * a frame taken from the pool with {@code acquireFree}, and the frame is submitted when its last
 * byte has arrived. There is no assembly buffer: Aeron's term buffer to the pool buffer is the
 * only copy.
 *
 * <h2>Overview</h2>
 * A {@link ChunkHeader#FIRST} chunk takes a free frame (after its header has been checked against
 * the pool: the frame fits a buffer, and its format, size and strides match the pool's layout),
 * writes the metadata and the first bytes; each {@link ChunkHeader#NEXT} chunk of the same
 * frame, from the same sender session, must start where the previous one ended. A chunk bigger
 * than one fragment (the sender's offer path) arrives as several fragments, each placed after the
 * one before. A frame whose chunks stop is aborted (its buffer returned to the pool) and counted
 * lost by cause: {@link Counter#LOST_GAP} (a chunk is missing), {@link Counter#LOST_NEW_FRAME}
 * (another frame began), {@link Counter#LOST_TIMEOUT} (nothing for the frame timeout),
 * {@link Counter#LOST_SENDER_GONE} (its image closed), {@link Counter#LOST_REFUSED} (a later
 * chunk was refused); frames never seen at all (the frame numbers jump) are
 * {@link Counter#LOST_NEVER_SEEN}, and frames for which the pool had no buffer
 * {@link Counter#LOST_POOL_FULL}.
 *
 * <h2>When the pool is full</h2>
 * The pool's overflow policy decides: {@link Overflow#BLOCK} leaves the chunk in Aeron's term
 * buffer and polls again later ({@link Counter#STALLS}), so Aeron's flow control slows the sender
 * down and nothing is lost (a recording); {@link Overflow#DROP_OLDEST} takes back the oldest
 * frame nobody reads (live video); {@link Overflow#FAIL} (and a reclaiming policy that finds
 * nothing to take back) loses the incoming frame, counted.
 *
 * <h2>Untrusted input</h2>
 * Every header field is checked before it is used as a size or an index
 * ({@link ChunkHeader#check}, then against the pool and the frame in hand); a refused chunk is
 * counted by reason ({@code REFUSED_*}) and its text kept ({@link #lastRefusal()}); nothing a
 * sender sends can make the receiver write outside a buffer or throw.
 *
 * <h2>Assumptions and guarantees</h2>
 * One thread calls {@link #poll}; the counters, {@link #latency()} and {@link #lastRefusal()} may
 * be read from any thread. The receiver is the pool's producer (alone or beside others). One
 * sender per stream: a second session's chunks abort the frame in hand. Latency is the sender
 * pool's submit time to this pool's submit, on {@code System.nanoTime()}: meaningful when both
 * ends share a monotonic clock (one machine, or network namespaces of one machine).
 */
public final class FrameReceiver implements ControlledFragmentHandler, AutoCloseable {
    /** The receiver's counters ({@link #counters()}). */
    public enum Counter {
        /** Frames submitted to the pool complete. */
        FRAMES,
        /** Payload bytes of those frames. */
        BYTES,
        /** Chunks placed in a frame. */
        CHUNKS,
        LOST_GAP,
        LOST_NEW_FRAME,
        LOST_TIMEOUT,
        LOST_SENDER_GONE,
        LOST_REFUSED,
        LOST_POOL_FULL,
        LOST_NEVER_SEEN,
        /** Chunks that are no vbuf chunk (magic, version, kind, header length). */
        REFUSED_NOT_A_CHUNK,
        /** Chunks whose length or offset lies outside their message or frame. */
        REFUSED_RANGE,
        /** First chunks of a frame bigger than the pool's buffers. */
        REFUSED_TOO_BIG,
        /** First chunks whose format, size or strides differ from the pool's layout. */
        REFUSED_FORMAT,
        /** Chunks of a frame not in hand (the receiver joined mid-frame, or the frame was aborted). */
        STRAY_CHUNKS,
        /** Polls that left a first chunk in place because the pool (policy block) had no free buffer. */
        STALLS,
        /** End-of-stream messages received. */
        END_OF_STREAM
    }

    private final FramePool pool;
    private final Subscription subscription;
    private final long frameTimeoutNanos;
    private final FrameLayout layout;
    private final long bufferBytes;
    private final Counters<Counter> counters = new Counters<>(Counter.class);
    private final Latency latency = new Latency();
    private final UnsafeBuffer target = new UnsafeBuffer(0, 0);
    private volatile String lastRefusal;

    // the frame in hand
    private Frame frame;
    private int session;
    private long frameNumber;
    private long total;
    private long written;
    /** Data bytes still to come in fragments of the current (fragmented) chunk; 0 between chunks. */
    private long messageRemaining;
    private long submitNanos;
    private long lastChunkNanos;
    // frame numbering of the current session
    private boolean numbered;
    private int numberedSession;
    private long lastFrameNumber;
    // a frame the pool had no buffer for: its chunks are skipped quietly
    private long skipNumber = -1;
    private int skipSession;
    private boolean endOfStream;
    // replay at the original pace: the first frame's time on the stream and here
    private boolean paced;
    private long paceOrigin = Long.MIN_VALUE;
    private long paceStart;
    private long paceLast = Long.MIN_VALUE;
    private static final long MAX_PACE_GAP_NS = 10_000_000_000L;

    /**
     * @param pool              where frames go (this receiver is one of its producers)
     * @param subscription      where they come from
     * @param frameTimeoutNanos a frame with no chunk for this long is aborted and counted lost
     */
    public FrameReceiver(FramePool pool, Subscription subscription, long frameTimeoutNanos) {
        if (frameTimeoutNanos <= 0) throw new IllegalArgumentException("frame timeout " + frameTimeoutNanos + " ns is not positive");
        this.pool = pool;
        this.subscription = subscription;
        this.frameTimeoutNanos = frameTimeoutNanos;
        this.layout = pool.layout();
        this.bufferBytes = pool.getBufferSize();
    }

    /**
     * At the original pace (a replay): each frame is taken only when as much time has passed here
     * since the first frame as passed between their capture times (their submit times when they
     * carry none) at the sender; until then its first chunk stays in Aeron's term buffer. Without
     * it (the default) frames are taken as fast as they come.
     *
     * @return this receiver
     */
    public FrameReceiver paced(boolean paced) {
        this.paced = paced;
        return this;
    }

    /** The counters. */
    public Counters<Counter> counters() { return counters; }

    /** Sender submit to receiver submit, in nanoseconds (see the class comment). */
    public Latency latency() { return latency; }

    /** Frames lost, all causes. */
    public long lost() {
        long n = 0;
        for (Counter c : Counter.values()) if (c.name().startsWith("LOST_")) n += counters.get(c);
        return n;
    }

    /** The last refused chunk, described for people; null when none was refused. */
    public String lastRefusal() { return lastRefusal; }

    /** True once an end-of-stream message arrived (the pool was marked end of stream). */
    public boolean endOfStream() { return endOfStream; }

    /** The subscription. */
    public Subscription subscription() { return subscription; }

    /**
     * Polls the subscription once, then aborts the frame in hand if its sender's image closed or
     * it timed out.
     *
     * @return fragments handled
     */
    public int poll(int fragmentLimit) {
        int n = subscription.controlledPoll(this, fragmentLimit);
        if (frame != null && n == 0) {
            if (System.nanoTime() - lastChunkNanos > frameTimeoutNanos) abort(Counter.LOST_TIMEOUT);
            else if (subscription.imageBySessionId(session) == null) abort(Counter.LOST_SENDER_GONE);
        }
        return n;
    }

    /**
     * Polls until the stream ends (an end-of-stream message) or {@code keepGoing} says false,
     * idling with a back-off (spin, yield, then park up to 1 ms) while nothing comes.
     *
     * @return true if the stream ended
     */
    public boolean run(java.util.function.BooleanSupplier keepGoing) {
        var idle = new org.agrona.concurrent.BackoffIdleStrategy();
        while (!endOfStream && keepGoing.getAsBoolean()) idle.idle(poll(64));
        return endOfStream;
    }

    @Override
    public Action onFragment(DirectBuffer buffer, int offset, int length, Header header) {
        byte flags = header.flags();
        int from = header.sessionId();
        if ((flags & FrameDescriptor.BEGIN_FRAG_FLAG) == 0) {
            continuation(buffer, offset, length, from, (flags & FrameDescriptor.END_FRAG_FLAG) != 0);
            return Action.CONTINUE;
        }
        boolean whole = (flags & FrameDescriptor.END_FRAG_FLAG) != 0;
        ChunkHeader.Refusal r = ChunkHeader.check(buffer, offset, length, !whole);
        if (r != ChunkHeader.Refusal.OK) {
            refuse(r == ChunkHeader.Refusal.NOT_A_CHUNK ? Counter.REFUSED_NOT_A_CHUNK : Counter.REFUSED_RANGE,
                    from, "a message of " + length + " bytes from session " + from + " was refused: " + r.text()
                            + " (" + describe(buffer, offset, length) + ")");
            return Action.CONTINUE;
        }
        return switch (ChunkHeader.kind(buffer, offset)) {
            case ChunkHeader.FIRST -> first(buffer, offset, length, from, whole);
            case ChunkHeader.NEXT -> {
                next(buffer, offset, length, from, whole);
                yield Action.CONTINUE;
            }
            default -> {
                if (frame != null && from == session) abort(Counter.LOST_GAP);
                counters.inc(Counter.END_OF_STREAM);
                endOfStream = true;
                pool.markEndOfStream();
                yield Action.BREAK;
            }
        };
    }

    private Action first(DirectBuffer b, int at, int length, int from, boolean whole) {
        if (paced) {
            long t = b.getLong(at + ChunkHeader.CAPTURE_NANOS_OFFSET, ChunkHeader.LE);
            if (t == 0) t = b.getLong(at + ChunkHeader.SUBMIT_NANOS_OFFSET, ChunkHeader.LE);
            long now = System.nanoTime();
            // untrusted times: a frame stamped before the last, or over 10 s after it, starts the pace anew
            if (paceOrigin == Long.MIN_VALUE || t < paceLast || t - paceLast > MAX_PACE_GAP_NS) {
                paceOrigin = t;
                paceStart = now;
            } else if (now - paceStart < t - paceOrigin) {
                return Action.ABORT; // not yet: left in the term buffer, polled again
            }
            paceLast = t;
        }
        long number = ChunkHeader.frameNumber(b, at);
        long totalBytes = ChunkHeader.totalBytes(b, at);
        if (frame != null) abort(Counter.LOST_NEW_FRAME);
        String mismatch = totalBytes > bufferBytes ? null : formatMismatch(b, at);
        if (totalBytes > bufferBytes || mismatch != null) {
            account(number, from);
            counters.inc(Counter.LOST_REFUSED);
            skip(number, from);
            if (totalBytes > bufferBytes) {
                refuse(Counter.REFUSED_TOO_BIG, from, String.format(Locale.ROOT, "frame %d of %d bytes does not fit the"
                        + " receiving pool's buffers of %d bytes; make the receiving pool with the sender's frame size"
                        + " and format", number, totalBytes, bufferBytes));
            } else {
                refuse(Counter.REFUSED_FORMAT, from, "frame " + number + " is " + mismatch);
            }
            return Action.CONTINUE;
        }
        Frame f = pool.acquireFree(pool.overflow(), 0);
        if (f == null) {
            if (pool.overflow() == Overflow.BLOCK && !pool.isClosed()) {
                counters.inc(Counter.STALLS);
                return Action.ABORT; // stays in the term buffer; Aeron's flow control holds the sender
            }
            account(number, from);
            counters.inc(Counter.LOST_POOL_FULL);
            skip(number, from);
            return Action.CONTINUE;
        }
        if (totalBytes > f.size()) { // a pool whose buffers differ in size (external buffers)
            pool.abort(f);
            account(number, from);
            counters.inc(Counter.LOST_REFUSED);
            skip(number, from);
            refuse(Counter.REFUSED_TOO_BIG, from, String.format(Locale.ROOT, "frame %d of %d bytes does not fit buffer %d"
                    + " of the receiving pool (%d bytes)", number, totalBytes, f.id(), f.size()));
            return Action.CONTINUE;
        }
        account(number, from);
        var le = ChunkHeader.LE;
        PixelFormat format = WireFormat.format(b.getInt(at + ChunkHeader.FORMAT_OFFSET, le));
        int w = b.getInt(at + ChunkHeader.WIDTH_OFFSET, le), h = b.getInt(at + ChunkHeader.HEIGHT_OFFSET, le);
        f.pts(b.getLong(at + ChunkHeader.PTS_OFFSET, le))
                .captureTimeNs(b.getLong(at + ChunkHeader.CAPTURE_NANOS_OFFSET, le))
                .dimensions(Math.max(w, 0), Math.max(h, 0))
                .format(format)
                .flags(b.getInt(at + ChunkHeader.FLAGS_OFFSET, le))
                .payloadSize(totalBytes);
        frame = f;
        session = from;
        frameNumber = number;
        total = totalBytes;
        written = 0;
        submitNanos = b.getLong(at + ChunkHeader.SUBMIT_NANOS_OFFSET, le);
        skipNumber = -1;
        place(b, at + ChunkHeader.FIRST_HEADER_BYTES, length - ChunkHeader.FIRST_HEADER_BYTES,
                ChunkHeader.chunkBytes(b, at), whole);
        return Action.CONTINUE;
    }

    private void next(DirectBuffer b, int at, int length, int from, boolean whole) {
        long number = ChunkHeader.frameNumber(b, at);
        if (frame == null || from != session || number != frameNumber) {
            if (number != skipNumber || from != skipSession) {
                if (frame != null && from == session && number > frameNumber) abort(Counter.LOST_GAP);
                counters.inc(Counter.STRAY_CHUNKS);
            }
            return;
        }
        long offset = ChunkHeader.offset(b, at);
        long chunk = ChunkHeader.chunkBytes(b, at);
        if (messageRemaining != 0 || offset != written) { // a chunk (or the rest of a fragmented one) is missing
            abort(Counter.LOST_GAP);
            return;
        }
        if (chunk > total - offset) {
            refuse(Counter.REFUSED_RANGE, from, String.format(Locale.ROOT, "a chunk of frame %d runs past the frame's end:"
                    + " offset %d + %d bytes > %d bytes", number, offset, chunk, total)); // aborts the frame, counted lost
            return;
        }
        place(b, at + ChunkHeader.NEXT_HEADER_BYTES, length - ChunkHeader.NEXT_HEADER_BYTES, chunk, whole);
    }

    /** A fragment after the first of a chunk bigger than one fragment. */
    private void continuation(DirectBuffer b, int at, int length, int from, boolean end) {
        if (frame == null || from != session || messageRemaining == 0) {
            if (skipNumber < 0 || from != skipSession) counters.inc(Counter.STRAY_CHUNKS);
            return;
        }
        if (length > messageRemaining) {
            refuse(Counter.REFUSED_RANGE, from, String.format(Locale.ROOT, "a fragment of frame %d carries %d bytes where"
                    + " its chunk has %d left", frameNumber, length, messageRemaining));
            abort(Counter.LOST_REFUSED);
            return;
        }
        copy(b, at, length);
        messageRemaining -= length;
        if (end && messageRemaining != 0) {
            refuse(Counter.REFUSED_RANGE, from, String.format(Locale.ROOT, "a chunk of frame %d ended %d bytes short of"
                    + " its length", frameNumber, messageRemaining));
            abort(Counter.LOST_REFUSED);
            return;
        }
        if (end) chunkDone();
    }

    /** Writes a chunk's data (or its first fragment's) at {@code written}; checked: written + chunk <= total <= buffer. */
    private void place(DirectBuffer b, int at, int carried, long chunk, boolean whole) {
        copy(b, at, carried);
        messageRemaining = chunk - carried;
        if (whole) chunkDone();
    }

    private void copy(DirectBuffer b, int at, int n) {
        if (n > 0) {
            target.wrap(frame.segment().address() + written, n);
            b.getBytes(at, target, 0, n);
            written += n;
        }
        lastChunkNanos = System.nanoTime();
    }

    private void chunkDone() {
        counters.inc(Counter.CHUNKS);
        messageRemaining = 0;
        if (written == total) complete();
    }

    private void complete() {
        Frame f = frame;
        frame = null;
        pool.submitFilled(f);
        counters.inc(Counter.FRAMES);
        counters.add(Counter.BYTES, total);
        if (submitNanos != 0) latency.record(System.nanoTime() - submitNanos);
    }

    /** Frame numbering: frames the sender put on the stream that never reached this receiver. */
    private void account(long number, int from) {
        if (numbered && from == numberedSession && number > lastFrameNumber + 1) {
            counters.add(Counter.LOST_NEVER_SEEN, number - lastFrameNumber - 1);
        }
        numbered = true;
        numberedSession = from;
        lastFrameNumber = number;
    }

    private void skip(long number, int from) {
        skipNumber = number;
        skipSession = from;
    }

    private void abort(Counter cause) {
        Frame f = frame;
        frame = null;
        messageRemaining = 0;
        counters.inc(cause); // before the buffer goes back: who sees it free sees the loss counted
        pool.abort(f);
    }

    private void refuse(Counter reason, int from, String text) {
        counters.inc(reason);
        lastRefusal = text;
        if (frame != null && from == session && reason != Counter.REFUSED_TOO_BIG && reason != Counter.REFUSED_FORMAT) {
            abort(Counter.LOST_REFUSED);
        }
    }

    /** Null when the first chunk's picture matches the pool's layout (or the pool has none), else what differs. */
    private String formatMismatch(DirectBuffer b, int at) {
        var le = ChunkHeader.LE;
        int code = b.getInt(at + ChunkHeader.FORMAT_OFFSET, le);
        PixelFormat format = WireFormat.format(code);
        if (code != 0 && format == null) {
            return "in a pixel format this receiver does not know (code " + PixelFormat.fourccToString(code) + ")";
        }
        if (layout == null) return null;
        int w = b.getInt(at + ChunkHeader.WIDTH_OFFSET, le), h = b.getInt(at + ChunkHeader.HEIGHT_OFFSET, le);
        int planes = b.getInt(at + ChunkHeader.PLANE_COUNT_OFFSET, le); // 0..MAX_PLANES, checked
        boolean same = format == layout.format() && w == layout.width() && h == layout.height()
                && (planes == 0 || planes == layout.planeCount());
        for (int i = 0; same && i < planes; i++) {
            same = b.getInt(at + ChunkHeader.STRIDES_OFFSET + 4 * i, le) == layout.plane(i).stride();
        }
        if (same) return null;
        var strides = new StringBuilder();
        for (int i = 0; i < planes; i++) strides.append(i == 0 ? "" : ",").append(b.getInt(at + ChunkHeader.STRIDES_OFFSET + 4 * i, le));
        var own = new StringBuilder();
        for (int i = 0; i < layout.planeCount(); i++) own.append(i == 0 ? "" : ",").append(layout.plane(i).stride());
        return String.format(Locale.ROOT, "%dx%d %s (strides %s) but the receiving pool holds %dx%d %s (strides %s);"
                        + " make the receiving pool with the sender's size and format", w, h,
                format == null ? "without format" : format.name().toLowerCase(Locale.ROOT), strides.isEmpty() ? "-" : strides,
                layout.width(), layout.height(), layout.format().name().toLowerCase(Locale.ROOT), own);
    }

    private static String describe(DirectBuffer b, int at, int length) {
        if (length < ChunkHeader.NEXT_HEADER_BYTES) return "shorter than the " + ChunkHeader.NEXT_HEADER_BYTES + "-byte chunk header";
        return String.format(Locale.ROOT, "magic %08x, version %d, kind %d, header %d bytes, frame %d, offset %d, chunk %d bytes",
                b.getInt(at, ChunkHeader.LE), b.getByte(at + ChunkHeader.VERSION_OFFSET) & 0xff, ChunkHeader.kind(b, at),
                b.getShort(at + ChunkHeader.HEADER_BYTES_OFFSET, ChunkHeader.LE) & 0xffff, ChunkHeader.frameNumber(b, at),
                ChunkHeader.offset(b, at), ChunkHeader.chunkBytes(b, at));
    }

    /** Aborts the frame in hand (returned to the pool, counted lost to a timeout) and closes the subscription. */
    @Override
    public void close() {
        if (frame != null && !pool.isClosed()) abort(Counter.LOST_TIMEOUT);
        subscription.close();
    }

    /** Images (senders) this receiver's subscription has now. */
    public int senders() { return subscription.imageCount(); }
}
