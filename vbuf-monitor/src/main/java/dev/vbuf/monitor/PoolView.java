package dev.vbuf.monitor;

import dev.vbuf.pool.FrameState;

import java.util.List;

/**
 * One pool as the monitor sees it at one moment: the exact counters the pool's control block
 * holds, plus what the monitor derives from successive samples (rates over the last second,
 * ages, sampled latency over the last seconds). Immutable.
 *
 * @param kind           "shared" or "private"
 * @param name           the pool's name
 * @param file           the file it is read from
 * @param backing        what the buffer memory is
 * @param layout         the frame layout, or null
 * @param buffers        buffers in the pool
 * @param bufferBytes    bytes per buffer
 * @param bytes          bytes of buffer memory in all
 * @param controlBytes   bytes of the control block
 * @param stale          no live process uses the pool
 * @param staleReason    why (null when live)
 * @param endOfStream    the producer closed the pool
 * @param idle           slots IDLE (COLD: free)
 * @param producerLocked slots LOCKED_BY_PRODUCER (HOT: being filled)
 * @param ready          slots READY_FOR_CONSUME (WARM: queued)
 * @param consumerLocked slots LOCKED_BY_CONSUMER (HOT: being read)
 * @param retired        slots RETIRED
 * @param decoderHeld    slots HELD_BY_DECODER (HOT: read by no consumer, kept by the decoder as a reference picture)
 * @param references     slots a decoder's reference holds, whatever their groups do
 * @param published      frames submitted
 * @param fpsIn          frames submitted per second (last second)
 * @param fpsOut         frames taken per second by the slowest group (last second)
 * @param acquireWaits   producer acquires that waited
 * @param acquireTimeouts producer acquires that timed out
 * @param acquireFails   producer acquires refused (overflow policy FAIL)
 * @param reclaims       frames taken back by the overflow policy (drop-oldest, adaptive)
 * @param peerRecoveries dead processes recovered
 * @param slotsRecovered slots recovered from dead processes
 * @param latencyWindowSeconds the window of the sampled latency figures
 * @param groups         the consumer groups
 * @param processes      the processes using the pool
 * @param slots          every slot
 * @param epochMillis    wall-clock time of the view
 */
