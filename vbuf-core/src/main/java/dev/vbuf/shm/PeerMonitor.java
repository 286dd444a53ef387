package dev.vbuf.shm;

import java.util.concurrent.locks.LockSupport;

/**
 * Watches a shared pool's process table for dead peers. Each process that takes part in a pool
 * runs one monitor thread, which looks at every other entry every quarter of the reclaim delay:
 * an entry whose process is gone (pid and start time, {@link Processes}) is claimed by CAS
 * (LIVE to RECLAIMING), its slots are recovered by the pool's {@link Recovery}, and the entry is
 * freed. Only the monitor that wins the CAS recovers; an entry left RECLAIMING by a survivor that
 * died too is recovered again (recovery is idempotent).
 *
 * <p>It also watches its own entry: a process whose entry a peer recovered (judged dead: stopped
 * longer than the reclaim delay) is told so once, loudly, because the frames it takes from then on
 * are no longer protected against its crash.
 */
public final class PeerMonitor {
    /** What the pool does for a dead peer. */
    public interface Recovery {
        /** Gives back everything process {@code index} had (slots filling, frames held, claims). */
        void recover(int index);

        /** Counts one dead peer recovered (not called again for an entry already RECLAIMING). */
        void peerRecovered();
    }

    private final String poolName;
    private final ProcessTable table;
    private final int self;
    private final long pid;
    private final long periodNanos;
    private final Recovery recovery;
    private volatile Thread thread;
    private volatile boolean closing;
    private volatile boolean fenced;

    /**
     * @param self        this process's entry (1-based), skipped by the sweep
     * @param reclaimNanos how soon a dead peer is recovered; the table is swept every quarter of it (at least 10 ms)
     */
    public PeerMonitor(String poolName, ProcessTable table, int self, long pid, long reclaimNanos, Recovery recovery) {
        this.poolName = poolName;
        this.table = table;
        this.self = self;
        this.pid = pid;
        this.periodNanos = Math.max(10_000_000L, reclaimNanos / 4);
        this.recovery = recovery;
    }

    /**
     * Looks at every other entry once and recovers the dead ones. Returns the dead peers found.
     */
    public int sweep() {
        int found = 0;
        for (int i = 1; i <= table.capacity(); i++) {
            if (i == self) continue;
            ProcessTable.Identity id = table.identity(i); // word first, start time only under LIVE: no misjudging
            long w = id.word();
            if (w == 0) continue;
            long peer = ProcessTable.pid(w);
            if (id.alive()) continue;
            long reclaiming = ProcessTable.reclaimingWord(peer);
            boolean live = ProcessTable.state(w) == ProcessTable.PROC_LIVE || ProcessTable.state(w) == ProcessTable.PROC_CLAIMING;
            if (live && !table.casWord(i, w, reclaiming)) continue; // another survivor got there first
            recovery.recover(i);
            if (live) recovery.peerRecovered();
            table.casWord(i, reclaiming, 0L);
            found++;
        }
        return found;
    }

    private void checkOwnEntry() {
        if (!fenced && table.lvWord(self) != ProcessTable.liveWord(pid)) {
            fenced = true;
            System.getLogger("dev.vbuf.shm").log(System.Logger.Level.ERROR, "this process's entry #" + self
                    + " in shared pool '" + poolName + "' was recovered by a peer that judged it dead (it was stopped for"
                    + " longer than the reclaim delay?); frames it takes from now on are not protected against its"
                    + " crash. Detach and attach again.");
        }
    }

    /** True when a peer recovered this process's entry. */
    public boolean fenced() { return fenced; }

    /** Starts the monitor thread (a daemon named vbuf-monitor-POOL). */
    public void start() {
        Thread t = Thread.ofPlatform().daemon().name("vbuf-monitor-" + poolName).unstarted(() -> {
            while (!closing) {
                try {
                    checkOwnEntry();
                    sweep();
                } catch (RuntimeException e) {
                    System.getLogger("dev.vbuf.shm").log(System.Logger.Level.WARNING, "monitor of " + poolName + ": " + e, e);
                } catch (InternalError e) {
                    // an access past the end of a file someone truncated (SIGBUS turned into an error):
                    // say so and stop watching, instead of dying uncaught
                    System.getLogger("dev.vbuf.shm").log(System.Logger.Level.ERROR, "monitor of " + poolName + ": the pool"
                            + " file was truncated or removed under this process (" + e.getMessage() + "); dead peers"
                            + " are no longer recovered. Detach, and start the producer again");
                    return;
                }
                LockSupport.parkNanos(periodNanos);
            }
        });
        thread = t;
        t.start();
    }

    /** Stops the thread and waits for it (at most 1 s). */
    public void stop() {
        closing = true;
        Thread t = thread;
        if (t == null) return;
        LockSupport.unpark(t);
        try {
            t.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
