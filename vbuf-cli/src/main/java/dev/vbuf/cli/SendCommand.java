package dev.vbuf.cli;

import dev.vbuf.bench.harness.Json;
import dev.vbuf.net.FrameSender;
import dev.vbuf.net.NetLink;
import dev.vbuf.pool.Consumer;
import dev.vbuf.pool.FramePool;
import dev.vbuf.pool.PoolBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;

import static dev.vbuf.net.FrameSender.Counter.*;

/**
 * {@code vbuf send NAME --to CHANNEL}: attaches to a shared pool as one of its consumer groups and
 * publishes every frame the group gets on an Aeron channel (docs/NET.md), until the pool's stream
 * ends, {@code --frames} frames were sent, no frame came for {@code --timeout}, or Ctrl-C.
 */
@Command(name = "send", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Send a shared pool's frames (one consumer group's) to other machines on Aeron:"
                + " 'vbuf receive' there puts them in a pool of its own.")
public final class SendCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", description = "The shared pool's name (see 'vbuf shm ls').")
    String name;

    @Option(names = "--to", required = true, paramLabel = "CHANNEL",
            description = "Aeron channel: aeron:udp?endpoint=HOST:PORT (the receiver's address), "
                    + "aeron:udp?endpoint=224.0.1.1:PORT|interface=ADDRESS (multicast), aeron:ipc (this machine)."
                    + " Unless the channel gives them: mtu = the largest datagram the link carries unfragmented (up to"
                    + " 65504), term-length=64m, so-sndbuf = net.core.wmem_max (up to 32 MiB).")
    String to;

    @Option(names = "--group", defaultValue = RunCommand.REMOTE_GROUP,
            description = "Consumer group to send (the pool's groups: 'vbuf inspect NAME'). Default: ${DEFAULT-VALUE}.")
    String group;

    @Option(names = "--chunk", paramLabel = "BYTES", defaultValue = "0",
            description = "Largest message, header included: 0 = one network packet (the channel's MTU less Aeron's"
                    + " header, sent with tryClaim), or up to the channel's largest message (term length / 8). Default: ${DEFAULT-VALUE}.")
    int chunk;

    @Option(names = "--on-back-pressure", paramLabel = "wait|drop", defaultValue = "wait",
            description = "When the network or the receiver cannot take a frame now: wait (the pool's policy then acts on"
                    + " this group) or drop the whole frame (counted). Default: ${DEFAULT-VALUE}.")
    String onBackPressure;

    @Option(names = "--frames", paramLabel = "N", description = "Stop after N frames, 1..1000000000 (default: until end of stream).")
    Long frames;

    @Option(names = "--timeout", defaultValue = "30s",
            description = "Give up when no frame comes for this long, 1ms..24h. Default: ${DEFAULT-VALUE}.")
    String timeout;

    @Mixin
    NetOptions net;

    @Mixin
    JsonOption jsonOption;

    @Override
    public Integer call() {
        if (frames != null) Flags.range(spec, "--frames", frames, 1, RunCommand.MAX_FRAMES);
        Duration idleLimit = Flags.duration(spec, "--timeout", timeout, Duration.ZERO, true, Duration.ofHours(24));
        FrameSender.BackPressure bp = switch (onBackPressure.strip().toLowerCase(Locale.ROOT)) {
            case "wait" -> FrameSender.BackPressure.WAIT;
            case "drop" -> FrameSender.BackPressure.DROP;
            default -> throw Flags.bad(spec, "--on-back-pressure " + onBackPressure + " is not one of wait, drop");
        };
        String channel = net.channel("--to", to);
        boolean json = jsonOption.json;
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        FramePool attached = FramePool.attach(name, new PoolBuilder.AttachOptions().jmx(false));
        var stopRequested = new AtomicBoolean();
        FrameSender[] live = new FrameSender[1];
        try (GracefulStop stop = GracefulStop.install("send", () -> {
                 stopRequested.set(true);
                 FrameSender s = live[0];
                 if (s != null) s.stop();
             });
             FramePool pool = attached;
             NetLink link = net.link()) {
            Consumer consumer;
            try {
                consumer = pool.consumer(group);
            } catch (IllegalArgumentException e) {
                throw Flags.bad(spec, "--group " + group + ": " + e.getMessage());
            }
            FrameSender sender;
            try {
                sender = new FrameSender(consumer, link.publication(channel, net.stream), chunk, bp);
            } catch (IllegalArgumentException e) {
                throw Flags.bad(spec, "--chunk " + chunk + ": " + e.getMessage());
            }
            live[0] = sender;
            if (stopRequested.get()) sender.stop();
            StatusLine status = new StatusLine(json ? err : out, StatusLine.isTerminal());
            if (!json) {
                status.note(String.format(Locale.ROOT, "vbuf send: pool %s, group %s -> %s stream %d (%s driver %s),"
                                + " chunks of at most %d bytes", name, group, channel, net.stream,
                        link.embeddedDriver() ? "embedded" : "external", link.directory(), sender.chunking().messageBytes()));
            }
            long t0 = System.nanoTime(), nextStatus = t0 + 1_000_000_000L, idleSince = t0;
            boolean eos = false, timedOut = false;
            var c = sender.counters();
            try (sender) {
                while (!stopRequested.get() && (frames == null || c.get(FRAMES) < frames)) {
                    long r = sender.sendNext(100_000_000L);
                    long now = System.nanoTime();
                    if (r != 0) idleSince = now;
                    else if (pool.endOfStream() && consumer.lag() == 0) {
                        eos = sender.sendEndOfStream();
                        // the stream's tail may still be in this process's driver (or being retransmitted)
                        if (eos && !sender.awaitDelivered(idleLimit.toNanos(), link::repairs)) {
                            status.note("vbuf send: the receivers did not confirm the stream's end within " + timeout);
                        }
                        break;
                    } else if (now - idleSince >= idleLimit.toNanos()) {
                        timedOut = true;
                        break;
                    }
                    if (now >= nextStatus) {
                        status.show(String.format(Locale.ROOT, "%s -> %s: frames %d  %s  dropped %d  connected %s",
                                name, channel, c.get(FRAMES), Units.bytes(c.get(BYTES)),
                                c.get(DROPPED_BACK_PRESSURE) + c.get(DROPPED_NOT_CONNECTED), sender.publication().isConnected()));
                        nextStatus = now + 1_000_000_000L;
                    }
                }
            }
            status.finish();
            double secs = (System.nanoTime() - t0) / 1e9;
            boolean stopped = stopRequested.get();
            if (json) {
                var j = new Json().begin().put("ok", !timedOut).put("pool", name).put("group", group).put("channel", channel)
                        .put("stream", net.stream);
                for (var e : c.toMap().entrySet()) j.put(e.getKey(), e.getValue());
                out.println(j.put("retransmits", link.retransmitsSent()).put("endOfStream", eos).put("timedOut", timedOut).put("stopped", stopped)
                        .put("durationMs", secs * 1e3, 1).put("gbPerSecond", c.get(BYTES) / secs / 1e9, 3).end());
            } else {
                out.printf(Locale.ROOT, "vbuf send %s: %d frames (%s) in %.3f s = %.1f fps, %.3f GB/s, %d chunks (%d claimed,"
                                + " %d offered); dropped %d (back-pressure %d, no receiver %d), abandoned mid-frame %d,"
                                + " packets retransmitted %d, end of stream %s%n", name, c.get(FRAMES), Units.bytes(c.get(BYTES)), secs,
                        c.get(FRAMES) / secs, c.get(BYTES) / secs / 1e9, c.get(CHUNKS), c.get(CLAIMS), c.get(OFFERS),
                        c.get(DROPPED_BACK_PRESSURE) + c.get(DROPPED_NOT_CONNECTED), c.get(DROPPED_BACK_PRESSURE),
                        c.get(DROPPED_NOT_CONNECTED), c.get(ABORTED), link.retransmitsSent(), eos ? "sent" : stopped ? "no (stopped by a signal)" : "no");
            }
            out.flush();
            if (timedOut) err.println("vbuf send: no frame for " + timeout + " and no end of stream; is the producer running?");
            err.flush();
            if (stopped) return GracefulStop.EXIT_CODE;
            return timedOut ? 1 : 0;
        }
    }
}
