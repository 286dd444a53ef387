package dev.vbuf.cli;

import dev.vbuf.bench.harness.Json;
import dev.vbuf.pool.PoolBuilder;
import dev.vbuf.shm.Peer;
import dev.vbuf.pool.BufferInfo;
import dev.vbuf.pool.FramePool;
import dev.vbuf.stats.GroupStats;
import dev.vbuf.stats.PoolStats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import dev.vbuf.monitor.Monitor;
import dev.vbuf.shm.ShmNames;
import dev.vbuf.monitor.PoolView;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code vbuf inspect NAME}: the state of a shared pool as its control block says, without
 * taking part (no process entry, nothing taken): every slot's state, generation, sequence and
 * owner process; the attached processes and whether they are alive; every group's lag, drops
 * and frames lost to crashed consumers. On a terminal it refreshes until interrupted.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Show a shared pool's slots, owners, attached processes and consumer groups (live on a terminal).")
public final class InspectCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", description = "The shared pool's name (see 'vbuf shm ls').")
    String name;

    @Option(names = "--once", description = "Print once and exit, even on a terminal.")
    boolean once;

    @Option(names = "--json", description = "Print the state once as one JSON object (pool, slots, processes, groups).")
    boolean json;

    @Option(names = "--interval-ms", paramLabel = "MS", defaultValue = "500",
            description = "Refresh period on a terminal, 50..60000 ms. Default: ${DEFAULT-VALUE}.")
    int intervalMs;

    @Option(names = "--span-ms", paramLabel = "MS", defaultValue = "500",
            description = "Printing once: how long to watch the pool for its rates, ages and latency, 100..60000 ms."
                    + " Default: ${DEFAULT-VALUE}.")
    int spanMs;

    @Override
    public Integer call() throws InterruptedException {
        Flags.range(spec, "--interval-ms", intervalMs, 50, 60_000);
        Flags.range(spec, "--span-ms", spanMs, 100, 60_000);
        PrintWriter out = spec.commandLine().getOut();
        boolean live = !once && !json && StatusLine.isTerminal();
        try (FramePool pool = FramePool.attach(name, new PoolBuilder.AttachOptions().observe(true).jmx(false))) {
            do {
                // rates over the watch (which is the refresh period when live), then the counters at its end
                String report;
                PoolView rates = null;
                String noRates = null;
                try { // a pool file, or a pool passed by fd (the reader asks its creator for the memory)
                    rates = Monitor.watchShared(name, new Monitor.Options(Duration.ofMillis(5),
                            Duration.ofMillis(50), Duration.ofSeconds(5)), Duration.ofMillis(live ? intervalMs : spanMs));
                } catch (RuntimeException e) {
                    noRates = e.getMessage();
                    if (live) Thread.sleep(intervalMs);
                }
                if (rates != null) {
                    report = json ? withRates(json(pool), rates) + System.lineSeparator() : report(pool) + rates(rates);
                } else {
                    report = json ? json(pool) + System.lineSeparator() : report(pool)
                            + "  rates: not shown: " + noRates + "\n";
                }
                if (live) out.print("\u001b[H\u001b[2J");
                out.print(report);
                out.flush();
            } while (live && !Thread.currentThread().isInterrupted());
            return pool.validateAllBuffers() ? 0 : 1;
        }
    }

    /** Rates, ages and sampled latency of {@code v} (from 'vbuf top') as text. */
    static String rates(PoolView v) {
        var b = new StringBuilder(String.format(Locale.ROOT, "  rates over the last second: %.1f frames/s in, %.1f out (slowest"
                + " group); HOT %d, WARM %d, COLD %d%n", v.fpsIn(), v.fpsOut(), v.hot(), v.warm(), v.cold()));
        b.append(String.format(Locale.ROOT, "  %-12s %8s %10s %12s %9s %9s  (latency: submit to take, sampled over %.0f s)%n",
                "group", "fps", "drops/s", "oldest held", "p50", "p99", v.latencyWindowSeconds()));
        for (PoolView.GroupView g : v.groups()) {
            b.append(String.format(Locale.ROOT, "  %-12s %8.1f %10.1f %12s %9s %9s%n", g.name(), g.fps(), g.dropsPerSecond(),
                    ms(g.oldestHeldMs()), ms(g.latencyP50Ms()), ms(g.latencyP99Ms())));
        }
        return b.toString();
    }

    private static String ms(double v) { return v < 0 ? "-" : String.format(Locale.ROOT, "%.1f ms", v); }

    /** {@code json} (one object) with a "rates" object added: fps in/out, and per group fps, drops/s, oldest held, p50/p99 (ms). */
    static String withRates(String json, PoolView v) {
        Json r = new Json().begin().put("fpsIn", v.fpsIn()).put("fpsOut", v.fpsOut()).put("latencyWindowSeconds", v.latencyWindowSeconds());
        r.array("groups");
        for (PoolView.GroupView g : v.groups()) {
            r.begin().put("name", g.name()).put("fps", g.fps()).put("dropsPerSecond", g.dropsPerSecond())
                    .put("oldestHeldMs", g.oldestHeldMs()).put("latencyP50Ms", g.latencyP50Ms())
                    .put("latencyP99Ms", g.latencyP99Ms()).put("latencySamples", g.latencySamples()).end();
        }
        String rates = r.endArray().end().toString();
        int end = json.lastIndexOf('}');
        return json.substring(0, end) + ",\"rates\":" + rates + "}";
    }

    /** The same facts as {@link #report} as one JSON object (field names in the C header's terms). */
    static String json(FramePool pool) {
        PoolStats st = pool.stats();
        Json j = new Json().begin().put("pool", pool.sharedName()).put("file", dev.vbuf.shm.ShmNames.path(pool.sharedName()).toString())
                .put("buffers", st.total()).put("bufferBytes", st.bufferBytes())
                .put("layout", pool.layout() == null ? null : pool.layout().toString())
                .put("format", pool.layout() == null ? null : pool.layout().format().name())
                .put("width", pool.layout() == null ? 0 : pool.layout().width())
                .put("height", pool.layout() == null ? 0 : pool.layout().height())
                .put("backing", st.backing()).put("endOfStream", pool.endOfStream())
                .put("memory", mem(pool).kind()).put("byFd", mem(pool).byFd()).put("sealed", mem(pool).sealedAgainstTruncate())
                .put("seals", mem(pool).sealText()).put("creatorMemfd", creatorMemfd(pool))
                .put("published", st.published()).put("peerRecoveries", pool.peerRecoveries())
                .put("slotsRecovered", pool.slotsRecovered())
                .begin("states").put("IDLE", st.idle()).put("LOCKED_BY_PRODUCER", st.producerLocked())
                .put("READY_FOR_CONSUME", st.ready()).put("LOCKED_BY_CONSUMER", st.consumerLocked())
                .put("RETIRED", st.retired()).put("HELD_BY_DECODER", st.heldByDecoder()).end()
                .put("decoderReferences", st.references());
        j.array("processes");
        for (Peer p : pool.peers()) {
            j.begin().put("index", p.index()).put("pid", p.pid()).put("startTime", p.startTime()).put("role", p.role())
                    .put("state", p.state()).put("alive", p.alive()).put("attachMillis", p.attachMillis()).end();
        }
        j.endArray().array("groups");
        for (GroupStats g : st.groups()) {
            j.begin().put("name", g.name()).put("taken", g.taken()).put("lag", g.lag()).put("dropped", g.dropped())
                    .put("lostToCrash", pool.lostToCrash(g.name())).put("held", g.held()).end();
        }
        j.endArray().array("slots");
        for (int i = 0; i < st.total(); i++) {
            BufferInfo info = pool.getBufferById(i).orElseThrow();
            j.begin().put("id", i).put("state", info.state().name()).put("refs", info.refCount())
                    .put("generation", info.generation()).put("sequence", info.sequence()).put("owners", pool.ownersOf(i))
                    .put("memory", mem(pool).bufferKind()).put("byFd", mem(pool).byFd()).put("sealed", mem(pool).sealedAgainstTruncate())
                    .put("fd", info.fd()).end();
        }
        return j.endArray().end().toString();
    }

    private static dev.vbuf.shm.SharedMemoryInfo mem(FramePool pool) { return pool.sharedMemory(); }

    /**
     * Where the pool's creator holds its memfd, as a path a process of the same user can name
     * ("/proc/PID/fd/N"), or null (a file pool, no live creator, or its descriptors unreadable).
     */
    static String creatorMemfd(FramePool pool) {
        if (!mem(pool).byFd()) return null;
        for (Peer p : pool.peers()) {
            if (!p.alive() || !"creator".equals(p.role())) continue;
            int fd = dev.vbuf.shm.SharedMemoryInfo.memfdOf(p.pid(), pool.sharedName());
            if (fd >= 0) return "/proc/" + p.pid() + "/fd/" + fd;
        }
        return null;
    }

    static String report(FramePool pool) {
        var b = new StringBuilder();
        PoolStats st = pool.stats();
        b.append(String.format(Locale.ROOT, "shared pool '%s': %d buffers x %s bytes, %s, %s%s%n", pool.sharedName(),
                st.total(), Units.grouped(st.bufferBytes()), pool.layout() == null ? "no layout" : pool.layout(),
                st.backing(), pool.endOfStream() ? ", END OF STREAM" : ""));
        b.append(String.format(Locale.ROOT, "  slots: IDLE %d, LOCKED_BY_PRODUCER %d, READY_FOR_CONSUME %d,"
                        + " LOCKED_BY_CONSUMER %d, RETIRED %d, HELD_BY_DECODER %d (total %d: %s)%n", st.idle(),
                st.producerLocked(), st.ready(), st.consumerLocked(), st.retired(), st.heldByDecoder(), st.total(),
                st.idle() + st.producerLocked() + st.ready() + st.consumerLocked() + st.retired() + st.heldByDecoder() == st.total()
                        ? "every slot accounted for" : "MISMATCH"));
        dev.vbuf.shm.SharedMemoryInfo m = mem(pool);
        b.append("  memory: ").append(m.byFd()
                ? m.kind() + (m.sealedAgainstTruncate() ? ", sealed " + m.sealText() + " (no process can shrink or grow it)" : ", NOT sealed")
                        + ", passed by fd (SCM_RIGHTS) over the socket " + m.path()
                : "a /dev/shm file " + m.path() + " opened by path, not sealed (a process of the same user can truncate it)");
        String held = creatorMemfd(pool);
        if (held != null) b.append("; its creator holds it as ").append(held);
        b.append(System.lineSeparator());
        b.append(String.format(Locale.ROOT, "  published %d; dead peers recovered %d (%d slots)%n", st.published(),
                pool.peerRecoveries(), pool.slotsRecovered()));
        b.append("  processes:\n");
        for (Peer p : pool.peers()) {
            b.append(String.format(Locale.ROOT, "    #%-3d pid %-8d %-9s %-10s %s, attached %s%n", p.index(), p.pid(),
                    p.role(), p.state(), p.alive() ? "alive" : "DEAD (recovered within the reclaim delay)",
                    Instant.ofEpochMilli(p.attachMillis())));
        }
        b.append(String.format(Locale.ROOT, "  %-12s %10s %10s %10s %10s %6s%n", "group", "taken", "lag", "dropped",
                "lost(crash)", "held"));
        for (GroupStats g : st.groups()) {
            b.append(String.format(Locale.ROOT, "  %-12s %10d %10d %10d %10d %6d%n", g.name(), g.taken(), g.lag(),
                    g.dropped(), pool.lostToCrash(g.name()), g.held()));
        }
        b.append(String.format(Locale.ROOT, "  %4s %-19s %4s %8s %10s  %-28s %s%n", "id", "state", "refs", "gen", "sequence",
                "memory", "owners"));
        for (int i = 0; i < st.total(); i++) {
            BufferInfo info = pool.getBufferById(i).orElseThrow();
            b.append(String.format(Locale.ROOT, "  %4d %-19s %4d %8d %10d  %-28s %s%n", i, info.state(), info.refCount(),
                    info.generation(), info.sequence(), m.bufferShort(i), pool.ownersOf(i)));
        }
        return b.toString();
    }
}
