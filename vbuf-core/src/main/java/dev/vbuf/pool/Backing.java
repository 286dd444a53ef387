package dev.vbuf.pool;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.shm.Peer;

import java.util.List;

/**
 * Where a pool's control block lives, and who takes part in it: the one interface through
 * which the pool reaches its memory and its peers.
 * <ul>
 *   <li>{@link PrivateBacking}: a GC-managed arena in this JVM; one process, no table.</li>
 *   <li>{@link SharedBacking}: a /dev/shm file ({@link dev.vbuf.shm.PoolFile}) with its process
 *       table ({@link dev.vbuf.shm.ProcessTable}) and a monitor of dead peers
 *       ({@link dev.vbuf.shm.PeerMonitor}).</li>
 * </ul>
 */
sealed interface Backing permits PrivateBacking, SharedBacking {
    /** Where everything is in the control block. */
    ControlBlock.Geometry geometry();

    /** The control block, formatted by {@link #format} or validated at attach. */
    ControlBlock controlBlock();

    /** True when this process formatted the control block (its slots need their first setting up). */
    boolean fresh();

    /** Formats a fresh control block; called once, before {@link #controlBlock()}, only when {@link #fresh()}. */
    void format(long bufferBytes, String[] groupNames, FrameLayout layout, int flags);

    /** This process's 1-based index in the process table; 0 when the pool has no table. */
    int me();

    /**
     * "process PID" when process-table entry {@code index} (1-based) is held by a live process,
     * else null (free, dead, outside the table, or no table).
     */
    String liveProcess(int index);

    /** True when slot ownership is recorded per process (a shared pool): crash recovery is possible. */
    boolean tracked();

    /** Where buffer {@code s} starts in the data region, for its slot descriptor. */
    long bufferOffset(int s, long bufferBytes);

    /** The pool is built: publish it (a new shared pool) and start watching peers. */
    void started(CrashRecovery recovery);

    /** Construction failed after the backing was made: undo what it did (file, process entry). */
    void abandon();

    /** Closes: gives back what this process holds (recovery of its own entry), leaves the table, removes the file if it is ours. */
    void close(CrashRecovery recovery);

    /** The shared pool's name, or null. */
    String sharedName();

    /** True for the process that created a shared pool (its close ends the stream). */
    boolean creator();

    /** The process table now (empty without one). */
    List<Peer> peers();
}
