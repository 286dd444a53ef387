package dev.vbuf.monitor;

import dev.vbuf.stats.GroupStats;
import dev.vbuf.stats.PoolStats;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** The HTTP side of {@code vbuf serve}: pages, JSON, the event stream, /metrics, read-only, loopback. */
class MonitorServerTest {
    static LivePool live;
    static Monitor monitor;
    static MonitorServer server;
    static String base;

    @BeforeAll
    static void start() throws IOException {
        live = new LivePool("srv-" + ProcessHandle.current().pid(), 200);
        monitor = new Monitor(new Monitor.Options(Duration.ofMillis(5), Duration.ofMillis(100), Duration.ofSeconds(5))).start();
        server = new MonitorServer(monitor, InetAddress.getLoopbackAddress(), 0);
        base = "http://127.0.0.1:" + server.port();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        server.close();
        monitor.close();
        live.close();
    }

    record Response(int status, String type, String body) {}

    static Response get(String path, String method) throws IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create(base + path).toURL().openConnection();
        c.setRequestMethod(method);
        c.setConnectTimeout(5000);
        c.setReadTimeout(10000);
        int status = c.getResponseCode();
        var in = status >= 400 ? c.getErrorStream() : c.getInputStream();
        String body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        return new Response(status, c.getContentType(), body);
    }


    /** Waits until the monitor shows the live pool; returns its view. */
    static PoolView awaitPool() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            for (PoolView v : monitor.views()) if (v.name().equals(live.name) && v.published() > 0) return v;
            Thread.sleep(20);
        }
        throw new AssertionError("the monitor never showed pool " + live.name + "; it saw " + monitor.views() + ", problems " + monitor.problems());
    }

    @Test
    void pagesLoadAndTheServerIsReadOnlyOnLoopback() throws Exception {
        assertTrue(server.address().getAddress().isLoopbackAddress(), "bound to loopback: " + server.address());
        Response page = get("/", "GET");
        assertEquals(200, page.status());
        assertTrue(page.type().startsWith("text/html"));
        assertTrue(page.body().contains("/static/app.js") && page.body().contains("id=\"cards\""), page.body());
        assertFalse(page.body().matches("(?s).*https?://.*"), "no outside address in the page (no CDN)");
        Response js = get("/static/app.js", "GET");
        assertEquals(200, js.status());
        assertTrue(js.body().contains("EventSource('/events')"));
        assertFalse(js.body().matches("(?s).*https?://.*"), "the script loads nothing from outside");
        assertEquals(200, get("/static/app.css", "GET").status());
        assertEquals(200, get("/pool/anything", "GET").status(), "a pool page is the same page, routed by its script");
        assertEquals(404, get("/nope", "GET").status());
        assertEquals(405, get("/api/pools", "POST").status());
        assertEquals(405, get("/metrics", "DELETE").status());
    }

    @Test
    void apiPoolsListsTheLivePool() throws Exception {
        PoolView v = awaitPool();
        Response r = get("/api/pools", "GET");
        assertEquals(200, r.status());
        assertEquals("application/json", r.type());
        assertTrue(r.body().contains("\"id\":\"" + v.id() + "\""), r.body());
        assertTrue(r.body().startsWith("{\"epochMillis\":"));
    }

    @Test
    void theEventStreamPushesUpdatesWhoseCounterAdvances() throws Exception {
        PoolView v = awaitPool();
        HttpURLConnection c = (HttpURLConnection) URI.create(base + "/events").toURL().openConnection();
        c.setReadTimeout(10000);
        assertEquals(200, c.getResponseCode());
        assertTrue(c.getContentType().startsWith("text/event-stream"), c.getContentType());
        Pattern published = Pattern.compile("\"id\":\"" + Pattern.quote(v.id()) + "\".*?\"published\":(\\d+)");
        List<Long> seen = new ArrayList<>();
        try (var in = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while (seen.size() < 4 && (line = in.readLine()) != null) {
                if (!line.startsWith("data: ")) continue;
                Matcher m = published.matcher(line);
                if (m.find()) seen.add(Long.parseLong(m.group(1)));
            }
        } finally {
            c.disconnect();
        }
        assertEquals(4, seen.size(), "four events carried the pool: " + seen);
        assertTrue(seen.get(3) > seen.get(0), "the frame counter advanced between pushed events: " + seen);
    }

    /**
     * The metric of every component of {@link PoolStats} and {@link GroupStats} ({@code {pool}}
     * and {@code {group}} stand for the labels). {@link #expected} walks the records' components,
     * so a counter added to PoolStats without its metric fails the test (StatsFileTest keeps the
     * JMX bean in step the same way). The name and backing are texts, not metrics.
     */
    static final Map<String, String> POOL_METRIC = Map.ofEntries(
            Map.entry("total", "vbuf_buffers{pool}"), Map.entry("idle", "vbuf_slots{pool,state=\"IDLE\"}"),
            Map.entry("producerLocked", "vbuf_slots{pool,state=\"LOCKED_BY_PRODUCER\"}"),
            Map.entry("ready", "vbuf_slots{pool,state=\"READY_FOR_CONSUME\"}"),
            Map.entry("consumerLocked", "vbuf_slots{pool,state=\"LOCKED_BY_CONSUMER\"}"),
            Map.entry("retired", "vbuf_slots{pool,state=\"RETIRED\"}"),
            Map.entry("heldByDecoder", "vbuf_slots{pool,state=\"HELD_BY_DECODER\"}"),
            Map.entry("references", "vbuf_references{pool}"),
            Map.entry("bufferBytes", "vbuf_buffer_bytes{pool}"), Map.entry("totalBytes", "vbuf_bytes{pool}"),
            Map.entry("controlBytes", "vbuf_control_bytes{pool}"), Map.entry("published", "vbuf_published_total{pool}"),
            Map.entry("acquireWaits", "vbuf_acquire_waits_total{pool}"),
            Map.entry("acquireTimeouts", "vbuf_acquire_timeouts_total{pool}"),
            Map.entry("acquireFails", "vbuf_acquire_fails_total{pool}"), Map.entry("reclaims", "vbuf_reclaims_total{pool}"),
            Map.entry("peerRecoveries", "vbuf_peer_recoveries_total{pool}"),
            Map.entry("slotsRecovered", "vbuf_slots_recovered_total{pool}"),
            Map.entry("name", ""), Map.entry("backing", ""), Map.entry("groups", ""));
    static final Map<String, String> GROUP_METRIC = Map.of(
            "lag", "vbuf_group_lag{group}", "taken", "vbuf_group_taken_total{group}",
            "dropped", "vbuf_group_dropped_total{group}", "staleSkipped", "vbuf_group_stale_skipped_total{group}",
            "held", "vbuf_group_held{group}", "acquireWaits", "vbuf_group_acquire_waits_total{group}",
            "timeouts", "vbuf_group_acquire_timeouts_total{group}", "queueFull", "vbuf_group_queue_full_drops_total{group}",
            "lostToCrash", "vbuf_group_lost_to_crash_total{group}", "name", "");

    /** Every counter of PoolStats, as the metric (and labels) that carries it, with the pool's value. */
    static Map<String, Double> expected(PoolStats st, PoolView v) throws ReflectiveOperationException {
        String pool = "kind=\"" + v.kind() + "\",pool=\"" + v.id() + "\"";
        var m = new HashMap<String, Double>();
        for (var c : PoolStats.class.getRecordComponents()) {
            String metric = POOL_METRIC.get(c.getName());
            assertNotNull(metric, "PoolStats." + c.getName() + " has no metric: add it to PoolMetrics and here");
            if (metric.isEmpty()) continue;
            m.put(metric.replace("{pool", "{" + pool), ((Number) c.getAccessor().invoke(st)).doubleValue());
        }
        for (GroupStats g : st.groups()) {
            String gl = "group=\"" + g.name() + "\"," + pool;
            for (var c : GroupStats.class.getRecordComponents()) {
                String metric = GROUP_METRIC.get(c.getName());
                assertNotNull(metric, "GroupStats." + c.getName() + " has no metric: add it to PoolMetrics and here");
                if (metric.isEmpty()) continue;
                m.put(metric.replace("{group", "{" + gl), ((Number) c.getAccessor().invoke(g)).doubleValue());
            }
        }
        return m;
    }

    static final String PARSER = """
            import sys
            from prometheus_client.parser import text_string_to_metric_families
            for fam in text_string_to_metric_families(sys.stdin.read()):
                for s in fam.samples:
                    labels = ",".join('%s="%s"' % (k, s.labels[k]) for k in sorted(s.labels))
                    print("%s{%s} %r" % (s.name, labels, s.value))
            """;

    /** The Prometheus client's own parser (Debian's python3-prometheus-client), or null when it is not installed. */
    static Path parser() {
        Path py = Path.of("/usr/bin/python3");
        if (!Files.isExecutable(py)) return null;
        try {
            Process p = new ProcessBuilder(py.toString(), "-c", "import prometheus_client").redirectErrorStream(true).start();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0 ? py : null;
        } catch (IOException | InterruptedException e) {
            return null;
        }
    }

    @Test
    void metricsParseAndCarryEveryCounterOfPoolStatsExactly() throws Exception {
        Path py = parser();
        Assumptions.assumeTrue(py != null, "the Prometheus text-format parser (python3-prometheus-client) is not installed;"
                + " run scripts/install-monitor-test-tools to install it (and Chromium for the browser test)");
        awaitPool();
        live.pause();
        try {
            PoolStats st = live.pool.stats();
            long v0 = monitor.version();
            monitor.awaitNewer(monitor.awaitNewer(v0, Duration.ofSeconds(5)), Duration.ofSeconds(5)); // a sample after the pause
            PoolView v = monitor.views().stream().filter(x -> x.name().equals(live.name)).findFirst().orElseThrow();
            Response r = get("/metrics", "GET");
            assertEquals(200, r.status());
            assertTrue(r.type().startsWith("text/plain"), r.type());
            Process p = new ProcessBuilder(py.toString(), "-c", PARSER).start();
            p.getOutputStream().write(r.body().getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().close();
            String parsed = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.waitFor(), "the Prometheus parser refused the text: " + err + "\n" + r.body());
            var got = new HashMap<String, Double>();
            for (String line : parsed.split("\n")) {
                int sp = line.lastIndexOf(' ');
                if (sp > 0) got.put(line.substring(0, sp), Double.parseDouble(line.substring(sp + 1)));
            }
            for (var e : expected(st, v).entrySet()) {
                assertTrue(got.containsKey(e.getKey()), "metric " + e.getKey() + " is missing; parsed:\n" + parsed);
                assertEquals(e.getValue(), got.get(e.getKey()), e.getKey() + " equals the pool's own stats()");
            }
        } finally {
            live.resume();
        }
    }
}
