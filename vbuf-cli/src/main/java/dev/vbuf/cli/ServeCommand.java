package dev.vbuf.cli;

import dev.vbuf.monitor.Monitor;
import dev.vbuf.monitor.MonitorServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.BindException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code vbuf serve}: the live view of every pool as a web page (slot grids, lag and fps time
 * series, latency histograms, drops), its JSON and event stream, and Prometheus metrics at
 * {@code /metrics}. Read-only, bound to 127.0.0.1 unless told otherwise.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serve a live web view of every pool on this machine (overview and one page per pool: slots coloured"
                + " by state, lag and fps over time, latency histogram, drops), its data as JSON and server-sent events"
                + " (/api/pools, /events), and Prometheus metrics (/metrics). Read-only; Ctrl-C stops it."})
public final class ServeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "8080",
            description = "TCP port, 0..65535 (0: any free port, printed). Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--bind", paramLabel = "ADDRESS", defaultValue = "127.0.0.1",
            description = "Address to listen on. Default: ${DEFAULT-VALUE} (this machine only). Another address lets"
                    + " other machines read pool names, counters and pids.")
    String bind;

    @Option(names = "--interval-ms", paramLabel = "MS", defaultValue = "250",
            description = "How often counters are read and pushed to the pages, 50..10000 ms. Default: ${DEFAULT-VALUE}.")
    int intervalMs;

    @Option(names = "--duration", paramLabel = "DURATION",
            description = "Stop after this long (e.g. 30s, 10m); default: until Ctrl-C.")
    String duration;

    @Override
    public Integer call() throws Exception {
        Flags.range(spec, "--port", port, 0, 65_535);
        Flags.range(spec, "--interval-ms", intervalMs, 50, 10_000);
        Duration stopAfter = duration == null ? null
                : Flags.duration(spec, "--duration", duration, Duration.ZERO, true, Duration.ofDays(365));
        InetAddress address;
        try {
            address = InetAddress.getByName(bind);
        } catch (UnknownHostException e) {
            throw Flags.bad(spec, "--bind " + bind + " is not an address of this machine; give an IP address such as 127.0.0.1");
        }
        PrintWriter out = spec.commandLine().getOut();
        var stopped = new CountDownLatch(1);
        try (Monitor monitor = new Monitor(new Monitor.Options(Duration.ofMillis(5), Duration.ofMillis(intervalMs),
                Duration.ofSeconds(5))).start();
             MonitorServer server = open(monitor, address);
             GracefulStop stop = GracefulStop.install("serve", stopped::countDown)) {
            out.println("vbuf serve: every pool on this machine, live (read-only)");
            for (String url : server.urls()) out.println("  " + url);
            if (!address.isLoopbackAddress()) {
                out.println("  listening on " + bind + ": other machines can read pool names, counters and pids");
            }
            out.println(stopAfter == null ? "Ctrl-C stops it." : "stops after " + duration + " (or Ctrl-C).");
            out.flush();
            if (stopAfter == null) stopped.await();
            else stopped.await(stopAfter.toNanos(), TimeUnit.NANOSECONDS);
            return stop.signalled() ? GracefulStop.EXIT_CODE : 0;
        }
    }

    private MonitorServer open(Monitor monitor, InetAddress address) throws IOException {
        try {
            return new MonitorServer(monitor, address, port);
        } catch (BindException e) {
            throw new IllegalStateException("cannot listen on " + bind + " port " + port + ": " + e.getMessage()
                    + "; the port is in use or the address is not this machine's. Give another --port (0: any free"
                    + " port) or --bind address", e);
        }
    }
}
