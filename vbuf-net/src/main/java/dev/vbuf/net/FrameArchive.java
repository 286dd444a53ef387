package dev.vbuf.net;

import dev.vbuf.pool.FramePool;
import io.aeron.ChannelUri;
import io.aeron.Image;
import io.aeron.Subscription;
import io.aeron.archive.client.AeronArchive;
import io.aeron.archive.codecs.SourceLocation;
import io.aeron.archive.status.RecordingPos;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.FrameDescriptor;
import io.aeron.logbuffer.Header;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.status.CountersReader;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.zip.CRC32C;

/**
 * Record and replay of a vbuf stream with Aeron Archive. {@link #record} has the archive record a
 * channel's chunks as they arrive (Aeron's own recording: the term buffers written to segment
 * files, nothing re-encoded), while a tap on the same image computes each frame's CRC32C, kept
 * beside the recording ({@code recording-ID.checksums}). {@link #replay} has the archive replay a
 * recording over IPC into a {@link FrameReceiver} that writes it into a local pool as a live
 * stream would be, frame for frame, as fast as possible or at the original pace (each frame's
 * first chunk held back until its capture time, relative to the first frame's, has come).
 *
 * <p>One archive per process: {@link #open} starts an embedded media driver with the archive
 * (its control over IPC only, no port opened); recordings stay in the directory between runs.
 */
public final class FrameArchive implements AutoCloseable {
    /** The IPC stream a replay comes back on. */
    static final int REPLAY_STREAM = 0x7662;
    private static final String CHECKSUMS_SUFFIX = ".checksums";

    private final NetLink link;
    private final File dir;

    private FrameArchive(NetLink link, File dir) {
        this.link = link;
        this.dir = dir;
    }

    /**
     * Starts a media driver with an archive in {@code dir} (made if missing).
     *
     * @throws IllegalArgumentException if dir exists and is not a directory, or cannot be made
     */
    public static FrameArchive open(File dir) {
        if (dir.exists() && !dir.isDirectory()) {
            throw new IllegalArgumentException("--dir " + dir + " is a file; give a directory for the recordings");
        }
        if (!dir.isDirectory() && !dir.mkdirs()) {
            throw new IllegalArgumentException("--dir " + dir + " cannot be made; give a directory this user can write");
        }
        return new FrameArchive(NetLink.embeddedWithArchive(dir), dir);
    }

    /** The link (driver counters, the Aeron client). */
    public NetLink link() { return link; }

    /** Where the recordings are. */
    public File directory() { return dir; }

    /**
     * What a recording holds, as the tap saw it.
     *
     * @param recordingId the archive's id of the recording
     * @param checksums   pts to CRC32C of the frame's bytes, in stream order
     * @param bytes       the frames' payload bytes
     * @param endOfStream true if the sender's end of stream was recorded
     * @param strayChunks chunks of a frame whose start was not recorded (the recording began mid-frame)
     */
    public record Recorded(long recordingId, Map<Long, Integer> checksums, long bytes, boolean endOfStream, long strayChunks) {
        /** Frames recorded whole. */
        public long frames() { return checksums.size(); }

        /** One CRC32C over the frames' checksums in order: equal streams give equal values. */
        public int streamChecksum() { return FrameArchive.streamChecksum(checksums); }
    }

