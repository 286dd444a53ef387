package dev.vbuf.pool;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.shm.Peer;
import dev.vbuf.shm.PeerMonitor;
import dev.vbuf.shm.PoolFile;
import dev.vbuf.shm.ProcessTable;
import dev.vbuf.shm.Processes;

import java.time.Duration;
import java.util.List;

/**
 * The control block of a shared pool: the start of its /dev/shm file ({@link PoolFile}), with
 * the file's process table ({@link ProcessTable}) and a {@link PeerMonitor}.
 *
 * <p>The process entry is claimed when the backing is made, before the pool reads
 * {@link #me()}: the creator's entry exists (in its still unpublished file) before it takes any
 * slot, so every slot it fills or holds names it and survivors can recover them if it dies.
 */
final class SharedBacking implements Backing {
    private final PoolFile file;
    private final ProcessTable table;
    private final boolean observer;
    private final boolean keepFile;
    private final long reclaimNanos;
    private final long pid = Processes.self();
    private final int me;
    private ControlBlock cb;
    private PeerMonitor monitor;

    private SharedBacking(PoolFile file, boolean observer, boolean keepFile, Duration reclaimAfter) {
        this.file = file;
        this.table = file.processTable();
        this.observer = observer;
        this.keepFile = keepFile;
        this.reclaimNanos = reclaimAfter.toNanos();
        if (observer) {
            me = 0;
        } else {
            me = table.claim(pid, Processes.startTime(pid), file.creator() ? ProcessTable.ROLE_CREATOR : ProcessTable.ROLE_ATTACHED);
            if (me == 0) {
                long live = table.peers().stream().filter(Peer::alive).count();
                throw new IllegalStateException("shared pool '" + file.name() + "' has all " + table.capacity()
                        + " process entries in use (" + live + " live); detach some processes, or create the pool"
                        + " with a larger process capacity");
            }
        }
        if (!file.creator()) cb = ControlBlock.view(file.controlBlock(), file.geometry());
    }

    /** A new pool's backing: the (unpublished) file, with the creator's entry claimed. */
    static SharedBacking create(PoolFile file, boolean keepFile, Duration reclaimAfter) {
        try {
            return new SharedBacking(file, false, keepFile, reclaimAfter);
        } catch (RuntimeException | Error e) {
            file.abandon();
            throw e;
        }
    }

    /** An attached pool's backing (the file validated); an observer takes no entry and runs no monitor. */
    static SharedBacking attach(PoolFile file, boolean observer, Duration reclaimAfter) {
        return new SharedBacking(file, observer, true, reclaimAfter);
    }

    PoolFile file() { return file; }

    @Override public ControlBlock.Geometry geometry() { return file.geometry(); }
    @Override public boolean fresh() { return file.creator(); }

    @Override
    public void format(long bufferBytes, String[] groupNames, FrameLayout layout) {
        // The process table was zero when the creator claimed its entry; formatting writes the
        // header, slots, rings and groups, never the table.
        cb = ControlBlock.format(file.controlBlock(), file.geometry(), bufferBytes, groupNames, 0,
                file.dataOffset(), file.bufferStride(), layout);
    }

    @Override public ControlBlock controlBlock() { return cb; }
    @Override public int me() { return me; }
    @Override public boolean tracked() { return true; }
    @Override public long bufferOffset(int s, long bufferBytes) { return file.dataOffset() + (long) s * file.bufferStride(); }

    @Override
    public void started(CrashRecovery recovery) {
        if (file.creator()) file.publish();
        if (observer) return;
        monitor = new PeerMonitor(file.name(), table, me, pid, reclaimNanos, recovery);
        monitor.start();
    }

    @Override
    public void abandon() {
        if (me > 0) table.release(me, pid); // nothing was taken with it yet
        if (file.creator()) file.abandon();
    }

    @Override
    public void close(CrashRecovery recovery) {
        if (monitor != null) monitor.stop();
        if (observer) return;
        recovery.recoverOwner(me);
        // CAS from our own word: if a peer recovered our entry by mistake and another process
        // reused it, a plain store would free it under that process.
        table.release(me, pid);
        file.close(keepFile);
    }

    /** True when a peer recovered this process's entry (see the monitor's log). */
    boolean fenced() { return monitor != null && monitor.fenced(); }

    @Override public String sharedName() { return file.name(); }
    @Override public boolean creator() { return file.creator(); }
    @Override public List<Peer> peers() { return table.peers(); }
}
