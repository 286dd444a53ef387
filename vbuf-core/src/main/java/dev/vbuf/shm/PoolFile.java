package dev.vbuf.shm;

import dev.vbuf.memory.NativeException;
import dev.vbuf.memory.NumaAllocator;
import dev.vbuf.memory.NumaNodes;
import dev.vbuf.pool.ControlBlock;
import dev.vbuf.sys.Abi;
import dev.vbuf.sys.FileIo;
import dev.vbuf.sys.Mman;
import dev.vbuf.sys.Numa;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The file of a shared pool and its life cycle: one mapping of {@code /dev/shm/vbuf.NAME}
 * holding the control block (with its process table) followed by the buffers, so that every
 * attached process sees the same bytes at the same offsets and pixel data is never copied
 * between processes.
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
 * then {@link PoolFileValidator} checks the header.
 *
 * <h2>Closing</h2>
 * The creator removes the name when it closes (unless asked to keep it), and only if the name
 * still is its own file (same inode): the name may have been removed and reused meanwhile. The
 * mapping is unmapped when it becomes unreachable, never under a thread still inside acquire.
 */
public final class PoolFile {
    /** Most processes attached to one pool at once, by default. */
    public static final int DEFAULT_PROCESS_CAPACITY = 64;
    /** Most processes a pool's table can hold. */
    public static final int MAX_PROCESS_CAPACITY = 4096;
    /** How soon survivors recover a dead peer's slots, by default. */
    public static final Duration DEFAULT_RECLAIM_AFTER = Duration.ofSeconds(1);
    /** Data offset and buffer stride are multiples of this. */
    static final long PAGE = 4096;

    private final String name;
    private final Path path;
    private final MemorySegment mapping;
    private final ControlBlock.Geometry geometry;
    private final long dataOffset;
    private final long bufferStride;
    private final boolean creator;
    private final long inode;
    private final boolean locked;
    private final String memoryNote;
    private final PoolFileValidator.Validated validated;
    private Path tempPath;

    private PoolFile(String name, Path path, MemorySegment mapping, ControlBlock.Geometry geometry, long dataOffset,
                     long bufferStride, boolean creator, long inode, boolean locked, String memoryNote,
                     PoolFileValidator.Validated validated) {
        this.name = name;
        this.path = path;
        this.mapping = mapping;
        this.geometry = geometry;
        this.dataOffset = dataOffset;
        this.bufferStride = bufferStride;
        this.creator = creator;
        this.inode = inode;
        this.locked = locked;
        this.memoryNote = memoryNote;
        this.validated = validated;
    }

    /** The pool's name. */
    public String name() { return name; }
    /** The file's path. */
    public Path path() { return path; }
    /** True for the process that created (formats) the file. */
    public boolean creator() { return creator; }
    /** Where everything is in the control block (computed, or validated at attach). */
    public ControlBlock.Geometry geometry() { return geometry; }
    /** Offset of the first buffer in the file. */
    public long dataOffset() { return dataOffset; }
    /** Bytes from one buffer to the next. */
    public long bufferStride() { return bufferStride; }
    /** The control block: the start of the mapping. */
    public MemorySegment controlBlock() { return mapping.asSlice(0, geometry.totalBytes()); }
    /** Buffer {@code s}, {@code bytes} long. */
    public MemorySegment buffer(int s, long bytes) { return mapping.asSlice(dataOffset + (long) s * bufferStride, bytes); }
    /** The file's length. */
    public long fileBytes() { return mapping.byteSize(); }
    /** NUMA placement and locking of a created file ("" when neither was asked). */
    public String memoryNote() { return memoryNote; }
    /** What an attach found in the header (null for the creator). */
    public PoolFileValidator.Validated validated() { return validated; }
    /** The file's process table. */
    public ProcessTable processTable() {
        return new ProcessTable(mapping, geometry.processOffset(), geometry.processCapacity());
    }

    // =====================================================================================
    // Creating
    // =====================================================================================

    /**
     * Sizes, creates and maps the (unpublished) file of a new pool of {@code count} buffers of
     * {@code bufferBytes}: the caller formats it, then {@link #publish()}es it.
     */
    public static PoolFile create(String name, int count, int groupCount, long bufferBytes, long alignment, int mode,
                                  int processCapacity, int numaNode, boolean locked) {
        if (numaNode >= 0) NumaNodes.check(numaNode);
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
        for (String removed : ShmNames.removeStaleTemps(name)) { // left by creators killed before they published
            System.getLogger("dev.vbuf.shm").log(System.Logger.Level.WARNING, "removed " + removed);
        }
        Path temp = ShmNames.tempPath(name, Processes.self(), System.nanoTime());
        int fd = FileIo.open(temp.toString(), Abi.O_RDWR | Abi.O_CREAT | Abi.O_EXCL | Abi.O_NOFOLLOW | Abi.O_CLOEXEC, 0600);
        MemorySegment map;
        long inode;
        String memoryNote;
        try {
            FileIo.fchmod(fd, mode); // exactly the mode asked for, whatever the umask
            FileIo.ftruncate(fd, fileBytes);
            inode = FileIo.fstat(fd).inode();
            map = mapShared(fd, fileBytes);
            memoryNote = placeAndLock(map, dataOffset, stride * count, numaNode, locked);
        } catch (RuntimeException e) {
            deleteQuietly(temp);
            throw e;
        } finally {
            FileIo.close(fd);
        }
        PoolFile f = new PoolFile(name, path, map, g, dataOffset, stride, true, inode, locked, memoryNote, null);
        f.tempPath = temp;
        return f;
    }

