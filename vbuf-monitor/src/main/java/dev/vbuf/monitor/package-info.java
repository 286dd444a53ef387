/**
 * Watching pools from outside: sampling ({@link dev.vbuf.monitor.Monitor}), views
 * ({@link dev.vbuf.monitor.PoolView}), the text screen of {@code vbuf top}
 * ({@link dev.vbuf.monitor.TopView}), the web view and metrics of {@code vbuf serve}
 * ({@link dev.vbuf.monitor.MonitorServer}, {@link dev.vbuf.monitor.PoolMetrics}). See
 * docs/OBSERVE.md.
 */
package dev.vbuf.monitor;
