package dev.vbuf.pool;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.shm.Peer;

import java.lang.foreign.Arena;
import java.util.List;

/**
 * The control block of a pool private to this JVM, in this JVM's heap ({@link Words#heap}), or
 * in a GC-managed arena (Arena.ofAuto) when a waiter may sleep on a futex word of it: either way
 * a thread still inside acquire while another closes the pool reads valid memory, sees the pool
 * closed and returns null. The buffers themselves are the allocator's, freed at close.
 *
 * <p>With {@link PoolBuilder#publishStats(boolean)} the control block lives instead in a
 * {@link StatsFile} under /dev/shm (mapped here, unmapped when unreachable, like the arena),
 * so other processes read its counters; the file is removed at close. Same bytes, same
 * accesses: the hand-off does not know which it is.
 */
final class PrivateBacking implements Backing {
    private final ControlBlock.Geometry geometry;
    private final String statsName;
    private final String statsBacking;
    private ControlBlock cb;
    private StatsFile stats;
    /** The control block in heap words (see the constructor). */
    private boolean heap;

    /**
     * A private pool nobody outside this JVM reads. {@code heap}: its control block lives in this
     * JVM's heap ({@link Words#heap}: cheaper accesses), which needs that no waiter sleeps on a
     * futex word of it (the kernel needs native memory for that).
     */
    PrivateBacking(int slotCount, int groupCount, boolean heap) {
        this(slotCount, groupCount, null, null);
        this.heap = heap;
    }

    /** {@code statsName} non-null: publish the control block as pool {@code statsName}'s statistics file. */
    PrivateBacking(int slotCount, int groupCount, String statsName, String statsBacking) {
        this.geometry = ControlBlock.Geometry.of(slotCount, groupCount);
        this.statsName = statsName;
        this.statsBacking = statsBacking;
    }

    @Override public String liveProcess(int index) { return null; }

    @Override public ControlBlock.Geometry geometry() { return geometry; }
    @Override public boolean fresh() { return true; }

    @Override
    public void format(long bufferBytes, String[] groupNames, FrameLayout layout, int flags) {
        if (statsName != null) {
            stats = StatsFile.create(statsName, statsBacking, geometry);
            try {
                cb = ControlBlock.format(stats.controlBlock(), geometry, bufferBytes, groupNames, flags, 0, 0, layout);
            } catch (RuntimeException | Error e) {
                stats.remove();
                throw e;
            }
            return;
        }
        cb = heap
                ? ControlBlock.format(Words.heap(geometry.totalBytes()), geometry, bufferBytes, groupNames, flags, 0, 0, layout)
                : ControlBlock.format(Arena.ofAuto().allocate(geometry.totalBytes(), ControlBlock.ALIGN), geometry,
                        bufferBytes, groupNames, flags, 0, 0, layout);
    }

    @Override public ControlBlock controlBlock() { return cb; }
    @Override public int me() { return 0; }
    @Override public boolean tracked() { return false; }
    @Override public long bufferOffset(int s, long bufferBytes) { return (long) s * bufferBytes; }
    @Override public void started(CrashRecovery recovery) { if (stats != null) stats.publish(); }
    @Override public void abandon() { if (stats != null) stats.remove(); }
    @Override public void close(CrashRecovery recovery) { if (stats != null) stats.remove(); }
    @Override public String sharedName() { return null; }
    @Override public boolean creator() { return false; }
    @Override public List<Peer> peers() { return List.of(); }

    /** The statistics file, or null when the pool does not publish its statistics. */
    StatsFile statsFile() { return stats; }
}