    /**
     * Binds the buffers' pages to a NUMA node (mbind on the shared mapping sets the policy of the
     * tmpfs object itself, so every process's faults follow it), faults them in, reads the
     * placement back (move_pages), and locks the whole file (mlock: the pages stay resident while
     * the creator lives). Returns what was obtained, for the pool's backing text.
     */
    private static String placeAndLock(MemorySegment map, long dataOffset, long dataBytes, int node, boolean locked) {
        if (node < 0 && !locked) return "";
        MemorySegment data = map.asSlice(dataOffset, dataBytes);
        var note = new StringBuilder();
        if (node >= 0) Numa.mbind(data, node, Abi.MPOL_MF_STRICT | Abi.MPOL_MF_MOVE);
        for (long off = 0; off < dataBytes; off += PAGE) data.set(ValueLayout.JAVA_BYTE, off, (byte) 0); // fault in
        if (node >= 0) {
            long[] perNode = NumaAllocator.placementOf(data);
            note.append(", bound to NUMA node ").append(node).append(" (mbind): pages per node (move_pages):");
            for (int k = 0; k < perNode.length; k++) {
                if (perNode[k] == 0) continue;
                note.append(k == perNode.length - 1 ? " on no node " : " node " + k + " ").append(perNode[k]);
            }
        }
        if (locked) {
            Mman.mlock(map);
            note.append(", locked (mlock, ").append(map.byteSize()).append(" bytes)");
        }
        return note.toString();
    }

