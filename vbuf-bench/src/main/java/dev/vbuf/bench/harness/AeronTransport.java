package dev.vbuf.bench.harness;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.logbuffer.ControlledFragmentHandler;
import io.aeron.logbuffer.FrameDescriptor;
import io.aeron.logbuffer.Header;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

/**
 * Aeron IPC (io.aeron 1.46): the consumer process runs an embedded media driver (shared
 * threading mode, back-off idle strategy) and subscribes to {@code aeron:ipc}; the producer
 * connects to the same driver directory and publishes with an exclusive publication. The term
 * length is 128 MiB (so a message may be 16 MiB, Aeron's cap) and the MTU 64 KiB (fewer
 * fragments). A frame bigger than one message (8K NV12, 8K RGBA) goes as several messages
 * ("chunks") of at most 16 MiB, each with the frame header in front and its offset in the
 * frame; the consumer copies every fragment into its own frame buffer — what Aeron's
 * FragmentAssembler would do — so it ends up holding the whole frame, as with the sockets.
 */
final class AeronTransport {
    static final String CHANNEL = "aeron:ipc?term-length=128m|mtu=65504";
    static final int STREAM = 7007;
    /**
     * Aeron's liveness timeouts (driver, client, image, publication unblock), raised from 10-15 s
     * so that a JVM starved on a loaded machine is not declared dead mid-run; a side that makes
     * no progress for {@link #STALL_NS} once frames flow fails with what it saw instead of
     * spinning on.
     */
    static final long LIVENESS_NS = TimeUnit.SECONDS.toNanos(60);
    static final long STALL_NS = TimeUnit.SECONDS.toNanos(45);

    private AeronTransport() {}

    /** Largest payload bytes carried by one message: Aeron's limit minus the frame header. */
    static long chunkPayload() {
        // min(term length / 8, 16 MiB) = 16 MiB for a 128 MiB term
        return Math.min(128L * 1024 * 1024 / 8, 16L * 1024 * 1024) - FrameWork.HEADER;
    }

    static boolean chunked(long payloadBytes) { return payloadBytes > chunkPayload(); }

    static Transport.Receiver receiver(long frameBytes) throws IOException {
        return new Receiver(frameBytes);
    }

    static Transport.Sender sender(String dir, long frameBytes) {
        return new Sender(dir, frameBytes);
    }

    /**
     * A busy wait that yields the CPU every 1024 turns. The IPC publication's limit moves only when
     * the media driver's conductor runs (SHARED mode: one thread); two pure spinners (producer and
     * consumer) on a loaded 2-CPU machine starved it until the run overran its deadline.
     */
    static void spinOrYield(int turn) {
        if ((turn & 1023) == 1023) Thread.yield();
        else Thread.onSpinWait();
    }

    private static final class Receiver implements Transport.Receiver, ControlledFragmentHandler {
        private final Arena arena = Arena.ofShared();
        private final MemorySegment frame;
        private final UnsafeBuffer frameBuf;
        private final MediaDriver driver;
        private final Aeron aeron;
        private final Subscription sub;
        private final String dir;
        private long writePos;
        private boolean complete;
        /** Set at the first fragment: before it, the wait includes the producer JVM's start (the parent's deadline applies). */
        private boolean started;

        Receiver(long frameBytes) {
            frame = arena.allocate(frameBytes, 4096);
            frameBuf = new UnsafeBuffer(frame.address(), (int) frameBytes);
            dir = "/dev/shm/vbuf-bench-aeron-" + ProcessHandle.current().pid();
            driver = MediaDriver.launch(new MediaDriver.Context()
                    .aeronDirectoryName(dir)
                    .threadingMode(ThreadingMode.SHARED)
                    .sharedIdleStrategy(new BackoffIdleStrategy())
                    .dirDeleteOnStart(true)
                    .dirDeleteOnShutdown(true)
                    .clientLivenessTimeoutNs(LIVENESS_NS)
                    .imageLivenessTimeoutNs(LIVENESS_NS)
                    .publicationUnblockTimeoutNs(LIVENESS_NS + TimeUnit.SECONDS.toNanos(5))
                    .driverTimeoutMs(TimeUnit.NANOSECONDS.toMillis(LIVENESS_NS)));
            aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(dir)
                    .driverTimeoutMs(TimeUnit.NANOSECONDS.toMillis(LIVENESS_NS)));
            sub = aeron.addSubscription(CHANNEL, STREAM);
        }

        @Override
        public String endpoint() { return dir; }

