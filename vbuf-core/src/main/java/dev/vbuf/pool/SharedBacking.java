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
            me = claimOrReclaim(file, table, pid, reclaimNanos);

        }
        if (!file.creator()) cb = ControlBlock.view(file.controlBlock(), file.geometry());
    }

    /**
     * Claims a process entry; when the table is full, first reclaims entries of dead processes:
     * one that holds nothing (no slot word or claim names it) is freed at once, one that holds
     * frames is left to the survivors' monitors, which recover and free it within the reclaim
     * delay; attach waits that long (at least 2 s, interruptible) before it gives up.
     */
    private static int claimOrReclaim(PoolFile file, ProcessTable table, long pid, long reclaimNanos) {
        int role = file.creator() ? ProcessTable.ROLE_CREATOR : ProcessTable.ROLE_ATTACHED;
        long start = Processes.startTime(pid);
        int me = table.claim(pid, start, role);
        if (me != 0 || file.creator()) return me == 0 ? fullTable(file, table, 0) : me;
        ControlBlock view = ControlBlock.view(file.controlBlock(), file.geometry());
        int slots = file.geometry().slotCount(), groups = file.geometry().groupCount();
        long deadline = System.nanoTime() + Math.max(2_000_000_000L, 2 * reclaimNanos);
        int dead;
        do {
            dead = 0;
            for (int i = 1; i <= table.capacity(); i++) {
                ProcessTable.Identity id = table.identity(i);
                if (id.word() == 0 || id.alive()) continue;
                dead++;
                if (id.state() == ProcessTable.PROC_LIVE && !references(view, slots, groups, i)
                        && table.casWord(i, id.word(), ProcessTable.reclaimingWord(id.pid()))) {
                    if (references(view, slots, groups, i)) { // it raced a take: leave it to the monitors
                        table.casWord(i, ProcessTable.reclaimingWord(id.pid()), id.word());
                    } else {
                        table.casWord(i, ProcessTable.reclaimingWord(id.pid()), 0L);
                    }
                }
            }
            me = table.claim(pid, start, role);
            if (me != 0) return me;
            if (dead == 0 || Thread.currentThread().isInterrupted()) break;
            java.util.concurrent.locks.LockSupport.parkNanos(10_000_000L);
        } while (System.nanoTime() - deadline < 0);
        return fullTable(file, table, dead);
    }

    /** Whether any slot word (PRODUCER owner), holder claim (groups, producer reference) or role claim names process entry {@code index}. */
    private static boolean references(ControlBlock cb, int slots, int groups, int index) {
        for (int s = 0; s < slots; s++) {
            long w = cb.lvWord(s);
            if (SlotWord.phase(w) == SlotWord.PRODUCER && SlotWord.pending(w) == index) return true;
            // every holder field: the groups', and a producer's reference (the last one)
            for (int g = 0; g < SlotWord.MAX_GROUPS; g++) if (cb.lvHolder(s, g) == index) return true;
        }
        // a role claim: cleared by the recovery, before the entry is freed
        if (cb.lvInt(ControlBlock.P_PRODUCER_CLAIM) == index) return true;
        for (int g = 0; g < groups; g++) if (cb.lvInt(cb.group(g) + ControlBlock.G_CONSUMER_CLAIM) == index) return true;
        return false;
    }

    private static int fullTable(PoolFile file, ProcessTable table, int dead) {
        long live = table.peers().stream().filter(Peer::alive).count();
        throw new IllegalStateException("shared pool '" + file.name() + "' has all " + table.capacity()
                + " process entries in use (" + live + " by live processes" + (dead > 0 ? ", " + dead + " by dead ones"
                + " that still hold frames and that no live peer recovered in time" : "") + "); stop some of its"
                + " processes" + (dead > 0 ? ", keep a vbuf Java process attached (it recovers dead entries within"
                + " its reclaim delay) and try again" : "")
                + ", or create the pool with a larger process capacity");
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
    public void format(long bufferBytes, String[] groupNames, FrameLayout layout, int flags) {
        // The process table was zero when the creator claimed its entry; formatting writes the
        // header, slots, rings and groups, never the table.
        cb = ControlBlock.format(file.controlBlock(), file.geometry(), bufferBytes, groupNames, flags,
                file.dataOffset(), file.bufferStride(), layout);
    }

    @Override public ControlBlock controlBlock() { return cb; }
    @Override public int me() { return me; }
    @Override public boolean tracked() { return true; }

    @Override
    public String liveProcess(int index) {
        if (index < 1 || index > table.capacity()) return null;
        ProcessTable.Identity id = table.identity(index);
        return id.state() == ProcessTable.PROC_LIVE && id.alive() ? "process " + id.pid() : null;
    }
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
