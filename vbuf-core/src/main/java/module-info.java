/**
 * vbuf-core: pools of preallocated off-heap frame buffers, the kinds of memory behind them,
 * pixel formats, pool sizing and statistics. No third-party dependency.
 *
 * <p>Exported: the pool ({@code dev.vbuf.pool}), memory kinds ({@code dev.vbuf.memory}),
 * formats, sizing and statistics. Not exported to everyone: the native layer
 * ({@code dev.vbuf.sys}: every system call vbuf makes), only to vbuf's own media and command
 * modules, and the shared-pool file internals ({@code dev.vbuf.shm}), only to the command
 * ({@code vbuf shm}, {@code vbuf inspect}).
 */
module dev.vbuf.core {
    requires jdk.jfr;
    requires java.management;

    exports dev.vbuf.pool;
    exports dev.vbuf.memory;
    exports dev.vbuf.format;
    exports dev.vbuf.sizing;
    exports dev.vbuf.stats;

    exports dev.vbuf.sys to dev.vbuf.media, dev.vbuf.ffmpeg, dev.vbuf.cli, dev.vbuf.bench;
    exports dev.vbuf.shm to dev.vbuf.cli;
}
