package dev.vbuf.memory;

import dev.vbuf.sys.Mman;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Memory locked against swap (S2.2): wraps another allocator and {@code mlock}s every buffer it
 * returns, so no frame can be paged out under memory pressure. When RLIMIT_MEMLOCK or missing
 * privilege stops it, the error gives the limit and the size asked, and nothing stays allocated.
 */
public final class LockedAllocator implements Allocator {
    private final Allocator inner;

    public LockedAllocator(Allocator inner) {
        this.inner = inner;
    }

    @Override
    public String name() { return inner.name() + "+locked"; }

    @Override
    public Allocation allocate(int count, long bufferBytes, long alignment) {
        Allocation a = inner.allocate(count, bufferBytes, alignment);
        int locked = 0;
        try {
            for (; locked < count; locked++) Mman.mlock(a.buffer(locked));
        } catch (NativeException e) {
            for (int i = 0; i < locked; i++) Mman.munlock(a.buffer(i));
            a.close();
            throw new BufferAllocationException("could not lock " + count + " buffers of " + bufferBytes + " bytes ("
                    + (long) count * bufferBytes + " bytes) in memory: " + e.getMessage() + "; the limit is "
                    + memlockLimit() + " (RLIMIT_MEMLOCK); raise it (ulimit -l, or LimitMEMLOCK in a systemd unit),"
                    + " run with CAP_IPC_LOCK, or leave out 'locked'", e);
        }
        return new Allocation() {
            private boolean closed;
            @Override public int count() { return a.count(); }
            @Override public MemorySegment buffer(int i) { return a.buffer(i); }
            @Override public long physicalAddress(int i) { return a.physicalAddress(i); }
            @Override public int fd(int i) { return a.fd(i); }
            @Override public String placement(int i) { return a.placement(i); }
            @Override public void syncCpu(int i, int access, boolean begin) { a.syncCpu(i, access, begin); }
            @Override public String backing() { return a.backing() + ", locked (mlock)"; }
            @Override public synchronized void close() {
                if (closed) return;
                closed = true;
                for (int i = 0; i < count; i++) Mman.munlock(a.buffer(i));
                a.close();
            }
        };
    }

    /** "Max locked memory" of /proc/self/limits, e.g. "8388608 bytes (soft), 8388608 (hard)". */
    public static String memlockLimit() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max locked memory")) {
                    String[] f = line.substring("Max locked memory".length()).trim().split("\\s+");
                    return f.length >= 3 ? f[0] + " " + f[2] + " (soft), " + f[1] + " (hard)" : line;
                }
            }
        } catch (IOException ignored) {
            // fall through
        }
        return "unknown";
    }
}
