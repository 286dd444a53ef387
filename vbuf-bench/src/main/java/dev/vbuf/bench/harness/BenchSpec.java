package dev.vbuf.bench.harness;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one producer/consumer pair runs for one transport and one frame size, passed to the
 * child processes as {@code key=value} arguments. Three phases, each after {@code warmup}
 * frames that are not counted:
 * <ol>
 * <li>THROUGHPUT: {@code frames} frames as fast as the transport takes them; the producer writes
 *     every payload byte, the consumer reads every byte (checksum). Frames/s, GB/s, CPU.</li>
 * <li>LATENCY_FULL: {@code latencyFrames} frames paced at twice the throughput phase's time per
 *     frame, with the same work; latency from "producer starts writing" to "consumer has read
 *     every byte".</li>
 * <li>LATENCY_HANDOFF: the same pacing, nobody touches the payload; latency from submit to
 *     "consumer has the frame" (it reads the header only). The copying transports still move
 *     every byte: that is their hand-off.</li>
 * </ol>
 * With the futex wait strategy the producer first waits {@code idleMs} after the consumer could
 * attach: the consumer's thread CPU time over its wait for the first frame is its idle cost.
 */
record BenchSpec(Transport transport, String label, int width, int height, String format, long payloadBytes,
                 int warmup, int frames, int latencyFrames, int idleMs) {

    enum Phase {
        THROUGHPUT(true, false), LATENCY_FULL(true, true), LATENCY_HANDOFF(false, true);

        final boolean touchPayload;
        final boolean paced;

        Phase(boolean touchPayload, boolean paced) {
            this.touchPayload = touchPayload;
            this.paced = paced;
        }
    }

    long frameBytes() { return FrameWork.HEADER + payloadBytes; }

    int measured(Phase p) { return p == Phase.THROUGHPUT ? frames : latencyFrames; }

    long totalFrames() {
        long n = 0;
        for (Phase p : Phase.values()) n += warmup + measured(p);
        return n;
    }

    List<String> toArgs() {
        List<String> a = new ArrayList<>();
        a.add("transport=" + transport.id);
        a.add("label=" + label);
        a.add("width=" + width);
        a.add("height=" + height);
        a.add("format=" + format);
        a.add("payload=" + payloadBytes);
        a.add("warmup=" + warmup);
        a.add("frames=" + frames);
        a.add("latencyFrames=" + latencyFrames);
        a.add("idleMs=" + idleMs);
        return a;
    }

    static BenchSpec fromArgs(Map<String, String> m) {
        return new BenchSpec(Transport.parse(m.get("transport")), m.get("label"), Integer.parseInt(m.get("width")),
                Integer.parseInt(m.get("height")), m.get("format"), Long.parseLong(m.get("payload")),
                Integer.parseInt(m.get("warmup")), Integer.parseInt(m.get("frames")),
                Integer.parseInt(m.get("latencyFrames")), Integer.parseInt(m.get("idleMs")));
    }

    static Map<String, String> parse(String[] args, int from) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = from; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("argument '" + args[i] + "' is not key=value");
            m.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        return m;
    }
}
