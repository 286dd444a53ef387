package dev.vbuf.pool;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.memory.Native;
import dev.vbuf.memory.NativeException;
import dev.vbuf.memory.Posix;
import dev.vbuf.shm.Processes;
import dev.vbuf.shm.ShmNames;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The file of a shared pool: one mapping of {@code /dev/shm/vbuf.NAME} holding the control
 * block (with its process table) followed by the buffers, so that every attached process sees
 * the same bytes at the same offsets and pixel data is never copied between processes.
 *
 * <h2>Creating</h2>
 * The creator formats the whole pool in a temporary file (mode 0600 unless told otherwise,
 * O_CREAT|O_EXCL|O_NOFOLLOW) and publishes it under its name with link(2), which fails if the
 * name exists: nobody ever sees a half-formatted pool. A name left by a crashed run (no live
 * process in its table) is removed and the pool created again.
 *
 * <h2>Attaching: nothing read from the file is trusted</h2>
 * The file is opened with O_NOFOLLOW and checked with fstat (a regular file, owned by this
 * user, not writable by group or others, at least a header long) before any byte is mapped;
 * then magic, version, every count and every offset of the header are checked against the
 * geometry recomputed from the counts, and against the file's real length, so no access can
 * fall outside the mapping. Slot indices read from rings are bounds-checked where they are
 * used, and process-table indices too.
 *
 * <h2>Peers</h2>
 * Every process that creates or attaches claims an entry in the process table (pid and start
 * time) and runs a monitor thread that looks at the other entries every quarter of the
 * reclaim delay (default 1 s): an entry whose process is gone is recovered by the one monitor
 * that wins a CAS on it ({@link FramePool#recoverOwner}).
 */
public final class SharedRegion {
    /** Most processes attached to one pool at once, by default. */
    public static final int DEFAULT_PROCESS_CAPACITY = 64;
    public static final int MAX_PROCESS_CAPACITY = 4096;
    public static final Duration DEFAULT_RECLAIM_AFTER = Duration.ofSeconds(1);
    private static final long PAGE = 4096;

    private final String name;
    private final Path path;
    private final MemorySegment mapping;
    private final ControlBlock.Geometry geometry;
    private final long dataOffset;
    private final long bufferStride;
    private final boolean creator;
    private final boolean observer;
    private final boolean keepFile;
    private final long inode;
    private final long reclaimAfterNanos;
    private Path tempPath;
    private String memoryNote = "";
    private int index;
    private volatile Thread monitor;
    private volatile boolean closing;

    /** One entry of the process table. */
    public record Peer(int index, long pid, long startTime, String role, String state, boolean alive, long attachMillis) {}

    private SharedRegion(String name, Path path, MemorySegment mapping, ControlBlock.Geometry geometry, long dataOffset,
                         long bufferStride, boolean creator, boolean observer, boolean keepFile, long inode,
                         long reclaimAfterNanos) {
        this.name = name;
        this.path = path;
        this.mapping = mapping;
        this.geometry = geometry;
        this.dataOffset = dataOffset;
        this.bufferStride = bufferStride;
        this.creator = creator;
        this.observer = observer;
        this.keepFile = keepFile;
        this.inode = inode;
        this.reclaimAfterNanos = reclaimAfterNanos;
    }

    String name() { return name; }
    Path path() { return path; }
    boolean creator() { return creator; }
    int index() { return index; }
    ControlBlock.Geometry geometry() { return geometry; }
    long dataOffset() { return dataOffset; }
    long bufferStride() { return bufferStride; }
    MemorySegment controlBlock() { return mapping.asSlice(0, geometry.totalBytes()); }
    MemorySegment buffer(int s, long bytes) { return mapping.asSlice(dataOffset + (long) s * bufferStride, bytes); }
    long fileBytes() { return mapping.byteSize(); }
    /** NUMA placement and locking of a created region ("" when neither was asked). */
    String memoryNote() { return memoryNote; }

    // =====================================================================================
    // Creating
    // =====================================================================================

    /** Sizes and creates (unpublished) the file of a new pool of {@code count} buffers of {@code bufferBytes}. */
    static SharedRegion create(String name, int count, int groupCount, long bufferBytes, long alignment, int mode,
                               int processCapacity, Duration reclaimAfter, boolean keepFile, int numaNode, boolean locked) {
        if (numaNode >= 0) dev.vbuf.memory.NumaNodes.check(numaNode);
        Path path = ShmNames.path(name);
        if ((mode & ~0777) != 0 || (mode & 0600) != 0600) {
            throw new IllegalArgumentException("shared pool mode 0" + Integer.toOctalString(mode)
                    + " is not valid: give permission bits 0600..0666 (the owner needs read and write)");
        }
        ControlBlock.Geometry g = ControlBlock.Geometry.of(count, groupCount, processCapacity);
        long align = Math.max(PAGE, alignment);
        long dataOffset = alignUp(g.totalBytes(), align);
        long stride = alignUp(bufferBytes, align);
        long fileBytes;
        try {
            fileBytes = Math.addExact(dataOffset, Math.multiplyExact(stride, count));
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(count + " buffers of " + bufferBytes + " bytes overflow a file size");
        }
        checkShmSpace(path, fileBytes);
        Path temp = path.resolveSibling(".tmp." + path.getFileName() + "." + Processes.self() + "." + System.nanoTime());
        int fd = Posix.open(temp.toString(), Posix.O_RDWR | Posix.O_CREAT | Posix.O_EXCL | Posix.O_NOFOLLOW | Posix.O_CLOEXEC, 0600);
        MemorySegment map;
        long inode;
        String memoryNote;
        try {
            Posix.fchmod(fd, mode); // exactly the mode asked for, whatever the umask
            Native.ftruncate(fd, fileBytes);
            inode = Posix.fstat(fd).inode();
            map = mapShared(fd, fileBytes);
            memoryNote = placeAndLock(map, dataOffset, stride * count, numaNode, locked);
        } catch (RuntimeException e) {
            deleteQuietly(temp);
            throw e;
        } finally {
            Native.close(fd);
        }
        SharedRegion r = new SharedRegion(name, path, map, g, dataOffset, stride, true, false, keepFile, inode,
                reclaimAfter.toNanos());
        r.tempPath = temp;
        r.memoryNote = memoryNote;
        return r;
    }

    /**
     * S4.3 for the shared region: binds the buffers' pages to a NUMA node (mbind on the shared
     * mapping sets the policy of the tmpfs object itself, so every process's faults follow it),
     * faults them in, reads the placement back (move_pages), and locks the whole file (mlock:
     * the pages stay resident while the creator lives). Returns what was obtained, for the
     * pool's backing text.
     */
    private static String placeAndLock(MemorySegment map, long dataOffset, long dataBytes, int node, boolean locked) {
        if (node < 0 && !locked) return "";
        MemorySegment data = map.asSlice(dataOffset, dataBytes);
        var note = new StringBuilder();
        if (node >= 0) {
            dev.vbuf.memory.MemoryCalls.mbind(data, node,
                    dev.vbuf.memory.MemoryCalls.MPOL_MF_STRICT | dev.vbuf.memory.MemoryCalls.MPOL_MF_MOVE);
        }
        for (long off = 0; off < dataBytes; off += PAGE) data.set(ValueLayout.JAVA_BYTE, off, (byte) 0); // fault in
        if (node >= 0) {
            long[] perNode = dev.vbuf.memory.NumaAllocator.placementOf(data);
            note.append(", bound to NUMA node ").append(node).append(" (mbind): pages per node (move_pages):");
            for (int k = 0; k < perNode.length; k++) {
                if (perNode[k] == 0) continue;
                note.append(k == perNode.length - 1 ? " on no node " : " node " + k + " ").append(perNode[k]);
            }
        }
        if (locked) {
            Native.mlock(map);
            note.append(", locked (mlock, ").append(map.byteSize()).append(" bytes)");
        }
        return note.toString();
    }

    /** Claims the creator's process entry (after formatting) and makes the pool visible under its name. */
    void publish() {
        index = claimEntry(ControlBlock.ROLE_CREATOR);
        for (int attempt = 0; ; attempt++) {
            try {
                Files.createLink(path, tempPath);
                deleteQuietly(tempPath);
                tempPath = null;
                return;
            } catch (FileAlreadyExistsException e) {
                String stale = staleReason(path);
                if (stale == null || attempt > 0) {
                    deleteQuietly(tempPath);
                    throw new IllegalStateException("shared pool '" + name + "' already exists (" + path + ") and is in use"
                            + "; pick another name, stop its users, or remove it with 'vbuf shm rm "
                            + name + "'");
                }
                System.getLogger("dev.vbuf.shm").log(System.Logger.Level.WARNING,
                        "removing stale shared pool " + path + ": " + stale);
                deleteQuietly(path);
            } catch (IOException e) {
                deleteQuietly(tempPath);
                throw new IllegalStateException("cannot publish shared pool '" + name + "' as " + path + ": " + e, e);
            }
        }
    }

    /** Removes an unpublished file (creation failed after create). */
    void abandon() {
        if (tempPath != null) deleteQuietly(tempPath);
    }

    private static void checkShmSpace(Path path, long fileBytes) {
        try {
            long free = Files.getFileStore(path.getParent()).getUsableSpace();
            if (free < fileBytes) {
                throw new IllegalArgumentException("shared pool needs " + fileBytes + " bytes in " + path.getParent()
                        + " but only " + free + " are free; use fewer or smaller buffers, or remove unused pools"
                        + " ('vbuf shm ls', 'vbuf shm rm NAME')");
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the free space of " + path.getParent() + ": " + e, e);
        }
    }

    // =====================================================================================
    // Attaching
    // =====================================================================================

    /** What an attach found in the file: the region plus the pool parameters the header gives. */
    record Attached(SharedRegion region, int slotCount, String[] groups, long bufferBytes, FrameLayout layout) {}

    static Attached attach(String name, boolean observer, boolean allowGroupWritable, Duration reclaimAfter) {
        Path path = ShmNames.path(name);
        int fd;
        try {
            fd = Posix.open(path.toString(), Posix.O_RDWR | Posix.O_NOFOLLOW | Posix.O_CLOEXEC, 0);
        } catch (NativeException e) {
            if (e.errno() == Posix.ENOENT) {
                throw new IllegalStateException("no shared pool '" + name + "' (" + path + " does not exist); start its"
                        + " producer first (e.g. 'vbuf run --shared " + name + "'), or list pools with 'vbuf shm ls'");
            }
            if (e.errno() == Posix.ELOOP) {
                throw new SecurityException(path + " is a symbolic link; vbuf never follows links to a shared pool."
                        + " Remove it ('vbuf shm rm " + name + "')");
            }
            throw new IllegalStateException("cannot open shared pool '" + name + "': " + e.getMessage(), e);
        }
        MemorySegment map;
        Posix.Stat st;
        try {
            st = Posix.fstat(fd);
            if (!st.isRegularFile()) {
                throw new SecurityException(path + " is not a regular file (mode 0" + Integer.toOctalString(st.mode())
                        + "); refusing to attach. Remove it ('vbuf shm rm " + name + "')");
            }
            int uid = Posix.getuid();
            if (st.uid() != uid) {
                throw new SecurityException(path + " belongs to uid " + st.uid() + ", not to this user (uid " + uid
                        + "); a pool is attached only by its owner's processes. Run as uid " + st.uid()
                        + " or create the pool under another name");
            }
            int forbidden = allowGroupWritable ? 0002 : 0022;
            if ((st.permissions() & forbidden) != 0) {
                throw new SecurityException(path + " has mode 0" + Integer.toOctalString(st.permissions())
                        + ", writable by " + ((st.permissions() & 0002) != 0 ? "everyone" : "its group")
                        + "; any of them could corrupt the pool. Accepted: no write bit for "
                        + (allowGroupWritable ? "others" : "group or others") + " (0600 is the default). Fix it with"
                        + " 'chmod 600 " + path + "' if you trust it, or remove it ('vbuf shm rm " + name + "')");
            }
            if (st.size() < ControlBlock.HEADER_BYTES) {
                throw new BufferValidation(path, "is " + st.size() + " bytes long, shorter than the "
                        + ControlBlock.HEADER_BYTES + "-byte header: truncated, or not a vbuf pool");
            }
            map = mapShared(fd, st.size());
        } finally {
            Native.close(fd);
        }
        Validated v = validate(map, path);
        SharedRegion r = new SharedRegion(name, path, map, v.geometry, v.dataOffset, v.stride, false, observer, true,
                st.inode(), reclaimAfter.toNanos());
        if (!observer) r.index = r.claimEntry(ControlBlock.ROLE_ATTACHED);
        return new Attached(r, v.geometry.slotCount(), v.groups, v.bufferBytes, v.layout);
    }

    private record Validated(ControlBlock.Geometry geometry, long dataOffset, long stride, String[] groups,
                             long bufferBytes, FrameLayout layout) {}

    /** A shared file that is not a valid pool: says which file, what is wrong, and what to do. */
    static final class BufferValidation extends dev.vbuf.memory.BufferValidationException {
        BufferValidation(Path path, String what) {
            super("shared pool file " + path + " " + what + "; it was not written by a compatible vbuf, or it is"
                    + " damaged. Remove it with 'vbuf shm rm " + path.getFileName().toString().substring(ShmNames.PREFIX.length())
                    + "' and start the producer again");
        }
    }

    /**
     * Checks every header field of an untrusted mapping before anything else reads it: the
     * geometry must be exactly what the counts give, and everything must fit in the file.
     */
    static Validated validate(MemorySegment m, Path path) {
        long size = m.byteSize();
        long magic = m.get(ValueLayout.JAVA_LONG, ControlBlock.H_MAGIC);
        if (magic == 0) throw new BufferValidation(path, "has no magic number yet (its creator is still formatting it, or died doing so)");
        if (magic != ControlBlock.MAGIC) {
            throw new BufferValidation(path, "has magic 0x" + Long.toHexString(magic) + ", not 0x"
                    + Long.toHexString(ControlBlock.MAGIC) + " (\"VBUFPOOL\"): not a vbuf pool");
        }
        int version = m.get(ValueLayout.JAVA_INT, ControlBlock.H_VERSION);
        if (version != ControlBlock.VERSION) {
            throw new BufferValidation(path, "has layout version " + version + "; this vbuf reads version " + ControlBlock.VERSION);
        }
        int headerBytes = m.get(ValueLayout.JAVA_INT, ControlBlock.H_HEADER_BYTES);
        int slotBytes = m.get(ValueLayout.JAVA_INT, ControlBlock.H_SLOT_BYTES);
        if (headerBytes != ControlBlock.HEADER_BYTES || slotBytes != ControlBlock.SLOT_BYTES) {
            throw new BufferValidation(path, "declares a " + headerBytes + "-byte header and " + slotBytes
                    + "-byte slots; version " + ControlBlock.VERSION + " has " + ControlBlock.HEADER_BYTES + " and " + ControlBlock.SLOT_BYTES);
        }
        int slots = m.get(ValueLayout.JAVA_INT, ControlBlock.H_SLOT_COUNT);
        int groups = m.get(ValueLayout.JAVA_INT, ControlBlock.H_GROUP_COUNT);
        int procs = m.get(ValueLayout.JAVA_INT, ControlBlock.H_PROCESS_CAPACITY);
        range(path, "slot count", slots, 1, FramePool.MAX_BUFFERS);
        range(path, "group count", groups, 1, FramePool.MAX_GROUPS);
        range(path, "process table capacity", procs, 1, MAX_PROCESS_CAPACITY);
        ControlBlock.Geometry g = ControlBlock.Geometry.of(slots, groups, procs);
        expect(path, "free ring capacity", m.get(ValueLayout.JAVA_INT, ControlBlock.H_FREE_RING_CAPACITY), g.freeRingCapacity());
        expect(path, "group ring capacity", m.get(ValueLayout.JAVA_INT, ControlBlock.H_GROUP_RING_CAPACITY), g.groupRingCapacity());
        expect(path, "slots offset", m.get(ValueLayout.JAVA_LONG, ControlBlock.H_SLOTS_OFFSET), g.slotsOffset());
        expect(path, "free ring offset", m.get(ValueLayout.JAVA_LONG, ControlBlock.H_FREE_RING_OFFSET), g.freeRingOffset());
        expect(path, "groups offset", m.get(ValueLayout.JAVA_LONG, ControlBlock.H_GROUPS_OFFSET), g.groupsOffset());
        expect(path, "process table offset", m.get(ValueLayout.JAVA_LONG, ControlBlock.H_PROCESS_OFFSET), g.processOffset());
        expect(path, "control block size", m.get(ValueLayout.JAVA_LONG, ControlBlock.H_TOTAL_BYTES), g.totalBytes());
        if (g.totalBytes() > size) {
            throw new BufferValidation(path, "is " + size + " bytes long but its control block needs " + g.totalBytes() + ": truncated");
        }
        long bufferBytes = m.get(ValueLayout.JAVA_LONG, ControlBlock.H_BUFFER_BYTES);
        long dataOffset = m.get(ValueLayout.JAVA_LONG, ControlBlock.H_DATA_OFFSET);
        long stride = m.get(ValueLayout.JAVA_LONG, ControlBlock.H_BUFFER_STRIDE);
        if (bufferBytes < 1 || stride < bufferBytes || stride % PAGE != 0) {
            throw new BufferValidation(path, "declares buffers of " + bufferBytes + " bytes every " + stride
                    + " bytes; a buffer must be at least 1 byte and the stride a multiple of " + PAGE + " not below it");
        }
        if (dataOffset < g.totalBytes() || dataOffset % PAGE != 0) {
            throw new BufferValidation(path, "puts its buffers at offset " + dataOffset + ", inside the control block (ends at "
                    + g.totalBytes() + ") or not page-aligned");
        }
        long end;
        try {
            end = Math.addExact(dataOffset, Math.multiplyExact(stride, (long) slots));
        } catch (ArithmeticException e) {
            end = Long.MAX_VALUE;
        }
        if (end > size) {
            throw new BufferValidation(path, "is " + size + " bytes long but its " + slots + " buffers of " + stride
                    + " bytes from offset " + dataOffset + " end at " + (end == Long.MAX_VALUE ? "an overflowing offset" : end)
                    + ": truncated");
        }
        String[] names = new String[groups];
        var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        for (int i = 0; i < groups; i++) {
            long rec = g.groupsOffset() + (long) i * ControlBlock.GROUP_BYTES;
            expect(path, "group " + i + " ring offset", m.get(ValueLayout.JAVA_LONG, rec + ControlBlock.G_RING_OFFSET), g.groupRingOffset(i));
            byte[] raw = m.asSlice(rec + ControlBlock.G_NAME, ControlBlock.GROUP_NAME_BYTES).toArray(ValueLayout.JAVA_BYTE);
            int len = 0;
            while (len < raw.length && raw[len] != 0) len++;
            if (len == 0 || len == raw.length) {
                throw new BufferValidation(path, "has a group " + i + " name that is empty or not NUL-terminated within "
                        + ControlBlock.GROUP_NAME_BYTES + " bytes");
            }
            try {
                names[i] = decoder.decode(java.nio.ByteBuffer.wrap(raw, 0, len)).toString();
            } catch (CharacterCodingException e) {
                throw new BufferValidation(path, "has a group " + i + " name that is not UTF-8");
            }
        }
        FrameLayout layout = null;
        int format = m.get(ValueLayout.JAVA_INT, ControlBlock.H_FORMAT);
        if (format != 0) {
            PixelFormat[] all = PixelFormat.values();
            range(path, "pixel format id", format, 1, all.length);
            int w = m.get(ValueLayout.JAVA_INT, ControlBlock.H_WIDTH);
            int h = m.get(ValueLayout.JAVA_INT, ControlBlock.H_HEIGHT);
            int sa = m.get(ValueLayout.JAVA_INT, ControlBlock.H_STRIDE_ALIGN);
            range(path, "width", w, FrameLayout.MIN_DIMENSION, FrameLayout.MAX_DIMENSION);
            range(path, "height", h, FrameLayout.MIN_DIMENSION, FrameLayout.MAX_DIMENSION);
            range(path, "stride alignment", sa, 1, FrameLayout.MAX_STRIDE_ALIGN);
            try {
                layout = FrameLayout.of(all[format - 1], w, h, sa);
            } catch (IllegalArgumentException e) {
                throw new BufferValidation(path, "declares a frame layout vbuf rejects (" + e.getMessage() + ")");
            }
            if (layout.frameBytes() > bufferBytes) {
                throw new BufferValidation(path, "declares " + layout + " frames of " + layout.frameBytes()
                        + " bytes in buffers of " + bufferBytes);
            }
        }
        return new Validated(g, dataOffset, stride, names, bufferBytes, layout);
    }

    private static void range(Path path, String what, long v, long lo, long hi) {
        if (v < lo || v > hi) throw new BufferValidation(path, "declares " + what + " " + v + ", outside " + lo + ".." + hi);
    }

    private static void expect(Path path, String what, long found, long expected) {
        if (found != expected) {
            throw new BufferValidation(path, "declares " + what + " " + found + " where its counts give " + expected);
        }
    }

    // =====================================================================================
    // The process table and the monitor
    // =====================================================================================

    private long entry(int i) { return geometry.processOffset() + (long) i * ControlBlock.PROCESS_BYTES; }

    private int claimEntry(int role) {
        long pid = Processes.self();
        long start = Processes.startTime(pid);
        for (int i = 0; i < geometry.processCapacity(); i++) {
            long off = entry(i);
            if ((long) ControlBlock.LONG.getVolatile(mapping, off + ControlBlock.PR_WORD) != 0) continue;
            if (ControlBlock.LONG.compareAndSet(mapping, off + ControlBlock.PR_WORD, 0L, (pid << 8) | ControlBlock.PROC_LIVE)) {
                mapping.set(ValueLayout.JAVA_LONG, off + ControlBlock.PR_START_TIME, Math.max(0, start));
                mapping.set(ValueLayout.JAVA_INT, off + ControlBlock.PR_ROLE, role);
                ControlBlock.LONG.setRelease(mapping, off + ControlBlock.PR_ATTACH_MILLIS, System.currentTimeMillis());
                return i + 1;
            }
        }
        throw new IllegalStateException("shared pool '" + name + "' has all " + geometry.processCapacity()
                + " process entries in use (" + peers().stream().filter(Peer::alive).count() + " live); detach some"
                + " processes, or create the pool with a larger process capacity");
    }

    void releaseEntryQuietly() {
        if (index > 0) {
            ControlBlock.LONG.compareAndSet(mapping, entry(index - 1) + ControlBlock.PR_WORD,
                    (Processes.self() << 8) | ControlBlock.PROC_LIVE, 0L);
        }
    }

    /** The process table now. */
    List<Peer> peers() {
        var list = new ArrayList<Peer>();
        for (int i = 0; i < geometry.processCapacity(); i++) {
            long off = entry(i);
            long w = (long) ControlBlock.LONG.getVolatile(mapping, off + ControlBlock.PR_WORD);
            if (w == 0) continue;
            long pid = w >>> 8;
            long start = mapping.get(ValueLayout.JAVA_LONG, off + ControlBlock.PR_START_TIME);
            int role = mapping.get(ValueLayout.JAVA_INT, off + ControlBlock.PR_ROLE);
            list.add(new Peer(i + 1, pid, start, role == ControlBlock.ROLE_CREATOR ? "creator" : "attached",
                    (w & 0xFF) == ControlBlock.PROC_RECLAIMING ? "reclaiming" : "live", Processes.alive(pid, start),
                    mapping.get(ValueLayout.JAVA_LONG, off + ControlBlock.PR_ATTACH_MILLIS)));
        }
        return list;
    }

    /**
     * Looks at every other entry once: a dead process's entry is claimed by CAS (LIVE to
     * RECLAIMING; an entry left RECLAIMING by a reclaimer that died too is simply recovered
     * again: recovery is idempotent), recovered, and freed. Returns the dead peers found.
     */
    int sweep(FramePool pool) {
        int found = 0;
        for (int i = 0; i < geometry.processCapacity(); i++) {
            if (i + 1 == index) continue;
            long off = entry(i);
            long w = (long) ControlBlock.LONG.getVolatile(mapping, off + ControlBlock.PR_WORD);
            if (w == 0) continue;
            long pid = w >>> 8;
            long start = mapping.get(ValueLayout.JAVA_LONG, off + ControlBlock.PR_START_TIME);
            if (Processes.alive(pid, start)) continue;
            long reclaiming = (pid << 8) | ControlBlock.PROC_RECLAIMING;
            if ((w & 0xFF) == ControlBlock.PROC_LIVE
                    && !ControlBlock.LONG.compareAndSet(mapping, off + ControlBlock.PR_WORD, w, reclaiming)) {
                continue; // another survivor got there first
            }
            pool.recoverOwner(i + 1);
            if ((w & 0xFF) == ControlBlock.PROC_LIVE) pool.controlBlock().increment(ControlBlock.P_PEER_RECOVERIES);
            ControlBlock.LONG.compareAndSet(mapping, off + ControlBlock.PR_WORD, reclaiming, 0L);
            found++;
        }
        return found;
    }

    private volatile boolean fenced;

    /**
     * A process whose entry a peer recovered (declared dead by mistake: that needs a wrong start
     * time, or a stopped process that outlived the reclaim delay) must not go on as if nothing
     * happened: its later claims would name an entry that is free or reused. Said loudly, once.
     */
    private void checkOwnEntry() {
        long w = (long) ControlBlock.LONG.getVolatile(mapping, entry(index - 1) + ControlBlock.PR_WORD);
        if (!fenced && w != ((Processes.self() << 8) | ControlBlock.PROC_LIVE)) {
            fenced = true;
            System.getLogger("dev.vbuf.shm").log(System.Logger.Level.ERROR, "this process's entry #" + index
                    + " in shared pool '" + name + "' was recovered by a peer that judged it dead (it was stopped for"
                    + " longer than the reclaim delay?); frames it takes from now on are not protected against its"
                    + " crash. Detach and attach again.");
        }
    }

    /** True when a peer recovered this process's entry (see the monitor's log). */
    boolean fenced() { return fenced; }

    void startMonitor(FramePool pool) {
        if (observer) return;
        long period = Math.max(10_000_000L, reclaimAfterNanos / 4);
        Thread t = Thread.ofPlatform().daemon().name("vbuf-monitor-" + name).unstarted(() -> {
            while (!closing) {
                try {
                    checkOwnEntry();
                    sweep(pool);
                } catch (RuntimeException e) {
                    System.getLogger("dev.vbuf.shm").log(System.Logger.Level.WARNING, "monitor of " + name + ": " + e, e);
                }
                java.util.concurrent.locks.LockSupport.parkNanos(period);
            }
        });
        monitor = t;
        t.start();
    }

    /** Detaches: gives back what this process still holds, frees its entry, and (creator) removes the name. */
    void close(FramePool pool) {
        closing = true;
        Thread t = monitor;
        if (t != null) {
            java.util.concurrent.locks.LockSupport.unpark(t);
            try {
                t.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (observer) return;
        if (creator && memoryNote.contains("locked (mlock")) Native.munlock(mapping); // unmapping waits for the GC
        pool.recoverOwner(index);
        // CAS from our own word: if a peer recovered our entry by mistake and another process
        // reused it, a plain store would free it under that process.
        ControlBlock.LONG.compareAndSet(mapping, entry(index - 1) + ControlBlock.PR_WORD,
                (Processes.self() << 8) | ControlBlock.PROC_LIVE, 0L);
        if (creator && !keepFile) {
            // Only our own file: the name may have been removed and reused meanwhile.
            try {
                int fd = Posix.open(path.toString(), Posix.O_RDONLY | Posix.O_NOFOLLOW | Posix.O_CLOEXEC, 0);
                try {
                    if (Posix.fstat(fd).inode() == inode) deleteQuietly(path);
                } finally {
                    Native.close(fd);
                }
            } catch (NativeException e) {
                // already gone
            }
        }
    }

    // =====================================================================================
    // Staleness (for create and 'vbuf shm ls')
    // =====================================================================================

    /**
     * Why the pool file at {@code path} is stale (no live process in its table; or not a
     * valid pool at all), or null when some process still uses it.
     */
    public static String staleReason(Path path) {
        try (Arena a = Arena.ofConfined()) {
            int fd = Posix.open(path.toString(), Posix.O_RDONLY | Posix.O_NOFOLLOW | Posix.O_CLOEXEC, 0);
            MemorySegment m;
            try {
                long size = Posix.fstat(fd).size();
                if (size < ControlBlock.HEADER_BYTES) return "truncated (" + size + " bytes)";
                m = Native.mmap(size, Native.PROT_READ, Native.MAP_SHARED, fd, 0);
            } finally {
                Native.close(fd);
            }
            try {
                ControlBlock.Geometry g;
                try {
                    g = validate(m, path).geometry;
                } catch (RuntimeException e) {
                    return "not a valid pool: " + e.getMessage();
                }
                int live = 0;
                for (int i = 0; i < g.processCapacity(); i++) {
                    long off = g.processOffset() + (long) i * ControlBlock.PROCESS_BYTES;
                    long w = m.get(ValueLayout.JAVA_LONG, off);
                    if (w != 0 && Processes.alive(w >>> 8, m.get(ValueLayout.JAVA_LONG, off + 8))) live++;
                }
                return live == 0 ? "no live process attached" : null;
            } finally {
                Native.munmap(m);
            }
        } catch (NativeException e) {
            return "cannot open: " + e.getMessage();
        }
    }

    // =====================================================================================

    private static MemorySegment mapShared(int fd, long bytes) {
        MemorySegment raw = Native.mmap(bytes, Native.PROT_READ | Native.PROT_WRITE, Native.MAP_SHARED, fd, 0);
        // Unmapped when the pool and every frame of it are unreachable, never under a thread
        // still inside acquire (that would be a crash, not an exception).
        return raw.reinterpret(bytes, Arena.ofAuto(), Native::munmap);
    }

    private static long alignUp(long v, long a) { return (v + a - 1) / a * a; }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // best effort
        }
    }
}