    /**
     * Makes the formatted pool visible under its name (link(2): fails if the name exists). A
     * name whose file is stale (no live process) is removed and the link tried once more.
     */
    public void publish() {
        if (PAUSE_BEFORE_PUBLISH) pauseBeforePublish();
        for (int attempt = 0; ; attempt++) {
            try {
                Files.createLink(path, tempPath);
                deleteQuietly(tempPath);
                tempPath = null;
                return;
            } catch (FileAlreadyExistsException e) {
                if (Files.isDirectory(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    deleteQuietly(tempPath);
                    throw new IllegalStateException(path + " is a directory, not a shared pool file; remove or rename it"
                            + " (rmdir), or give the pool another name");
                }
                String stale = staleReason(path);
                if (stale == null || attempt > 0) {
                    deleteQuietly(tempPath);
                    throw new IllegalStateException("shared pool '" + name + "' already exists (" + path + ") and is in use"
                            + "; pick another name, stop its users, or remove it with 'vbuf shm rm " + name + "'");
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

    /**
     * Test hook for the crash tests of create: with {@code -Dvbuf.test.pauseBeforePublish=true}
     * a creator that has formatted its pool in the temporary file prints
     * {@code CRASH-POINT publish TEMPFILE} on standard error and stops there for ever, so that a
     * test can SIGKILL it between the writes of the file and its publication.
     */
    private static final boolean PAUSE_BEFORE_PUBLISH = Boolean.getBoolean("vbuf.test.pauseBeforePublish");

    private void pauseBeforePublish() {
        System.err.println("CRASH-POINT publish " + tempPath);
        System.err.flush();
        for (;;) java.util.concurrent.locks.LockSupport.park();
    }

    /** Removes an unpublished file (creation failed after {@link #create}). */
    public void abandon() {
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

    /**
     * Opens, checks and maps the pool file {@code name} and validates its header. Refuses a
     * link, a file of another user, one others (or, unless {@code allowGroupWritable}, its
     * group) may write, and anything {@link PoolFileValidator} rejects.
     */
    private static final int EISDIR = 21;

    public static PoolFile attach(String name, boolean allowGroupWritable) {
        Path path = ShmNames.path(name);
        int fd;
        try {
            fd = FileIo.open(path.toString(), Abi.O_RDWR | Abi.O_NOFOLLOW | Abi.O_CLOEXEC, 0);
        } catch (NativeException e) {
            if (e.errno() == Abi.ENOENT) {
                throw new IllegalStateException("no shared pool '" + name + "' (" + path + " does not exist); start its"
                        + " producer first (e.g. 'vbuf run --shared " + name + "'), or list pools with 'vbuf shm ls'");
            }
            if (e.errno() == Abi.ELOOP) {
                throw new SecurityException(path + " is a symbolic link; vbuf never follows links to a shared pool."
                        + " Remove it ('vbuf shm rm " + name + "')");
            }
            if (e.errno() == EISDIR) {
                throw new IllegalStateException(path + " is a directory, not a shared pool file; remove or rename it"
                        + " (rmdir), or give the pool another name");
            }
            throw new IllegalStateException("cannot open shared pool '" + name + "': " + e.getMessage() + "; check that "
                    + path + " is a vbuf pool file ('vbuf shm ls') and that you own it", e);
        }
        MemorySegment map;
        FileIo.Stat st;
        try {
            st = FileIo.fstat(fd);
            if (!st.isRegularFile()) {
                throw new SecurityException(path + " is not a regular file (mode 0" + Integer.toOctalString(st.mode())
                        + "); refusing to attach. Remove it ('vbuf shm rm " + name + "')");
            }
            int uid = FileIo.getuid();
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
                throw new PoolFileValidator.BufferValidation(path, "is " + st.size() + " bytes long, shorter than the "
                        + ControlBlock.HEADER_BYTES + "-byte header: truncated, or not a vbuf pool");
            }
            map = mapShared(fd, st.size());
        } finally {
            FileIo.close(fd);
        }
        PoolFileValidator.Validated v = PoolFileValidator.validate(map, path);
        return new PoolFile(name, path, map, v.geometry(), v.dataOffset(), v.stride(), false, st.inode(), false, "", v);
    }

    // =====================================================================================
    // Closing
    // =====================================================================================

    /** Unlocks a locked file and (creator, unless {@code keepFile}) removes its name if it is still this file. */
    public void close(boolean keepFile) {
        if (creator && locked) Mman.munlock(mapping); // unmapping waits for the GC
        if (creator && !keepFile) {
            try {
                int fd = FileIo.open(path.toString(), Abi.O_RDONLY | Abi.O_NOFOLLOW | Abi.O_CLOEXEC, 0);
                try {
                    if (FileIo.fstat(fd).inode() == inode) deleteQuietly(path);
                } finally {
                    FileIo.close(fd);
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
            int fd = FileIo.open(path.toString(), Abi.O_RDONLY | Abi.O_NOFOLLOW | Abi.O_CLOEXEC, 0);
            MemorySegment m;
            try {
                long size = FileIo.fstat(fd).size();
                if (size < ControlBlock.HEADER_BYTES) return "truncated (" + size + " bytes)";
                m = Mman.mmap(size, Abi.PROT_READ, Abi.MAP_SHARED, fd, 0);
            } finally {
                FileIo.close(fd);
            }
            try {
                ControlBlock.Geometry g;
                try {
                    g = PoolFileValidator.validate(m, path).geometry();
                } catch (RuntimeException e) {
                    return "not a valid pool: " + e.getMessage();
                }
                int live = new ProcessTable(m, g.processOffset(), g.processCapacity()).liveCount();
                return live == 0 ? "no live process attached" : null;
            } finally {
                Mman.munmap(m);
            }
        } catch (NativeException e) {
            return "cannot open: " + e.getMessage();
        }
    }

    // =====================================================================================
    // A pool that vanished under a process
    // =====================================================================================

    /**
     * The error for a process whose mapping of pool {@code name} faulted (the JVM turns the
     * SIGBUS of an access past the end of a truncated file into an {@link InternalError}):
     * says what happened to which file, as far as it can still be seen, and what to do.
     */
    public static IllegalStateException vanished(String name, Throwable fault) {
        Path path = ShmNames.path(name);
        String now;
        try {
            int fd = FileIo.open(path.toString(), Abi.O_RDONLY | Abi.O_NOFOLLOW | Abi.O_CLOEXEC, 0);
            try {
                now = "it is now " + FileIo.fstat(fd).size() + " bytes long";
            } finally {
                FileIo.close(fd);
            }
        } catch (NativeException e) {
            now = e.errno() == Abi.ENOENT ? "it has been removed too" : "it cannot be opened any more (" + e.getMessage() + ")";
        }
        var ex = new IllegalStateException("shared pool '" + name + "' vanished under this process: its file " + path
                + " was truncated (" + now + "), so its frames can no longer be read; frames in flight are lost."
                + " Stop its producer and start it again; a pool created with --memory memfd is sealed and cannot be"
                + " truncated");
        ex.initCause(fault);
        return ex;
    }

    // =====================================================================================

    private static MemorySegment mapShared(int fd, long bytes) {
        MemorySegment raw = Mman.mmap(bytes, Abi.PROT_READ | Abi.PROT_WRITE, Abi.MAP_SHARED, fd, 0);
        // Unmapped when the pool and every frame of it are unreachable, never under a thread
        // still inside acquire (that would be a crash, not an exception).
        return raw.reinterpret(bytes, Arena.ofAuto(), Mman::munmap);
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
