package dev.vbuf.pool;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.shm.Peer;

import java.lang.foreign.Arena;
import java.util.List;

/**
 * The control block of a pool private to this JVM, in a GC-managed arena (Arena.ofAuto): a
 * thread still inside acquire while another closes the pool reads valid memory, sees the pool
 * closed and returns null. The buffers themselves are the allocator's, freed at close.
 */
final class PrivateBacking implements Backing {
    private final ControlBlock.Geometry geometry;
    private ControlBlock cb;

    PrivateBacking(int slotCount, int groupCount) {
        this.geometry = ControlBlock.Geometry.of(slotCount, groupCount);
    }

    @Override public ControlBlock.Geometry geometry() { return geometry; }
    @Override public boolean fresh() { return true; }

    @Override
    public void format(long bufferBytes, String[] groupNames, FrameLayout layout, int flags) {
        cb = ControlBlock.format(Arena.ofAuto().allocate(geometry.totalBytes(), ControlBlock.ALIGN), geometry,
                bufferBytes, groupNames, flags, 0, 0, layout);
    }

    @Override public ControlBlock controlBlock() { return cb; }
    @Override public int me() { return 0; }
    @Override public boolean tracked() { return false; }
    @Override public long bufferOffset(int s, long bufferBytes) { return (long) s * bufferBytes; }
    @Override public void started(CrashRecovery recovery) {}
    @Override public void abandon() {}
    @Override public void close(CrashRecovery recovery) {}
    @Override public String sharedName() { return null; }
    @Override public boolean creator() { return false; }
    @Override public List<Peer> peers() { return List.of(); }
}
