package dev.vbuf.monitor;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;

/**
 * The web view of {@code vbuf serve}: the JDK's own HTTP server, read-only (GET and HEAD only),
 * bound to 127.0.0.1 unless told otherwise, with no secrets in anything it serves (pool
 * names, counters, pids).
 * <pre>
 *   /              overview page: every pool, live
 *   /pool/ID       one pool's page: slot grid, lag and fps time series, latency histogram, drops
 *   /api/pools     the monitor's views as JSON (what `vbuf top --once --json` prints)
 *   /events        the same JSON pushed as server-sent events at every sample
 *   /metrics       Prometheus text format ({@link PoolMetrics})
 *   /static/...    the page's script and style (in this jar: no CDN, no network)
 * </pre>
 */
public final class MonitorServer implements AutoCloseable {
    /** Most event streams open at once; more are refused with 503. */
    public static final int MAX_STREAMS = 32;
    private static final Map<String, String> STATIC = Map.of(
            "/static/app.js", "text/javascript; charset=utf-8",
            "/static/app.css", "text/css; charset=utf-8");

    private final Monitor monitor;
    private final HttpServer server;
    private final ExecutorService executor;
    private final Semaphore streams = new Semaphore(MAX_STREAMS);
    private volatile boolean stopping;

    /**
     * Starts serving {@code monitor}'s views on {@code bind:port} (port 0: any free port).
     *
     * @throws IOException when the address cannot be bound (in use, not this machine's)
     */
    public MonitorServer(Monitor monitor, InetAddress bind, int port) throws IOException {
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port " + port + " is outside 0..65535");
        this.monitor = monitor;
        this.server = HttpServer.create(new InetSocketAddress(bind, port), 64);
        this.executor = Executors.newVirtualThreadPerTaskExecutor();
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /** The port it listens on. */
    public int port() { return server.getAddress().getPort(); }

    /** The address it is bound to. */
    public InetSocketAddress address() { return server.getAddress(); }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String method = ex.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                ex.getResponseHeaders().set("Allow", "GET, HEAD");
                send(ex, 405, "text/plain; charset=utf-8", "read-only: GET and HEAD only\n");
                return;
            }
            String path = ex.getRequestURI().getPath();
            if (path.equals("/") || path.equals("/index.html") || path.startsWith("/pool/")) {
                send(ex, 200, "text/html; charset=utf-8", resource("index.html"));
            } else if (STATIC.containsKey(path)) {
                send(ex, 200, STATIC.get(path), resource(path.substring("/static/".length())));
            } else if (path.equals("/api/pools")) {
                send(ex, 200, "application/json", json());
            } else if (path.equals("/metrics")) {
                send(ex, 200, PoolMetrics.CONTENT_TYPE, PoolMetrics.text(monitor.views()));
            } else if (path.equals("/events")) {
                events(ex);
            } else {
                send(ex, 404, "text/plain; charset=utf-8", "no such page: " + path + " (pages: /, /pool/NAME, /api/pools, /events, /metrics)\n");
            }
        }
    }

    private String json() { return Monitor.toJson(monitor.views(), monitor.problems()); }

    private void events(HttpExchange ex) throws IOException {
        if (!streams.tryAcquire()) {
            send(ex, 503, "text/plain; charset=utf-8", MAX_STREAMS + " event streams are open already; close a page\n");
            return;
        }
        try {
            headers(ex, "text/event-stream; charset=utf-8");
            ex.getResponseHeaders().set("X-Accel-Buffering", "no");
            ex.sendResponseHeaders(200, 0);
            if (ex.getRequestMethod().equals("HEAD")) return;
            OutputStream out = ex.getResponseBody();
            out.write("retry: 1000\n\n".getBytes(StandardCharsets.UTF_8));
            long seen = monitor.version();
            event(out, json());
            while (!stopping) {
                long v = monitor.awaitNewer(seen, Duration.ofSeconds(10));
                if (stopping) break;
                if (v == seen) {
                    out.write(": idle\n\n".getBytes(StandardCharsets.UTF_8)); // keeps proxies and the browser from timing out
                    out.flush();
                    continue;
                }
                seen = v;
                event(out, json());
            }
        } catch (IOException e) {
            // the page went away
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            streams.release();
        }
    }

    private static void event(OutputStream out, String json) throws IOException {
        out.write(("event: pools\ndata: " + json + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void headers(HttpExchange ex, String type) {
        var h = ex.getResponseHeaders();
        h.set("Content-Type", type);
        h.set("Cache-Control", "no-store");
        h.set("X-Content-Type-Options", "nosniff");
        h.set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'");
        h.set("Referrer-Policy", "no-referrer");
    }

    private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        headers(ex, type);
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(status, head ? -1 : b.length);
        if (!head) ex.getResponseBody().write(b);
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = MonitorServer.class.getResourceAsStream("web/" + name)) {
            if (in == null) throw new IOException("resource web/" + name + " is missing from the vbuf-monitor jar");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** The pages' addresses, for printing. */
    public List<String> urls() {
        String host = server.getAddress().getAddress().getHostAddress();
        if (host.contains(":")) host = "[" + host + "]";
        String base = "http://" + host + ":" + port();
        return List.of(base + "/", base + "/metrics", base + "/api/pools");
    }

    /** Stops serving: open event streams end within their next wait. */
    @Override
    public void close() {
        stopping = true;
        server.stop(0);
        executor.shutdownNow();
    }
}
