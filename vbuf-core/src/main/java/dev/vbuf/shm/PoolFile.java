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
    // ---- descriptor-passing pools (kind != 0): the memfd, the buffers' DMA-BUFs, the creator's socket ----
    private int kind;
    private int controlFd = -1;
    private int[] bufferFds;
    private MemorySegment[] bufferMaps;
    private dev.vbuf.memory.Allocation dmaAllocation;
    private FdServer server;
    private int listenFd = -1;
    private long bufferFdBytes;
    private int seals;
    private int socketMode;

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
    public MemorySegment buffer(int s, long bytes) {
        if (bufferMaps != null) return bufferMaps[s].asSlice(0, bytes);
        return mapping.asSlice(dataOffset + (long) s * bufferStride, bytes);
    }

    /**
     * How the pool's memory is passed: 0 for a /dev/shm file, else the {@link FdProtocol} kind
     * of a pool whose descriptors are passed over its socket.
     */
    public int fdKind() { return kind; }

    /**
     * The buffers of a pool whose buffers are DMA-BUFs of their own (DMA-BUF heap, udmabuf) as an
     * allocation: their mappings, their descriptors (to pass on to a device) and CPU access
     * bracketed with DMA_BUF_IOCTL_SYNC in this process as in the creator; null for every other
     * pool (its buffers are in the one mapping). Closing it closes this process's descriptors.
     */
    public dev.vbuf.memory.Allocation bufferAllocation() {
        if (bufferFds == null) return null;
        int[] fds = bufferFds;
        MemorySegment[] maps = bufferMaps;
        dev.vbuf.memory.Allocation creatorAllocation = dmaAllocation;
        String text = backing();
        return new dev.vbuf.memory.Allocation() {
            @Override public int count() { return fds.length; }
            @Override public MemorySegment buffer(int i) { return maps[i]; }
            @Override public int fd(int i) { return fds[i]; }
            @Override public void syncCpu(int i, int access, boolean begin) { dev.vbuf.sys.DmaBufIo.sync(fds[i], access, begin); }
            @Override public String backing() { return text; }
            @Override public void close() {
                if (creatorAllocation != null) {
                    creatorAllocation.close();
                } else {
                    for (int fd : fds) FdServer.closeQuietly(fd);
                }
            }
        };
    }

    /** What the pool's memory is and how this process got it, for the pool's backing text. */
    public String backing() {
        if (kind == 0) return "shared file " + path + " (" + fileBytes() + " bytes)" + memoryNote;
        String how = creator ? "served by fd over its socket " + path : "received by fd (SCM_RIGHTS) over " + path;
        String sealText = sealText(seals);
        if (FdProtocol.perBufferFds(kind)) {
            return bufferFds.length + " " + FdProtocol.kindName(kind) + " DMA-BUFs of " + bufferFdBytes + " bytes and a control"
                    + " block in a memfd sealed " + sealText + " (" + fileBytes() + " bytes, buffer region never touched), " + how;
        }
        return FdProtocol.kindName(kind) + " sealed " + sealText + " (" + fileBytes() + " bytes), " + how + memoryNote;
    }

    static String sealText(int seals) {
        var b = new StringBuilder();
        if ((seals & Abi.F_SEAL_SHRINK) != 0) b.append("shrink ");
        if ((seals & Abi.F_SEAL_GROW) != 0) b.append("grow ");
        if ((seals & Abi.F_SEAL_WRITE) != 0) b.append("write ");
        if ((seals & Abi.F_SEAL_SEAL) != 0) b.append("seal ");
        return b.isEmpty() ? "(none)" : "against " + b.toString().trim().replace(" ", ", ");
    }

    /** What this pool's memory is and how this process got it ({@code vbuf inspect}, {@code vbuf consume}). */
    public SharedMemoryInfo memoryInfo() {
        return new SharedMemoryInfo(kind == 0 ? "file" : FdProtocol.kindName(kind), kind != 0, seals, creator, path, dataOffset,
                bufferStride, bufferFds == null ? null : bufferFds.clone());
    }

    /** The seals of a descriptor-passing pool's memfd (F_GET_SEALS), 0 for a file. */
    public int seals() { return seals; }
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

    private static volatile Boolean sealedMemfd;

    /**
     * True when this kernel creates memfds that can be sealed against shrinking and growing
     * (probed once: memfd_create with MFD_ALLOW_SEALING, then F_ADD_SEALS). Decides the default
     * memory of a shared pool.
     */
    public static boolean sealedMemfdAvailable() {
        Boolean b = sealedMemfd;
        if (b == null) {
            boolean ok;
            try {
                int fd = Mman.memfdCreate(ShmNames.PREFIX + "probe", Abi.MFD_CLOEXEC | Abi.MFD_ALLOW_SEALING);
                try {
                    FileIo.fcntl(fd, Abi.F_ADD_SEALS, Abi.F_SEAL_SHRINK | Abi.F_SEAL_GROW, "F_ADD_SEALS");
                    ok = true;
                } finally {
                    FileIo.close(fd);
                }
            } catch (RuntimeException e) {
                ok = false; // ENOSYS (older kernel, seccomp), EINVAL: fall back to /dev/shm files
            }
            sealedMemfd = b = ok;
        }
        return b;
    }

    /**
     * Where a new pool's parts go in its file: the control block's geometry, the first buffer's
     * offset, the distance between buffers and the file's size; checks the permission bits too.
     */
    private record Sizing(ControlBlock.Geometry geometry, long dataOffset, long stride, long fileBytes) {
        static Sizing of(int count, int groupCount, long bufferBytes, long alignment, int mode, int processCapacity) {
            if ((mode & ~0777) != 0 || (mode & 0600) != 0600) {
                throw new IllegalArgumentException("shared pool mode 0" + Integer.toOctalString(mode)
                        + " is not valid: give permission bits 0600..0666 (the owner needs read and write)");
            }
            ControlBlock.Geometry g = ControlBlock.Geometry.of(count, groupCount, processCapacity);
            long align = Math.max(PAGE, alignment);
            long dataOffset = alignUp(g.totalBytes(), align);
            long stride = alignUp(bufferBytes, align);
            try {
                return new Sizing(g, dataOffset, stride, Math.addExact(dataOffset, Math.multiplyExact(stride, count)));
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException(count + " buffers of " + bufferBytes + " bytes overflow a file size");
            }
        }
    }

    /**
     * Sizes, creates and maps the (unpublished) file of a new pool of {@code count} buffers of
     * {@code bufferBytes}: the caller formats it, then {@link #publish()}es it.
     */
    public static PoolFile create(String name, int count, int groupCount, long bufferBytes, long alignment, int mode,
                                  int processCapacity, int numaNode, boolean locked) {
        if (numaNode >= 0) NumaNodes.check(numaNode);
        Path path = ShmNames.path(name);
        Sizing z = Sizing.of(count, groupCount, bufferBytes, alignment, mode, processCapacity);
        ControlBlock.Geometry g = z.geometry();
        long dataOffset = z.dataOffset();
        long stride = z.stride();
        long fileBytes = z.fileBytes();
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
     * Creates the memory of a descriptor-passing pool and its (unpublished) socket: a memfd
     * ({@code MFD_ALLOW_SEALING}, with {@code MFD_HUGETLB} for {@link FdProtocol#KIND_MEMFD_HUGETLB})
     * sized like a pool file and sealed against shrinking and growing (and against new seals),
     * so no process can truncate the pool under its readers; for the DMA-BUF kinds the buffers
     * are DMA-BUFs of their own (from a DMA-BUF heap, or memfd pages through /dev/udmabuf) and
     * the memfd holds the control block (its buffer region is a hole no one touches). The socket
     * is bound at a temporary name with the pool's mode before it listens; {@link #publish()}
     * links it to the pool's name and starts answering.
     */
    public static PoolFile createFd(String name, int kind, int count, int groupCount, long bufferBytes, long alignment,
                                    int mode, int processCapacity, int numaNode, boolean locked) {
        return createFd(name, kind, count, groupCount, bufferBytes, alignment, mode, processCapacity, numaNode, locked, null);
    }

    /**
     * As {@link #createFd(String, int, int, int, long, long, int, int, int, boolean)}; for
     * {@link FdProtocol#KIND_DEVICE_DMABUF} the buffers are {@code external}: DMA-BUFs a device
     * exported (V4L2 VIDIOC_EXPBUF), one per buffer, mapped, each at least {@code bufferBytes}
     * long. The pool owns them from then on: closing (or a failed create) closes the allocation.
     */
    public static PoolFile createFd(String name, int kind, int count, int groupCount, long bufferBytes, long alignment,
                                    int mode, int processCapacity, int numaNode, boolean locked,
                                    dev.vbuf.memory.Allocation external) {
        try {
            return createFdOwning(name, kind, count, groupCount, bufferBytes, alignment, mode, processCapacity, numaNode, locked, external);
        } catch (RuntimeException | Error e) {
            if (external != null) external.close(); // a failed create closes the device's buffers it was given
            throw e;
        }
    }

    private static PoolFile createFdOwning(String name, int kind, int count, int groupCount, long bufferBytes, long alignment,
                                           int mode, int processCapacity, int numaNode, boolean locked,
                                           dev.vbuf.memory.Allocation external) {
        if (kind < FdProtocol.KIND_MEMFD || kind > FdProtocol.MAX_KIND) throw new IllegalArgumentException("memory kind " + kind);
        if ((kind == FdProtocol.KIND_DEVICE_DMABUF) != (external != null)) {
            throw new IllegalArgumentException(kind == FdProtocol.KIND_DEVICE_DMABUF
                    ? "a pool of device-exported DMA-BUFs needs the device's buffers (PoolBuilder.sharedBuffers)"
                    : "buffers of a device are shared with SharedMemory.DEVICE_DMABUF, not " + FdProtocol.kindName(kind));
        }
        if (external != null && external.count() != count) {
            throw new IllegalArgumentException(external.count() + " device buffers for a pool of " + count + " buffers; give one per buffer");
        }
        if (numaNode >= 0) NumaNodes.check(numaNode);
        boolean perBuffer = FdProtocol.perBufferFds(kind);
        if (perBuffer && (numaNode >= 0 || locked)) {
            throw new IllegalArgumentException("a " + FdProtocol.kindName(kind) + " pool's buffers come from the kernel's"
                    + " DMA-BUF exporter; NUMA binding and locking apply to memfd pools only. Drop numa:N/locked or use memfd");
        }
        Path path = ShmNames.path(name);
        Sizing z = Sizing.of(count, groupCount, bufferBytes, alignment, mode, processCapacity);
        ControlBlock.Geometry g = z.geometry();
        long dataOffset = z.dataOffset();
        long stride = z.stride();
        long fileBytes = z.fileBytes();
        boolean huge = kind == FdProtocol.KIND_MEMFD_HUGETLB;
        if (huge) fileBytes = alignUp(fileBytes, FdProtocol.HUGE_PAGE_BYTES);
        for (String removed : ShmNames.removeStaleTemps(name)) {
            System.getLogger("dev.vbuf.shm").log(System.Logger.Level.WARNING, "removed " + removed);
        }
        int fd = Mman.memfdCreate(ShmNames.PREFIX + name, Abi.MFD_CLOEXEC | Abi.MFD_ALLOW_SEALING | (huge ? Abi.MFD_HUGETLB : 0));
        int listen = -1;
        Path temp = null;
        dev.vbuf.memory.Allocation dma = null;
        try {
            FileIo.ftruncate(fd, fileBytes);
            FileIo.fcntl(fd, Abi.F_ADD_SEALS, Abi.F_SEAL_SHRINK | Abi.F_SEAL_GROW | Abi.F_SEAL_SEAL, "F_ADD_SEALS");
            int seals = FileIo.fcntl(fd, Abi.F_GET_SEALS, 0, "F_GET_SEALS");
            MemorySegment map;
            try {
                map = mapShared(fd, fileBytes);
            } catch (NativeException e) {
                if (huge && (e.errno() == Abi.ENOMEM || e.errno() == Abi.EINVAL)) {
                    throw new IllegalStateException("a shared pool in explicit huge pages needs " + fileBytes / FdProtocol.HUGE_PAGE_BYTES + " free "
                            + (FdProtocol.HUGE_PAGE_BYTES >> 20) + " MiB huge pages and the system could not reserve them (" + e.getMessage()
                            + "); reserve them first (echo " + fileBytes / FdProtocol.HUGE_PAGE_BYTES + " > /proc/sys/vm/nr_hugepages, as root; see"
                            + " 'vbuf info'), or use --memory memfd", e);
                }
                throw e;
            }
            String memoryNote = perBuffer ? "" : placeAndLock(map, dataOffset, stride * count, numaNode, locked,
                    huge ? FdProtocol.HUGE_PAGE_BYTES : PAGE);
            if (huge) memoryNote = ", in " + fileBytes / FdProtocol.HUGE_PAGE_BYTES + " explicit " + (FdProtocol.HUGE_PAGE_BYTES >> 20) + " MiB huge pages (MFD_HUGETLB)" + memoryNote;
            int[] bufFds = null;
            MemorySegment[] bufMaps = null;
            long eachBytes = 0;
            if (perBuffer) {
                if (external != null) {
                    dma = external;
                } else {
                var allocator = kind == FdProtocol.KIND_DMA_HEAP
                        ? new dev.vbuf.memory.DmaHeapAllocator(dev.vbuf.memory.DmaBuf.HEAP_DIR, dev.vbuf.memory.DmaHeapAllocator.DEFAULT_HEAPS,
                                dev.vbuf.memory.DmaHeapAllocator.Fallback.NONE)
                        : new dev.vbuf.memory.DmaHeapAllocator(dev.vbuf.memory.DmaBuf.HEAP_DIR, java.util.List.of(),
                                dev.vbuf.memory.DmaHeapAllocator.Fallback.UDMABUF);
                dma = allocator.allocate(count, stride, PAGE);
                }
                bufFds = new int[count];
                bufMaps = new MemorySegment[count];
                for (int i = 0; i < count; i++) {
                    bufFds[i] = dma.fd(i);
                    bufMaps[i] = dma.buffer(i);
                    if (bufFds[i] < 0) throw new IllegalStateException(dma.backing() + " gave buffer " + i + " no descriptor");
                }
                eachBytes = FileIo.lseek(bufFds[0], 0, Abi.SEEK_END);
                for (int i = 0; i < count; i++) eachBytes = Math.min(eachBytes, FileIo.lseek(bufFds[i], 0, Abi.SEEK_END));
                eachBytes = eachBytes / PAGE * PAGE;
                if (eachBytes < bufferBytes) {
                    throw new IllegalStateException(dma.backing() + " gave DMA-BUFs of " + eachBytes + " bytes for buffers of " + bufferBytes);
                }
            }
            // the socket: bound at the temporary name, given the pool's mode, only then listening
            temp = ShmNames.tempPath(name, Processes.self(), System.nanoTime());
            listen = dev.vbuf.sys.Sockets.socket(Abi.SOCK_SEQPACKET);
            dev.vbuf.sys.Sockets.bind(listen, temp.toString());
            setMode(temp, mode);
            dev.vbuf.sys.Sockets.listen(listen, 16);
            long inode = inodeOf(temp);
            PoolFile f = new PoolFile(name, path, map, g, dataOffset, stride, true, inode, locked, memoryNote, null);
            f.tempPath = temp;
            f.kind = kind;
            f.controlFd = fd;
            f.listenFd = listen;
            f.bufferFds = bufFds;
            f.bufferMaps = bufMaps;
            f.dmaAllocation = dma;
            f.bufferFdBytes = eachBytes;
            f.seals = seals;
            f.socketMode = mode;
            // Serve from now on, and attach once to the unpublished socket: the whole protocol is
            // checked (and its code made ready, which a slow machine needs) before anyone sees it.
            f.startServer(temp);
            try {
                for (int got : FdClient.receive(name, temp).fds()) FdServer.closeQuietly(got);
            } catch (RuntimeException e) {
                f.server.stop(); // closed the listening socket
                listen = -1;
                throw e;
            }
            return f;
        } catch (RuntimeException | IOException e) {
            if (dma != null && dma != external) dma.close(); // the caller closes the external buffers
            if (listen >= 0) FdServer.closeQuietly(listen);
            if (temp != null) deleteQuietly(temp);
            FdServer.closeQuietly(fd);
            if (e instanceof RuntimeException re) throw re;
            throw new IllegalStateException("cannot create the socket of shared pool '" + name + "': " + e, e);
        }
    }

    private static long inodeOf(Path p) throws IOException {
        return ((Number) Files.getAttribute(p, "unix:ino", java.nio.file.LinkOption.NOFOLLOW_LINKS)).longValue();
    }

    private static boolean isSocket(Path p) {
        try {
            int mode = ((Number) Files.getAttribute(p, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS)).intValue();
            return FdServer.isSocketMode(mode);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private void startServer(Path socket) {
        int[] all;
        if (bufferFds == null) {
            all = new int[] {controlFd};
        } else {
            all = new int[1 + bufferFds.length];
            all[0] = controlFd;
            System.arraycopy(bufferFds, 0, all, 1, bufferFds.length);
        }
        int gid = -1;
        if ((socketMode & 060) == 060) {
            try {
                gid = ((Number) Files.getAttribute(socket, "unix:gid", java.nio.file.LinkOption.NOFOLLOW_LINKS)).intValue();
            } catch (IOException e) {
                gid = -1; // then only the owner is served
            }
        }
        server = new FdServer(name, listenFd, kind, all, fileBytes(), bufferFdBytes, FileIo.getuid(), gid);
        server.start();
    }

    /** The creator's socket server (null for a file pool or an attacher): for tests. */
    FdServer server() { return server; }

    private static void setMode(Path p, int mode) throws IOException {
        var perms = java.util.EnumSet.noneOf(java.nio.file.attribute.PosixFilePermission.class);
        var all = java.nio.file.attribute.PosixFilePermission.values(); // OWNER_READ .. OTHERS_EXECUTE, bit 8 .. bit 0
        for (int i = 0; i < 9; i++) if ((mode & (1 << (8 - i))) != 0) perms.add(all[i]);
        Files.setPosixFilePermissions(p, perms);
    }

    /**
     * Binds the buffers' pages to a NUMA node (mbind on the shared mapping sets the policy of the
     * tmpfs object itself, so every process's faults follow it), faults them in, reads the
     * placement back (move_pages), and locks the whole file (mlock: the pages stay resident while
     * the creator lives). Returns what was obtained, for the pool's backing text.
     */
    private static String placeAndLock(MemorySegment map, long dataOffset, long dataBytes, int node, boolean locked) {
        return placeAndLock(map, dataOffset, dataBytes, node, locked, PAGE);
    }

    /**
     * As above; mbind covers whole pages of {@code pageBytes} (a huge-page mapping takes only
     * ranges aligned to its page size: the range bound starts at the huge page holding the first
     * buffer and runs to the end of the mapping, which is a whole number of huge pages).
     */
    private static String placeAndLock(MemorySegment map, long dataOffset, long dataBytes, int node, boolean locked, long pageBytes) {
        if (node < 0 && !locked) return "";
        MemorySegment data = map.asSlice(dataOffset, dataBytes);
        var note = new StringBuilder();
        if (node >= 0) {
            long from = dataOffset / pageBytes * pageBytes;
            MemorySegment bound = pageBytes == PAGE ? data : map.asSlice(from, map.byteSize() - from);
            Numa.mbind(bound, node, Abi.MPOL_MF_STRICT | Abi.MPOL_MF_MOVE);
        }
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
        if (kind != 0 && creator) {
            if (server != null) {
                server.stop(); // closes the listening socket
                server = null;
                listenFd = -1;
            }
            if (listenFd >= 0) FdServer.closeQuietly(listenFd);
            if (controlFd >= 0) FdServer.closeQuietly(controlFd);
            if (dmaAllocation != null) dmaAllocation.close();
            listenFd = controlFd = -1;
        }
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
        if (isSocket(path)) return attachFd(name, path, allowGroupWritable);
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

    /**
     * Attaches to a descriptor-passing pool: the socket at the pool's name must belong to this
     * user and not be writable by others (nor by its group unless allowed); the descriptors come
     * from {@link FdClient} (the server's credentials and every message checked); descriptor 0
     * must be a memfd of exactly the announced size sealed against shrinking and growing; the
     * header is validated as a file's; DMA-BUF buffers must be as many as the slots and at least
     * as large as a buffer.
     */
    private static PoolFile attachFd(String name, Path path, boolean allowGroupWritable) {
        try {
            var attrs = Files.readAttributes(path, "unix:uid,mode", java.nio.file.LinkOption.NOFOLLOW_LINKS);
            int uid = FileIo.getuid(), owner = ((Number) attrs.get("uid")).intValue(), mode = ((Number) attrs.get("mode")).intValue();
            if (owner != uid) {
                throw new SecurityException(path + " belongs to uid " + owner + ", not to this user (uid " + uid
                        + "); a pool is attached only by its owner's processes. Run as uid " + owner + " or create the pool under another name");
            }
            int forbidden = allowGroupWritable ? 0002 : 0022;
            if ((mode & forbidden) != 0) {
                throw new SecurityException(path + " has mode 0" + Integer.toOctalString(mode & 07777) + ", open to "
                        + ((mode & 0002) != 0 ? "everyone" : "its group") + "; accepted: no write bit for "
                        + (allowGroupWritable ? "others" : "group or others") + " (0600 is the default). Remove it ('vbuf shm rm " + name + "')");
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + path + ": " + e + "; check it with 'vbuf shm ls'", e);
        }
        FdClient.Received got = FdClient.receive(name, path);
        int[] fds = got.fds();
        FdProtocol.Reply r = got.reply();
        boolean ok = false;
        try {
            int fd0 = fds[0];
            FileIo.Stat st = FileIo.fstat(fd0);
            if (!st.isRegularFile() || st.size() != r.fd0Bytes()) {
                throw refused(name, path, "a descriptor 0 of " + st.size() + " bytes (mode 0" + Integer.toOctalString(st.mode())
                        + ") where the reply announced a regular memfd of " + r.fd0Bytes());
            }
            int seals;
            try {
                seals = FileIo.fcntl(fd0, Abi.F_GET_SEALS, 0, "F_GET_SEALS");
            } catch (NativeException e) {
                throw refused(name, path, "a descriptor 0 that cannot be sealed (" + e.getMessage() + "): not a memfd");
            }
            int needed = Abi.F_SEAL_SHRINK | Abi.F_SEAL_GROW;
            if ((seals & needed) != needed) {
                throw refused(name, path, "a memfd sealed " + sealText(seals) + ", not against shrinking and growing: any process"
                        + " could truncate it under this one");
            }
            MemorySegment map = mapShared(fd0, r.fd0Bytes());
            PoolFileValidator.Validated v = PoolFileValidator.validate(map, path);
            PoolFile f = new PoolFile(name, path, map, v.geometry(), v.dataOffset(), v.stride(), false, 0, false, "", v);
            f.kind = r.kind();
            f.seals = seals;
            FdServer.closeQuietly(fd0); // the mapping keeps the memory
            fds[0] = -1;
            if (FdProtocol.perBufferFds(r.kind())) {
                int n = fds.length - 1, slots = v.geometry().slotCount();
                if (n != slots) throw refused(name, path, n + " buffer descriptors for a pool of " + slots + " buffers");
                if (r.bufferFdBytes() < v.bufferBytes()) {
                    throw refused(name, path, "buffer descriptors of " + r.bufferFdBytes() + " bytes for buffers of " + v.bufferBytes());
                }
                int[] bufFds = java.util.Arrays.copyOfRange(fds, 1, fds.length);
                var maps = new MemorySegment[n];
                for (int i = 0; i < n; i++) {
                    long size;
                    try {
                        size = FileIo.lseek(bufFds[i], 0, Abi.SEEK_END);
                    } catch (NativeException e) {
                        throw refused(name, path, "buffer descriptor " + i + " whose size cannot be read (" + e.getMessage() + ")");
                    }
                    if (size < r.bufferFdBytes()) {
                        throw refused(name, path, "buffer descriptor " + i + " of " + size + " bytes, announced " + r.bufferFdBytes());
                    }
                    maps[i] = mapShared(bufFds[i], r.bufferFdBytes());
                }
                f.bufferFds = bufFds;
                f.bufferMaps = maps;
                f.bufferFdBytes = r.bufferFdBytes();
            }
            ok = true;
            return f;
        } finally {
            if (!ok) for (int fd : fds) if (fd >= 0) FdServer.closeQuietly(fd);
        }
    }

    /**
     * True when {@code path} is the socket of a pool whose memory is passed by descriptor (a
     * sealed memfd, or DMA-BUFs), false for a /dev/shm pool file or anything else.
     */
    public static boolean isFdPool(Path path) { return isSocket(path); }

    /**
     * For observers that read a descriptor-passing pool without joining it ({@code vbuf top},
     * {@link dev.vbuf.pool.PoolReader}): asks the pool's creator for its descriptors (the same
     * checks as an attach: the server's credentials, every message, descriptor 0 a memfd of the
     * announced size sealed against shrinking and growing), maps descriptor 0 read-only and
     * closes every descriptor received. The mapping cannot be truncated under the reader.
     */
    public static MemorySegment mapControlReadOnly(Path path) {
        String name = path.getFileName().toString();
        if (name.startsWith(ShmNames.PREFIX)) name = name.substring(ShmNames.PREFIX.length());
        FdClient.Received got = FdClient.receive(name, path);
        int[] fds = got.fds();
        try {
            long bytes = got.reply().fd0Bytes();
            FileIo.Stat st = FileIo.fstat(fds[0]);
            if (!st.isRegularFile() || st.size() != bytes) {
                throw refused(name, path, "a descriptor 0 of " + st.size() + " bytes where the reply announced a memfd of " + bytes);
            }
            int seals;
            try {
                seals = FileIo.fcntl(fds[0], Abi.F_GET_SEALS, 0, "F_GET_SEALS");
            } catch (NativeException e) {
                throw refused(name, path, "a descriptor 0 that cannot be sealed (" + e.getMessage() + "): not a memfd");
            }
            int needed = Abi.F_SEAL_SHRINK | Abi.F_SEAL_GROW;
            if ((seals & needed) != needed) throw refused(name, path, "a memfd sealed " + sealText(seals) + ", not against shrinking and growing");
            MemorySegment raw = Mman.mmap(bytes, Abi.PROT_READ, Abi.MAP_SHARED, fds[0], 0);
            return raw.reinterpret(bytes, Arena.ofAuto(), Mman::munmap);
        } finally {
            for (int fd : fds) FdServer.closeQuietly(fd); // the mapping keeps the memory
        }
    }

    private static IllegalStateException refused(String name, Path path, String what) {
        return new IllegalStateException("shared pool '" + name + "' (" + path + "): its creator passed " + what
                + "; refused, and every descriptor received was closed. Remove it ('vbuf shm rm " + name + "') and start the"
                + " producer again");
    }

    // =====================================================================================
    // Closing
    // =====================================================================================

    /** Unlocks a locked file and (creator, unless {@code keepFile}) removes its name if it is still this file. */
    public void close(boolean keepFile) {
        if (creator && locked) Mman.munlock(mapping); // unmapping waits for the GC
        if (kind != 0) {
            if (server != null) server.stop(); // closes the listening socket
            if (creator && !keepFile) {
                try {
                    if (isSocket(path) && inodeOf(path) == inode) deleteQuietly(path);
                } catch (IOException e) {
                    // already gone
                }
            }
            if (controlFd >= 0) FdServer.closeQuietly(controlFd); // the mapping keeps the memory
            controlFd = -1;
            return;
        }
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
        if (isSocket(path)) {
            int sock = dev.vbuf.sys.Sockets.socket(Abi.SOCK_SEQPACKET);
            try {
                int c = dev.vbuf.sys.Sockets.connect(sock, path.toString());
                if (c == 0) return null; // its creator answers (the connection is dropped after its timeout)
                return c == -Abi.ECONNREFUSED ? "no live process serves its socket (its creator is gone)"
                        : "cannot connect to its socket: " + dev.vbuf.sys.Errno.describe(-c);
            } finally {
                FdServer.closeQuietly(sock);
            }
        }
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