public record PoolView(String kind, String name, String file, String backing, String layout, int buffers,
                       long bufferBytes, long bytes, long controlBytes, boolean stale, String staleReason,
                       boolean endOfStream, int idle, int producerLocked, int ready, int consumerLocked, int retired,
                       int decoderHeld, int references,
                       long published, double fpsIn, double fpsOut, long acquireWaits, long acquireTimeouts,
                       long acquireFails, long reclaims, long peerRecoveries, long slotsRecovered,
                       double latencyWindowSeconds, List<GroupView> groups, List<ProcessView> processes,
                       List<SlotView> slots, long epochMillis) {
    /** HOT: being filled or read. */
    public int hot() { return producerLocked + consumerLocked + decoderHeld; }
    /** WARM: queued. */
    public int warm() { return ready; }
    /** COLD: free. */
    public int cold() { return idle; }

    /** Frames dropped, summed over groups (a frame dropped for two groups counts twice). */
    public long drops() {
        long d = 0;
        for (GroupView g : groups) d += g.dropped();
        return d;
    }

    /** The largest lag of any group. */
    public long maxLag() {
        long l = 0;
        for (GroupView g : groups) l = Math.max(l, g.lag());
        return l;
    }

    /** A key that tells pools apart: kind and name (two private pools may share a name). */
    public String id() {
        return kind.equals("shared") ? name : name + "@" + file.substring(file.lastIndexOf('/') + 1);
    }

    /**
     * One consumer group.
     *
     * @param name          its name
     * @param lag           frames published to it and not yet taken or dropped
     * @param fps           frames it took per second (last second)
     * @param taken         frames it took
     * @param dropped       frames dropped for it, all causes
     * @param dropsPerSecond drops per second (last second)
     * @param queueFull     of the drops: its queue was full (it stopped reading)
     * @param lostToCrash   of the drops: a consumer of it died holding them
     * @param staleSkipped  queue entries skipped (frame taken back)
     * @param acquireWaits  acquires that waited
     * @param timeouts      acquires that timed out
     * @param held          frames held now
     * @param oldestHeldMs  age of the oldest frame it holds (ms since submit, or since first seen), -1 none
     * @param latencyP50Ms  sampled submit-to-take latency, median (ms), -1 without samples
     * @param latencyP99Ms  the same, 99th percentile
     * @param latencySamples how many values the percentiles are of
     * @param histogram     counts per bucket of {@link Monitor#latencyBucketsMs()}
     */
    public record GroupView(String name, long lag, double fps, long taken, long dropped, double dropsPerSecond,
                            long queueFull, long lostToCrash, long staleSkipped, long acquireWaits, long timeouts, int held,
                            double oldestHeldMs, double latencyP50Ms, double latencyP99Ms, int latencySamples,
                            long[] histogram) {}

    /**
     * A process using the pool.
     *
     * @param index   process-table entry (0 for a private pool)
     * @param pid     pid
     * @param role    creator, attached or private
     * @param alive   whether it runs
     * @param filling slots it is filling
     * @param holding frames it holds
     */
    public record ProcessView(int index, long pid, String role, boolean alive, int filling, int holding) {
        /** Frames it has now (filling + holding). */
        public int frames() { return filling + holding; }
    }

    /**
     * One slot.
     *
     * @param index      slot index
     * @param state      its state
     * @param refs       groups that still have to release it
     * @param held       groups holding it (bit per group)
     * @param generation its generation
     * @param sequence   its frame's sequence number
     */
    public record SlotView(int index, FrameState state, int refs, int held, long generation, long sequence) {}

    /** This view as one JSON object. */
    public String toJson() {
        JsonWriter j = new JsonWriter();
        write(j);
        return j.toString();
    }

    void write(JsonWriter j) {
        j.begin().put("id", id()).put("kind", kind).put("name", name).put("file", file).put("backing", backing)
                .put("layout", layout).put("buffers", buffers).put("bufferBytes", bufferBytes).put("bytes", bytes)
                .put("controlBytes", controlBytes).put("stale", stale).put("staleReason", staleReason)
                .put("endOfStream", endOfStream)
                .begin("states").put("IDLE", idle).put("LOCKED_BY_PRODUCER", producerLocked)
                .put("READY_FOR_CONSUME", ready).put("LOCKED_BY_CONSUMER", consumerLocked).put("RETIRED", retired).put("HELD_BY_DECODER", decoderHeld).end()
                .put("references", references)
                .put("hot", hot()).put("warm", warm()).put("cold", cold())
                .put("published", published).put("fpsIn", fpsIn).put("fpsOut", fpsOut)
                .put("drops", drops())
                .begin("dropsByCause").put("overflowPolicy", reclaims).put("queueFull", sum(true))
                .put("lostToCrash", sum(false)).put("producerRefused", acquireFails).put("producerTimedOut", acquireTimeouts).end()
                .put("acquireWaits", acquireWaits).put("acquireTimeouts", acquireTimeouts).put("acquireFails", acquireFails)
                .put("reclaims", reclaims).put("peerRecoveries", peerRecoveries).put("slotsRecovered", slotsRecovered)
                .put("latencyWindowSeconds", latencyWindowSeconds).put("epochMillis", epochMillis);
        j.array("groups");
        for (GroupView g : groups) {
            j.begin().put("name", g.name()).put("lag", g.lag()).put("fps", g.fps()).put("taken", g.taken())
                    .put("dropped", g.dropped()).put("dropsPerSecond", g.dropsPerSecond()).put("queueFull", g.queueFull())
                    .put("lostToCrash", g.lostToCrash()).put("staleSkipped", g.staleSkipped())
                    .put("acquireWaits", g.acquireWaits()).put("timeouts", g.timeouts()).put("held", g.held())
                    .put("oldestHeldMs", g.oldestHeldMs()).put("latencyP50Ms", g.latencyP50Ms())
                    .put("latencyP99Ms", g.latencyP99Ms()).put("latencySamples", g.latencySamples());
            j.array("histogram");
            for (long c : g.histogram()) j.value(c);
            j.endArray().end();
        }
        j.endArray().array("processes");
        for (ProcessView p : processes) {
            j.begin().put("index", p.index()).put("pid", p.pid()).put("role", p.role()).put("alive", p.alive())
                    .put("filling", p.filling()).put("holding", p.holding()).put("frames", p.frames()).end();
        }
        j.endArray().array("slots");
        for (SlotView s : slots) {
            j.begin().put("i", s.index()).put("state", s.state().name()).put("refs", s.refs()).put("held", s.held())
                    .put("gen", s.generation()).put("seq", s.sequence()).end();
        }
        j.endArray().end();
    }

    private long sum(boolean queueFull) {
        long n = 0;
        for (GroupView g : groups) n += queueFull ? g.queueFull() : g.lostToCrash();
        return n;
    }
}