        @Override
        public MemorySegment receive() {
            complete = false;
            long idleSince = 0;
            int idle = 0;
            while (!complete) {
                if (sub.controlledPoll(this, 64) != 0) {
                    started = true;
                    idle = 0;
                    idleSince = 0;
                    continue;
                }
                spinOrYield(idle);
                if (++idle == 1 << 16) { // now and then: how long has nothing come?
                    idle = 0;
                    if (!started) continue;
                    long now = System.nanoTime();
                    if (idleSince == 0) idleSince = now;
                    else if (now - idleSince > STALL_NS) {
                        throw new IllegalStateException("no Aeron message for " + TimeUnit.NANOSECONDS.toSeconds(STALL_NS)
                                + " s (subscription connected " + sub.isConnected() + ", images " + sub.imageCount() + ")");
                    }
                }
            }
            return frame;
        }

        @Override
        public Action onFragment(DirectBuffer buffer, int offset, int length, Header header) {
            byte flags = header.flags();
            int from = offset;
            int n = length;
            if ((flags & FrameDescriptor.BEGIN_FRAG_FLAG) != 0) {
                long chunk = buffer.getLong(offset + FrameWork.O_CHUNK);
                buffer.getBytes(offset, frameBuf, 0, FrameWork.HEADER);
                writePos = FrameWork.HEADER + chunk;
                from += FrameWork.HEADER;
                n -= FrameWork.HEADER;
            }
            if (writePos + n > frame.byteSize()) {
                throw new IllegalStateException("Aeron message runs past the frame buffer: " + (writePos + n)
                        + " > " + frame.byteSize());
            }
            buffer.getBytes(from, frameBuf, (int) writePos, n);
            writePos += n;
            if ((flags & FrameDescriptor.END_FRAG_FLAG) != 0
                    && writePos == FrameWork.HEADER + FrameWork.get(frame, FrameWork.O_PAYLOAD)) {
                complete = true;
                return Action.BREAK;
            }
            return Action.CONTINUE;
        }

        @Override
        public void done() {}

        @Override
        public void close() {
            try {
                sub.close();
                aeron.close();
                driver.close();
            } finally {
                arena.close();
            }
        }
    }

    private static final class Sender implements Transport.Sender {
        private final Arena arena = Arena.ofShared();
        private final MemorySegment frame;
        private final UnsafeBuffer frameBuf;
        private final UnsafeBuffer headerBuf;
        private final Aeron aeron;
        private final ExclusivePublication pub;
        private final long maxChunk;

        Sender(String dir, long frameBytes) {
            frame = arena.allocate(frameBytes, 4096);
            frameBuf = new UnsafeBuffer(frame.address(), (int) frameBytes);
            headerBuf = new UnsafeBuffer(frame.address(), FrameWork.HEADER);
            aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(dir)
                    .driverTimeoutMs(TimeUnit.NANOSECONDS.toMillis(LIVENESS_NS)));
            pub = aeron.addExclusivePublication(CHANNEL, STREAM);
            maxChunk = pub.maxMessageLength() - FrameWork.HEADER;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!pub.isConnected()) {
                if (System.nanoTime() > deadline) throw new IllegalStateException("no Aeron subscriber on " + CHANNEL
                        + " in " + dir + " after 30 s");
                Thread.onSpinWait();
            }
        }

        @Override
        public MemorySegment claim() { return frame; }

        @Override
        public void send(MemorySegment f, long frameBytes) {
            long payload = frameBytes - FrameWork.HEADER;
            long off = 0;
            do {
                int n = (int) Math.min(maxChunk, payload - off);
                frameBuf.putLong(FrameWork.O_CHUNK, off);
                long r;
                long since = 0;
                int spins = 0;
                while ((r = pub.offer(headerBuf, 0, FrameWork.HEADER, frameBuf, (int) (FrameWork.HEADER + off), n)) < 0) {
                    if (r == Publication.NOT_CONNECTED || r == Publication.CLOSED || r == Publication.MAX_POSITION_EXCEEDED) {
                        throw new IllegalStateException("Aeron offer failed: " + Publication.errorString(r));
                    }
                    spinOrYield(spins);
                    if (++spins == 1 << 16) {
                        spins = 0;
                        long now = System.nanoTime();
                        if (since == 0) since = now;
                        else if (now - since > STALL_NS) {
                            throw new IllegalStateException("Aeron offer refused for " + TimeUnit.NANOSECONDS.toSeconds(STALL_NS)
                                    + " s: " + Publication.errorString(r));
                        }
                    }
                }
                off += n;
            } while (off < payload);
        }

        @Override
        public void close() {
            try {
                pub.close();
                aeron.close();
            } finally {
                arena.close();
            }
        }
    }
}
