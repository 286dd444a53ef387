package dev.vbuf.cli;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.media.MediaCounters;
import dev.vbuf.media.Sink;
import dev.vbuf.media.Source;
import dev.vbuf.media.StreamInfo;
import dev.vbuf.net.FrameReceiver;
import dev.vbuf.net.FrameSender;
import dev.vbuf.net.NetLink;
import dev.vbuf.net.StreamFormat;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import picocli.CommandLine.Model.CommandSpec;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code vbuf run --input aeron:...} and {@code --output aeron:...}: a media run whose frames come
 * from, or go to, an Aeron channel (stream {@value #STREAM}, the default of {@code vbuf send} and
 * {@code vbuf receive}), each with an embedded media driver. The source is a {@link FrameReceiver}
 * writing into the run's pool; the sink a {@link FrameSender} fed by the run's consumer group.
 */
final class NetMedia {
    /** The Aeron stream id of a run's aeron: input or output (as --stream's default for send/receive). */
    static final int STREAM = 1001;
    /** How long the input waits for the first frame, and the output for a receiver. */
    static final long CONNECT_NS = TimeUnit.SECONDS.toNanos(30);

    private NetMedia() {}

    /** True for an aeron:... input or output. */
    static boolean isAeron(String path) {
        return path != null && path.startsWith("aeron:");
    }

    /** Opens an aeron: input: starts a driver, subscribes and waits for the stream's first frame to learn its layout. */
    static Source source(CommandSpec spec, String channel) {
        String ch = checked(spec, "--input", channel);
        NetLink link = NetLink.embedded();
        try {
            Subscription sub = link.subscription(ch, STREAM);
            StreamFormat sf = StreamFormat.probe(sub, CONNECT_NS, () -> true);
            if (sf == null) {
                throw Flags.bad(spec, "--input " + channel + ": no frame on stream " + STREAM + " within "
                        + TimeUnit.NANOSECONDS.toSeconds(CONNECT_NS) + " s; start the sender ('vbuf send NAME --to ...' or"
                        + " 'vbuf run --output " + channel + "') first, to this machine's address");
            }
            FrameLayout layout;
            try {
                layout = sf.layout();
            } catch (IllegalArgumentException e) {
                throw Flags.bad(spec, "--input " + channel + ": " + e.getMessage());
            }
            return new AeronSource(link, sub, ch, layout);
        } catch (RuntimeException e) {
            link.close();
            throw e;
        }
    }

    /** Opens an aeron: output (the driver starts in {@link Sink#open}). */
    static Sink sink(CommandSpec spec, String channel, MediaCounters counters) {
        return new AeronSink(checked(spec, "--output", channel), counters);
    }

    private static String checked(CommandSpec spec, String flag, String channel) {
        try {
            return NetLink.checkChannel(channel, flag);
        } catch (IllegalArgumentException e) {
            throw Flags.bad(spec, e.getMessage());
        }
    }

    /** Frames from the channel into the run's pool, until the sender's end of stream, --frames, or a stop. */
    static final class AeronSource implements Source {
        private final NetLink link;
        private final Subscription subscription;
        private final String channel;
        private final StreamInfo info;

        AeronSource(NetLink link, Subscription subscription, String channel, FrameLayout layout) {
            this.link = link;
            this.subscription = subscription;
            this.channel = channel;
            this.info = StreamInfo.of(channel + " stream " + STREAM + ", " + layout, layout, 0, -1, Map.of("transport", "aeron"));
        }

        @Override
        public StreamInfo info() { return info; }

        @Override
        public void produce(FramePool pool, MediaCounters counters) {
            var receiver = new FrameReceiver(pool, subscription, TimeUnit.SECONDS.toNanos(1));
            var c = receiver.counters();
            long[] seen = {0, 0, System.nanoTime(), 0}; // frames, bytes, last progress time, chunks
            long max = counters.maxFrames();
            receiver.run(() -> {
                long frames = c.get(FrameReceiver.Counter.FRAMES), bytes = c.get(FrameReceiver.Counter.BYTES);
                if (frames != seen[0]) {
                    counters.frames.add(frames - seen[0]);
                    counters.bytesIn.add(bytes - seen[1]);
                    seen[0] = frames;
                    seen[1] = bytes;
                }
                long now = System.nanoTime(), chunks = c.get(FrameReceiver.Counter.CHUNKS) + c.get(FrameReceiver.Counter.STALLS);
                if (chunks != seen[3]) {
                    seen[3] = chunks;
                    seen[2] = now;
                }
                if (now - seen[2] > CONNECT_NS) {
                    counters.warn("nothing on " + channel + " for " + TimeUnit.NANOSECONDS.toSeconds(CONNECT_NS)
                            + " s and no end of stream: the sender is gone");
                    return false;
                }
                return !counters.stopRequested() && (max < 0 || frames < max);
            });
            counters.frames.add(c.get(FrameReceiver.Counter.FRAMES) - seen[0]); // the frames after the last look
            counters.bytesIn.add(c.get(FrameReceiver.Counter.BYTES) - seen[1]);
            counters.sourceDrops.add(receiver.lost());
            if (receiver.lost() > 0) {
                counters.warn(receiver.lost() + " frame(s) lost on the network: " + c);
            }
        }

        @Override
        public void close() {
            subscription.close();
            link.close();
        }
    }

    /** The run's frames out on the channel; at the end, the end of stream and a wait for the receivers to take it all. */
    static final class AeronSink implements Sink {
        private final String channel;
        private final MediaCounters counters;
        private NetLink link;
        private FrameSender sender;

        AeronSink(String channel, MediaCounters counters) {
            this.channel = channel;
            this.counters = counters;
        }

        @Override
        public void open(StreamInfo info) {
            link = NetLink.embedded();
            ExclusivePublication pub = link.publication(channel, STREAM);
            sender = new FrameSender(info.layout(), pub, 0, FrameSender.BackPressure.WAIT);
            long deadline = System.nanoTime() + CONNECT_NS;
            while (!pub.isConnected() && System.nanoTime() - deadline < 0 && !counters.stopRequested()) {
                java.util.concurrent.locks.LockSupport.parkNanos(5_000_000L);
            }
            if (!pub.isConnected() && !counters.stopRequested()) {
                throw new IllegalStateException("no receiver on " + channel + " stream " + STREAM + " within "
                        + TimeUnit.NANOSECONDS.toSeconds(CONNECT_NS) + " s; start 'vbuf receive --from " + channel
                        + "' (or 'vbuf run --input " + channel + "') on the receiving machine first");
            }
        }

        @Override
        public void accept(Frame frame) {
            long bytes = frame.payloadSize();
            if (sender.send(frame)) { // releases the frame
                counters.sinkFrames.increment();
                counters.bytesOut.add(bytes);
            }
        }

        @Override
        public void finish() {
            if (sender.sendEndOfStream()) sender.awaitDelivered(CONNECT_NS, link::repairs);
        }

        @Override
        public String summary() {
            if (sender == null) return "aeron " + channel + ": not opened";
            var c = sender.counters();
            return String.format(Locale.ROOT, "sent %d frames (%s) to %s stream %d: %d chunks, dropped %d, abandoned %d,"
                            + " packets retransmitted %d", c.get(FrameSender.Counter.FRAMES), Units.bytes(c.get(FrameSender.Counter.BYTES)),
                    channel, STREAM, c.get(FrameSender.Counter.CHUNKS),
                    c.get(FrameSender.Counter.DROPPED_BACK_PRESSURE) + c.get(FrameSender.Counter.DROPPED_NOT_CONNECTED),
                    c.get(FrameSender.Counter.ABORTED), link.retransmitsSent());
        }

        @Override
        public void close() {
            if (sender != null) sender.close();
            if (link != null) link.close();
        }
    }
}