    /**
     * Records a channel's stream until the sender's end of stream, {@code idleNanos} without a
     * chunk (after the first), or {@code keepGoing} says stop; then stops the recording and writes
     * its checksums beside it.
     *
     * @param waitNanos how long to wait for the first chunk
     * @return the recording, or null if no sender came within waitNanos
     */
    public Recorded record(String channel, int streamId, long waitNanos, long idleNanos, BooleanSupplier keepGoing) {
        AeronArchive archive = link.archive();
        // the archive's subscription and the tap's must ask for the same socket settings (one endpoint)
        channel = ChannelDefaults.forReceiving(NetLink.checkChannel(channel, "--from"));
        long subscriptionId = archive.startRecording(channel, streamId, SourceLocation.REMOTE);
        Tap tap = new Tap();
        long recordingId = -1;
        try (Subscription sub = link.subscription(channel, streamId)) {
            var idle = new BackoffIdleStrategy();
            long start = System.nanoTime(), last = start;
            long[] endPosition = {-1};
            while (keepGoing.getAsBoolean() && !tap.endOfStream) {
                int n = sub.poll(tap, 256);
                long now = System.nanoTime();
                if (n > 0) last = now;
                if (recordingId < 0 && sub.imageCount() > 0) recordingId = recordingIdOf(sub.imageAtIndex(0));
                if (tap.seen == 0 ? now - start > waitNanos : now - last > idleNanos) break;
                idle.idle(n);
            }
            if (tap.endOfStream && sub.imageCount() > 0) endPosition[0] = sub.imageAtIndex(0).position();
            if (recordingId >= 0 && endPosition[0] > 0) { // let the archive write everything the tap saw
                long deadline = System.nanoTime() + NetLink.LIVENESS_NS;
                while (archive.getRecordingPosition(recordingId) < endPosition[0] && System.nanoTime() < deadline) idle.idle(0);
            }
        } finally {
            archive.stopRecording(subscriptionId);
        }
        if (recordingId < 0) return null;
        var r = new Recorded(recordingId, tap.checksums, tap.bytes, tap.endOfStream, tap.stray);
        writeChecksums(r);
        return r;
    }

    private long recordingIdOf(Image image) {
        CountersReader counters = link.aeron().countersReader();
        int counterId = RecordingPos.findCounterIdBySession(counters, image.sessionId(), link.archive().archiveId());
        return counterId == CountersReader.NULL_COUNTER_ID ? -1 : RecordingPos.getRecordingId(counters, counterId);
    }

    /** The newest recording in this archive, or -1 if it has none. */
    public long lastRecordingId() {
        long[] last = {-1};
        link.archive().listRecordings(0, Integer.MAX_VALUE, (controlSessionId, correlationId, recordingId, startTimestamp,
                stopTimestamp, startPosition, stopPosition, initialTermId, segmentFileLength, termBufferLength, mtuLength,
                sessionId, streamId, strippedChannel, originalChannel, sourceIdentity) -> last[0] = Math.max(last[0], recordingId));
        return last[0];
    }

