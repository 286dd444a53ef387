package dev.vbuf.memory;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Buffer negotiation (S2.6, seed 003's VIDIOC_REQBUFS): a request names a count, the bytes of
 * one buffer (a frame layout's size) and optionally a budget; the answer grants up to that
 * count from the memory the system has available, keeping a safety margin, or fails when even
 * the minimum does not fit. Then {@link #allocate} takes the granted buffers all-or-nothing.
 *
 * <pre>
 *   available = min(MemAvailable, cgroup limit - cgroup usage, /dev/shm free  (shared kinds only))
 *   margin    = max(marginFloor, available x marginFraction)
 *   fit       = floor((available - margin) / bufferBytes)
 *   granted   = min(count, fit, floor(budget / bufferBytes))     fails when granted &lt; minimum
 * </pre>
 */
public final class Negotiator {
    /** Default maximum count, as V4L2's VIDEO_MAX_FRAME (32) is for a device; pools allow more. */
    public static final int DEFAULT_MAX_COUNT = 1024;
    public static final long DEFAULT_MARGIN_FLOOR = 64L << 20;
    public static final double DEFAULT_MARGIN_FRACTION = 0.10;

    /**
     * @param count       buffers wanted, 1..max
     * @param bufferBytes bytes of one buffer (e.g. {@code FrameLayout.frameBytes()})
     * @param minimum     fewest buffers that are of use, 1..count
     * @param budgetBytes most bytes the pool may take, 0 for no budget
     * @param shared      the kind lives in /dev/shm or a memfd (its free space counts)
     */
    public record Request(int count, long bufferBytes, int minimum, long budgetBytes, boolean shared) {
        public static Request of(int count, long bufferBytes) { return new Request(count, bufferBytes, 1, 0, false); }
    }

    /** The memory the system has, in bytes ({@link SystemMemory#UNLIMITED} where a source sets no limit). */
    public record Available(long memAvailable, long cgroupHeadroom, long shmFree) {
        /** Read now from /proc/meminfo, the cgroup files and statvfs(/dev/shm). */
        public static Available now() {
            long mem = SystemMemory.memAvailable();
            long shm = SystemMemory.shmFree();
            return new Available(mem < 0 ? SystemMemory.UNLIMITED : mem, SystemMemory.cgroup().headroom(),
                    shm < 0 ? 0 : shm);
        }

        long bytes(boolean shared) {
            long a = Math.min(memAvailable, cgroupHeadroom);
            return shared ? Math.min(a, shmFree) : a;
        }

        String describe(boolean shared) {
            return "MemAvailable " + show(memAvailable) + ", cgroup headroom " + show(cgroupHeadroom)
                    + (shared ? ", /dev/shm free " + show(shmFree) : "");
        }

        private static String show(long b) { return b == SystemMemory.UNLIMITED ? "unlimited" : b + " bytes"; }
    }

    /** What was granted and why. */
    public record Grant(int count, long bufferBytes, long availableBytes, long marginBytes, String limitedBy) {
        public long totalBytes() { return count * bufferBytes; }
    }

    private final int maxCount;
    private final long marginFloor;
    private final double marginFraction;

    public Negotiator() { this(DEFAULT_MAX_COUNT, DEFAULT_MARGIN_FLOOR, DEFAULT_MARGIN_FRACTION); }

    public Negotiator(int maxCount, long marginFloor, double marginFraction) {
        if (maxCount < 1) throw new IllegalArgumentException("maximum count " + maxCount + " is below 1");
        if (marginFloor < 0 || !(marginFraction >= 0 && marginFraction < 1)) {
            throw new IllegalArgumentException("margin floor " + marginFloor + " must be >= 0 and fraction "
                    + marginFraction + " in [0, 1)");
        }
        this.maxCount = maxCount;
        this.marginFloor = marginFloor;
        this.marginFraction = marginFraction;
    }

    /** Negotiates against the memory available now. */
    public Grant negotiate(Request r) { return negotiate(r, Available.now()); }

    public Grant negotiate(Request r, Available available) {
        if (r.count() < 1 || r.count() > maxCount) {
            throw new IllegalArgumentException("buffer count " + r.count() + " is outside 1.." + maxCount
                    + "; ask for at least one buffer and at most " + maxCount);
        }
        if (r.bufferBytes() < 1) throw new IllegalArgumentException("buffer size " + r.bufferBytes() + " bytes is not positive");
        if (r.minimum() < 1 || r.minimum() > r.count()) {
            throw new IllegalArgumentException("minimum " + r.minimum() + " is outside 1.." + r.count() + " (the count asked)");
        }
        if (r.budgetBytes() < 0) throw new IllegalArgumentException("budget " + r.budgetBytes() + " bytes is negative; 0 means none");
        long avail = available.bytes(r.shared());
        long margin = Math.max(marginFloor, (long) (Math.min(avail, Long.MAX_VALUE / 2) * marginFraction));
        long usable = Math.max(0, avail - margin);
        long fit = usable / r.bufferBytes();
        long budgetFit = r.budgetBytes() == 0 ? Long.MAX_VALUE : r.budgetBytes() / r.bufferBytes();
        long granted = Math.min(r.count(), Math.min(fit, budgetFit));
        String limitedBy = granted == r.count() ? "nothing (all granted)"
                : budgetFit < fit ? "the budget of " + r.budgetBytes() + " bytes" : "available memory";
        if (granted < r.minimum()) {
            throw new BufferAllocationException("out of memory for buffers: asked " + r.count() + " x " + r.bufferBytes()
                    + " bytes = " + (long) r.count() * r.bufferBytes() + " bytes (minimum " + r.minimum() + "); available "
                    + (avail == SystemMemory.UNLIMITED ? "unlimited" : avail + " bytes") + " (" + available.describe(r.shared())
                    + "), safety margin " + margin + " bytes"
                    + (r.budgetBytes() > 0 ? ", budget " + r.budgetBytes() + " bytes" : "") + ": only " + granted
                    + " fit, limited by " + limitedBy + "; free memory, lower the resolution or the count, or raise the budget");
        }
        return new Grant((int) granted, r.bufferBytes(), avail, margin, limitedBy);
    }

    /**
     * Checks, before the first buffer is allocated, that a pool of {@code count} buffers of
     * {@code bufferBytes} (plus {@code overheadBytes} of control block) fits in what the system
     * can give now: MemAvailable, the cgroup's headroom, and for a shared pool the free space of
     * /dev/shm (see {@link Available}). A pool that does not fit is refused whole, with what was
     * asked, what is available and what to do, instead of allocating buffer after buffer until
     * the kernel's OOM killer ends the process.
     *
     * @throws BufferAllocationException when the pool does not fit
     * @throws IllegalArgumentException  when the sizes are negative or their product overflows
     */
    public static void checkPoolFits(String pool, int count, long bufferBytes, long overheadBytes, boolean shared) {
        checkPoolFits(pool, count, bufferBytes, overheadBytes, shared, Available.now());
    }

    /** {@link #checkPoolFits(String, int, long, long, boolean)} against the given availability (for tests). */
    public static void checkPoolFits(String pool, int count, long bufferBytes, long overheadBytes, boolean shared,
                                     Available available) {
        if (count < 0 || bufferBytes < 0 || overheadBytes < 0) {
            throw new IllegalArgumentException("pool '" + pool + "': " + count + " buffers of " + bufferBytes
                    + " bytes (+ " + overheadBytes + ") is not a size; give a positive count and buffer size");
        }
        long total;
        try {
            total = Math.addExact(Math.multiplyExact((long) count, bufferBytes), overheadBytes);
        } catch (ArithmeticException e) {
            throw new BufferAllocationException("pool '" + pool + "' asks " + count + " buffers of " + bufferBytes
                    + " bytes, more than 2^63 bytes; use fewer or smaller buffers");
        }
        long avail = available.bytes(shared);
        if (total > avail) {
            throw new BufferAllocationException("pool '" + pool + "' asks " + count + " buffers of " + human(bufferBytes)
                    + (overheadBytes > 0 ? " plus " + human(overheadBytes) + " of control block" : "") + " = "
                    + human(total) + ", but the system can give " + human(avail) + " now ("
                    + available.describe(shared) + "); nothing was allocated. Use fewer buffers (at most "
                    + Math.max(0, (avail - overheadBytes) / Math.max(1, bufferBytes)) + " of this size fit) or a smaller"
                    + " frame size or format, or free memory" + (shared ? " (and /dev/shm: 'vbuf shm ls', 'vbuf shm rm')" : ""));
        }
    }

    /** Bytes for people: "2199023255552 bytes (2.0 TiB)". */
    static String human(long b) {
        if (b == SystemMemory.UNLIMITED) return "unlimited";
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = b;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u < 0 ? b + " bytes" : b + " bytes (" + String.format(java.util.Locale.ROOT, "%.1f", v) + " " + units[u] + ")";
    }

    /**
     * Allocates the granted buffers one at a time from {@code allocator}, all-or-nothing: when
     * buffer k fails, the k already allocated are freed before the error is thrown.
     */
    public static Allocation allocate(Allocator allocator, Grant grant, long alignment) {
        List<Allocation> parts = new ArrayList<>(grant.count());
        try {
            for (int i = 0; i < grant.count(); i++) parts.add(allocator.allocate(1, grant.bufferBytes(), alignment));
        } catch (RuntimeException e) {
            int made = parts.size();
            for (Allocation p : parts) p.close();
            throw new BufferAllocationException("buffer " + made + " of " + grant.count() + " (" + grant.bufferBytes()
                    + " bytes) could not be allocated from " + allocator.name() + ": " + e.getMessage() + "; the "
                    + made + " allocated before it were freed (all-or-nothing)", e);
        }
        String backing = parts.isEmpty() ? "" : parts.getFirst().backing();
        return new Allocation() {
            private boolean closed;
            @Override public int count() { return parts.size(); }
            @Override public MemorySegment buffer(int i) { return parts.get(i).buffer(0); }
            @Override public long physicalAddress(int i) { return parts.get(i).physicalAddress(0); }
            @Override public int fd(int i) { return parts.get(i).fd(0); }
            @Override public String placement(int i) { return parts.get(i).placement(0); }
            @Override public void syncCpu(int i, int access, boolean begin) { parts.get(i).syncCpu(0, access, begin); }
            @Override public String backing() { return backing + " (negotiated: " + parts.size() + " buffers)"; }
            @Override public synchronized void close() {
                if (closed) return;
                closed = true;
                for (Allocation p : parts) p.close();
            }
        };
    }
}
