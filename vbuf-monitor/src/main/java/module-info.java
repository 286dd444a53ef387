/**
 * vbuf-monitor: every pool on the machine, watched from outside. Shared pools are read from
 * their files, private pools from the statistics files they publish
 * ({@code PoolBuilder.publishStats}), both read-only through {@code dev.vbuf.pool.PoolReader}:
 * {@link dev.vbuf.monitor.Monitor} samples them (exact counters, rates, ages, sampled latency),
 * {@link dev.vbuf.monitor.TopView} draws {@code vbuf top}'s screen,
 * {@link dev.vbuf.monitor.MonitorServer} serves {@code vbuf serve}'s live page, JSON,
 * server-sent events and Prometheus metrics ({@link dev.vbuf.monitor.PoolMetrics}).
 *
 * <p>Third-party code: the Prometheus Java client's model and text-format writer. The web
 * server is the JDK's own ({@code jdk.httpserver}); the page's script and style are in this jar.
 */
module dev.vbuf.monitor {
    requires transitive dev.vbuf.core;
    requires jdk.httpserver;
    requires io.prometheus.metrics.model;
    requires io.prometheus.writer.text;

    exports dev.vbuf.monitor;
}