    /** The checksums written when a recording was made, or null if it has none (not made by vbuf record). */
    public Map<Long, Integer> checksums(long recordingId) {
        Path p = dir.toPath().resolve("recording-" + recordingId + CHECKSUMS_SUFFIX);
        if (!Files.isRegularFile(p)) return null;
        var m = new LinkedHashMap<Long, Integer>();
        try {
            for (String line : Files.readAllLines(p)) {
                if (line.isBlank() || line.startsWith("#")) continue;
                String[] f = line.trim().split("\\s+");
                m.put(Long.parseLong(f[0]), Integer.parseUnsignedInt(f[1], 16));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + p, e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(p + " is not a checksum list (lines 'PTS CRC32C-HEX'): " + e.getMessage(), e);
        }
        return m;
    }

    private void writeChecksums(Recorded r) {
        var lines = new ArrayList<String>();
        lines.add("# pts crc32c of the frame's bytes; recording " + r.recordingId() + ", " + r.frames() + " frames");
        r.checksums().forEach((pts, crc) -> lines.add(pts + " " + String.format(Locale.ROOT, "%08x", crc)));
        try {
            Files.write(dir.toPath().resolve("recording-" + r.recordingId() + CHECKSUMS_SUFFIX), lines);
        } catch (IOException e) {
            throw new UncheckedIOException("writing the checksums of recording " + r.recordingId() + " into " + dir, e);
        }
    }

    /**
     * Starts a replay of a recording from its start, over IPC; the subscription returned receives
     * it (hand it to a {@link FrameReceiver}, {@link FrameReceiver#paced(boolean) paced} or not).
     *
     * @throws IllegalArgumentException if the archive has no such recording
     */
    public Subscription replay(long recordingId) {
        AeronArchive archive = link.archive();
        long start;
        try {
            start = archive.getStartPosition(recordingId);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("recording " + recordingId + " is not in " + dir + " (" + e.getMessage()
                    + "); 'vbuf replay --dir " + dir + "' without --recording takes the newest", e);
        }
        // this replay's session only (the archive waits for the subscriber; an earlier replay may still linger)
        long replaySession = archive.startReplay(recordingId, start, AeronArchive.NULL_LENGTH, "aeron:ipc", REPLAY_STREAM);
        return link.aeron().addSubscription(ChannelUri.addSessionId("aeron:ipc", (int) replaySession), REPLAY_STREAM);
    }

    /** Replays into a pool until the recorded end of stream, or the replay ends, or keepGoing says stop. */
    public FrameReceiver replayInto(long recordingId, FramePool pool, boolean paced, BooleanSupplier keepGoing) {
        Subscription sub = replay(recordingId);
        var receiver = new FrameReceiver(pool, sub, NetLink.LIVENESS_NS).paced(paced);
        boolean[] joined = {false};
        boolean ended = receiver.run(() -> {
            if (sub.imageCount() > 0) joined[0] = true;
            return keepGoing.getAsBoolean() && !(joined[0] && sub.imageCount() == 0);
        });
        if (!ended) pool.markEndOfStream();
        return receiver;
    }

    /** One CRC32C over a map's checksums in order. */
    public static int streamChecksum(Map<Long, Integer> checksums) {
        var crc = new CRC32C();
        for (var e : checksums.entrySet()) {
            long v = ((long) e.getValue() << 32) ^ e.getKey();
            for (int i = 0; i < 8; i++) crc.update((int) (v >>> (8 * i)) & 0xff);
        }
        return (int) crc.getValue();
    }

    /**
     * Per-frame CRC32C of the chunks that pass by, in order (chunks of one frame arrive in order on
     * one image), checking every header as the receiver does before using its numbers.
     */
    private static final class Tap implements FragmentHandler {
        final Map<Long, Integer> checksums = new LinkedHashMap<>();
        final CRC32C crc = new CRC32C();
        final byte[] copy = new byte[64 * 1024];
        long pts, total, done, frameNumber = -1, bytes, seen, stray;
        boolean inFrame, endOfStream;
        long messageRemaining;

        @Override
        public void onFragment(DirectBuffer b, int at, int length, Header header) {
            seen++;
            if ((header.flags() & FrameDescriptor.BEGIN_FRAG_FLAG) == 0) { // the rest of a chunk bigger than a fragment
                if (inFrame && messageRemaining > 0) add(b, at, (int) Math.min(length, messageRemaining));
                return;
            }
            boolean whole = (header.flags() & FrameDescriptor.END_FRAG_FLAG) != 0;
            if (ChunkHeader.check(b, at, length, !whole) != ChunkHeader.Refusal.OK) return;
            int kind = ChunkHeader.kind(b, at);
            if (kind == ChunkHeader.END_OF_STREAM) {
                endOfStream = true;
                return;
            }
            int headerBytes = kind == ChunkHeader.FIRST ? ChunkHeader.FIRST_HEADER_BYTES : ChunkHeader.NEXT_HEADER_BYTES;
            long number = ChunkHeader.frameNumber(b, at), chunk = ChunkHeader.chunkBytes(b, at);
            if (kind == ChunkHeader.FIRST) {
                inFrame = true;
                frameNumber = number;
                pts = b.getLong(at + ChunkHeader.PTS_OFFSET, ChunkHeader.LE);
                total = ChunkHeader.totalBytes(b, at);
                done = 0;
                crc.reset();
            } else if (!inFrame || number != frameNumber || ChunkHeader.offset(b, at) != done) {
                inFrame = false;
                stray++;
                return;
            }
            messageRemaining = chunk;
            add(b, at + headerBytes, (int) Math.min(length - headerBytes, chunk));
        }

        private void add(DirectBuffer b, int at, int n) {
            n = (int) Math.min(n, total - done);
            for (int off = 0; off < n; ) {
                int k = Math.min(copy.length, n - off);
                b.getBytes(at + off, copy, 0, k);
                crc.update(copy, 0, k);
                off += k;
            }
            done += n;
            messageRemaining -= n;
            if (done == total) {
                checksums.put(pts, (int) crc.getValue());
                bytes += total;
                inFrame = false;
            }
        }
    }

    @Override
    public void close() {
        link.close();
    }
}
