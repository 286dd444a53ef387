package dev.vbuf.pool;

import dev.vbuf.format.PixelFormat;
import dev.vbuf.memory.BufferValidationException;
import dev.vbuf.memory.NativeException;
import dev.vbuf.shm.Processes;
import dev.vbuf.shm.ShmNames;
import dev.vbuf.sys.Abi;
import dev.vbuf.sys.FileIo;
import dev.vbuf.sys.Mman;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The statistics file of a private pool ({@link PoolBuilder#publishStats(boolean)}): the pool's
 * control block itself, counters and slot words, placed in a small file under /dev/shm (the
 * directory of {@link ShmNames#directory()}) so that other processes ({@code vbuf top},
 * {@code vbuf serve}) read exact figures without taking part in the pool. No pixel is in it.
 *
 * <h2>Layout</h2>
 * <pre>
 *    0 +-------------------------------------------------------------+
 *      | STATS HEADER (4096 B)                                        |
 *      |   0 magic u64 "VBUFSTAT" (written last, release)             |
 *      |   8 version u32 (1)     12 headerBytes u32 (4096)            |
 *      |  16 pid u64 (the pool's process)                             |
 *      |  24 startTime u64 (its start, clock ticks since boot)        |
 *      |  32 createdMillis u64  40 controlBytes u64                   |
 *      |  48 nameBytes u32      52 backingBytes u32                   |
 *      |  64 name[128] UTF-8   192 backing[256] UTF-8                 |
 * 4096 +-------------------------------------------------------------+
 *      | CONTROL BLOCK of the pool ({@link ControlBlock}, no process   |
 *      | table), controlBytes long                                    |
 *      +-------------------------------------------------------------+
 * </pre>
 * The file is {@code vbuf-private.PID.N} (N counts this process's pools), mode 0644: its
 * owner writes it through the pool, everybody else may only read it. Readers map it read-only
 * and check it with {@link #validate} as a shared pool's header is checked: nothing read from it
 * is used as an index or a size before it is checked. The pool removes the file when it
 * closes; a file whose process is gone is stale ({@link #staleReason}) and is removed by the
 * next pool that publishes its statistics.
 */
public final class StatsFile {
    /** Start of every statistics file's name. */
    public static final String PREFIX = "vbuf-private.";
    public static final long MAGIC = 0x5441545346554256L; // "VBUFSTAT" little-endian
    public static final int VERSION = 1;
    public static final int HEADER_BYTES = 4096;
    public static final long F_MAGIC = 0;
    public static final long F_VERSION = 8;
    public static final long F_HEADER_BYTES = 12;
    public static final long F_PID = 16;
    public static final long F_START_TIME = 24;
    public static final long F_CREATED_MILLIS = 32;
    public static final long F_CONTROL_BYTES = 40;
    public static final long F_NAME_BYTES = 48;
    public static final long F_BACKING_BYTES = 52;
    public static final long F_NAME = 64;
    public static final int NAME_CAPACITY = 128;
    public static final long F_BACKING = 192;
    public static final int BACKING_CAPACITY = 256;
    /** Permission bits of a statistics file: the owner writes, everyone may read. */
    public static final int MODE = 0644;
    /** Largest pid Linux hands out (PID_MAX_LIMIT). */
    static final long PID_MAX = 1L << 22;

    private static final Pattern FILE = Pattern.compile(Pattern.quote(PREFIX) + "([0-9]{1,10})\\.([0-9]{1,9})");
    private static final AtomicInteger SEQ = new AtomicInteger();
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

    private final Path path;
    private final MemorySegment mapping;

    private StatsFile(Path path, MemorySegment mapping) {
        this.path = path;
        this.mapping = mapping;
    }

    /** A statistics file that is not valid: names the file, what is wrong and what to do. */
    public static final class Invalid extends BufferValidationException {
        Invalid(Path path, String what) {
            super("statistics file " + path + " " + what + "; it was not written by a compatible vbuf, or it is"
                    + " damaged. Remove it (rm " + path + ") if its process is gone");
        }
    }

    /**
     * What a valid statistics file declares (all checked by {@link #validate}).
     *
     * @param pid         the pool's process
     * @param startTime   that process's start time (clock ticks since boot)
     * @param createdMillis when the pool was built (wall clock)
     * @param name        the pool's name
     * @param backing     what the pool's buffer memory is
     * @param geometry    where everything is in the control block (recomputed from its counts)
     * @param bufferBytes bytes per buffer
     * @param layout      the frame layout as text, or null when the pool has none
     * @param groups      the consumer groups' names
     */
    public record Header(long pid, long startTime, long createdMillis, String name, String backing,
                         ControlBlock.Geometry geometry, long bufferBytes, String layout, String[] groups) {}

    // =====================================================================================
    // Writing (the pool's own process)
    // =====================================================================================

    /**
     * Creates the file for a control block of {@code geometry} and returns it; the control
     * block ({@link #controlBlock()}) is zero, to be formatted, then {@link #publish()}ed.
     */
    static StatsFile create(String name, String backing, ControlBlock.Geometry geometry) {
        for (String removed : removeStale()) {
            System.getLogger("dev.vbuf.pool").log(System.Logger.Level.INFO, "removed " + removed);
        }
        long pid = Processes.self();
        Path path = ShmNames.directory().resolve(PREFIX + pid + "." + SEQ.getAndIncrement());
        long bytes = HEADER_BYTES + geometry.totalBytes();
        int fd = FileIo.open(path.toString(), Abi.O_RDWR | Abi.O_CREAT | Abi.O_EXCL | Abi.O_NOFOLLOW | Abi.O_CLOEXEC, 0600);
        MemorySegment map;
        try {
            FileIo.fchmod(fd, MODE);
            FileIo.ftruncate(fd, bytes);
            MemorySegment raw = Mman.mmap(bytes, Abi.PROT_READ | Abi.PROT_WRITE, Abi.MAP_SHARED, fd, 0);
            // Unmapped when the pool is unreachable, never under a thread still inside acquire.
            map = raw.reinterpret(bytes, Arena.ofAuto(), Mman::munmap);
        } catch (RuntimeException e) {
            delete(path);
            throw e;
        } finally {
            FileIo.close(fd);
        }
        map.set(ValueLayout.JAVA_INT, F_VERSION, VERSION);
        map.set(ValueLayout.JAVA_INT, F_HEADER_BYTES, HEADER_BYTES);
        map.set(ValueLayout.JAVA_LONG, F_PID, pid);
        map.set(ValueLayout.JAVA_LONG, F_START_TIME, Math.max(0, Processes.startTime(pid)));
        map.set(ValueLayout.JAVA_LONG, F_CREATED_MILLIS, System.currentTimeMillis());
        map.set(ValueLayout.JAVA_LONG, F_CONTROL_BYTES, geometry.totalBytes());
        map.set(ValueLayout.JAVA_INT, F_NAME_BYTES, putText(map, F_NAME, NAME_CAPACITY, name));
        map.set(ValueLayout.JAVA_INT, F_BACKING_BYTES, putText(map, F_BACKING, BACKING_CAPACITY, backing));
        return new StatsFile(path, map);
    }

    /** Writes at most {@code capacity} bytes of {@code s}'s UTF-8, cut on a character boundary; returns the length. */
    private static int putText(MemorySegment m, long at, int capacity, String s) {
        byte[] b = (s == null ? "" : s).getBytes(StandardCharsets.UTF_8);
        int len = Math.min(b.length, capacity);
        while (len > 0 && len < b.length && (b[len] & 0xC0) == 0x80) len--; // do not split a character
        MemorySegment.copy(b, 0, m, ValueLayout.JAVA_BYTE, at, len);
        return len;
    }

    /** The control block's place in the file (zero until formatted). */
    MemorySegment controlBlock() {
        return mapping.asSlice(HEADER_BYTES, mapping.byteSize() - HEADER_BYTES);
    }

    /** Makes the file valid for readers: the magic, last, with a release store. */
    void publish() {
        LONG.setRelease(mapping, F_MAGIC, MAGIC);
    }

    /** The file's path. */
    public Path path() { return path; }

    /** Removes the file (the pool closed, or its construction failed); the mapping stays until unreachable. */
    void remove() {
        delete(path);
    }

    // =====================================================================================
    // Finding and reading (any process)
    // =====================================================================================

    /** Every statistics file in {@link ShmNames#directory()}, sorted by name. */
    public static List<Path> list() {
        Path dir = ShmNames.directory();
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> FILE.matcher(p.getFileName().toString()).matches()).sorted().toList();
        } catch (IOException e) {
            throw new IllegalStateException("cannot list " + dir + ": " + e + "; check that it is a readable directory", e);
        }
    }

    /** The pid in a statistics file's name, or -1 when {@code p} is not named like one. */
    public static long pidOf(Path p) {
        Matcher m = FILE.matcher(p.getFileName().toString());
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }

    /**
     * Why the statistics file {@code p} is stale (its process is gone, or the pid now belongs to
     * another process), or null while its pool's process may still be running.
     */
    public static String staleReason(Path p) {
        long pid = pidOf(p);
        if (pid < 0) return "not a statistics file name";
        long now = Processes.startTime(pid);
        if (now < 0) return "process " + pid + " is gone";
        long recorded;
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            ByteBuffer b = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining() && ch.read(b) > 0) { /* fill */ }
            if (b.position() < 32) return null; // being created
            recorded = b.getLong((int) F_START_TIME);
            long magic = b.getLong((int) F_MAGIC);
            if (magic != MAGIC) return null; // being created, or not ours: validation says which
        } catch (IOException e) {
            return null; // removed meanwhile
        }
        if (recorded != 0 && recorded != now) {
            return "process " + pid + " is gone (the pid now belongs to a process started later)";
        }
        return null;
    }

    /**
     * Removes every stale statistics file (see {@link #staleReason}); returns each one removed,
     * with why. A file whose process lives is left alone.
     */
    public static List<String> removeStale() {
        var removed = new ArrayList<String>();
        for (Path p : list()) {
            String why = staleReason(p);
            if (why == null) continue;
            if (delete(p)) removed.add(p + " (" + why + ")");
        }
        return removed;
    }

    /**
     * Checks every field of an untrusted statistics file mapping before anything else reads
     * it: the header's counts, lengths and texts, then the control block's header exactly as a
     * shared pool's is checked (magic, version, counts in range, every offset equal to the
     * geometry recomputed from the counts, sizes within the file, group names NUL-terminated
     * distinct UTF-8). What it returns is computed here, never read back later.
     *
     * @throws Invalid naming the file and the field
     */
    public static Header validate(MemorySegment m, Path path) {
        long size = m.byteSize();
        if (size < HEADER_BYTES + ControlBlock.HEADER_BYTES) {
            throw new Invalid(path, "is " + size + " bytes long, shorter than its " + HEADER_BYTES
                    + "-byte header and a control block header: truncated, or not a vbuf statistics file");
        }
        long magic = (long) LONG.getAcquire(m, F_MAGIC);
        if (magic == 0) throw new Invalid(path, "has no magic number yet (its pool is still being built, or its process died building it)");
        if (magic != MAGIC) {
            throw new Invalid(path, "has magic 0x" + Long.toHexString(magic) + ", not 0x" + Long.toHexString(MAGIC)
                    + " (\"VBUFSTAT\"): not a vbuf statistics file");
        }
        int version = m.get(ValueLayout.JAVA_INT, F_VERSION);
        if (version != VERSION) throw new Invalid(path, "has version " + version + "; this vbuf reads version " + VERSION);
        int headerBytes = m.get(ValueLayout.JAVA_INT, F_HEADER_BYTES);
        if (headerBytes != HEADER_BYTES) throw new Invalid(path, "declares a " + headerBytes + "-byte header; version " + VERSION + " has " + HEADER_BYTES);
        long pid = m.get(ValueLayout.JAVA_LONG, F_PID);
        if (pid < 1 || pid > PID_MAX) throw new Invalid(path, "names process " + pid + ", outside 1.." + PID_MAX);
        long startTime = m.get(ValueLayout.JAVA_LONG, F_START_TIME);
        if (startTime < 0) throw new Invalid(path, "records a negative process start time (" + startTime + ")");
        long controlBytes = m.get(ValueLayout.JAVA_LONG, F_CONTROL_BYTES);
        if (controlBytes != size - HEADER_BYTES) {
            throw new Invalid(path, "declares a control block of " + controlBytes + " bytes but the file holds "
                    + (size - HEADER_BYTES) + " after its header");
        }
        String name = text(m, path, "pool name", F_NAME, m.get(ValueLayout.JAVA_INT, F_NAME_BYTES), NAME_CAPACITY);
        String backing = text(m, path, "backing", F_BACKING, m.get(ValueLayout.JAVA_INT, F_BACKING_BYTES), BACKING_CAPACITY);

        long cb = HEADER_BYTES;
        long cbMagic = (long) LONG.getAcquire(m, cb + ControlBlock.H_MAGIC);
        if (cbMagic != ControlBlock.MAGIC) {
            throw new Invalid(path, "has a control block with magic 0x" + Long.toHexString(cbMagic) + ", not 0x"
                    + Long.toHexString(ControlBlock.MAGIC) + " (\"VBUFPOOL\")");
        }
        int cbVersion = m.get(ValueLayout.JAVA_INT, cb + ControlBlock.H_VERSION);
        if (cbVersion != ControlBlock.VERSION) {
            throw new Invalid(path, "has control block layout version " + cbVersion + "; this vbuf reads version " + ControlBlock.VERSION);
        }
        int cbHeader = m.get(ValueLayout.JAVA_INT, cb + ControlBlock.H_HEADER_BYTES);
        int slotBytes = m.get(ValueLayout.JAVA_INT, cb + ControlBlock.H_SLOT_BYTES);
        if (cbHeader != ControlBlock.HEADER_BYTES || slotBytes != ControlBlock.SLOT_BYTES) {
            throw new Invalid(path, "declares a " + cbHeader + "-byte control block header and " + slotBytes
                    + "-byte slots; version " + ControlBlock.VERSION + " has " + ControlBlock.HEADER_BYTES + " and " + ControlBlock.SLOT_BYTES);
        }
        int slots = m.get(ValueLayout.JAVA_INT, cb + ControlBlock.H_SLOT_COUNT);
        int groups = m.get(ValueLayout.JAVA_INT, cb + ControlBlock.H_GROUP_COUNT);
        int procs = m.get(ValueLayout.JAVA_INT, cb + ControlBlock.H_PROCESS_CAPACITY);
        range(path, "slot count", slots, 1, FramePool.MAX_BUFFERS);
        range(path, "group count", groups, 1, FramePool.MAX_GROUPS);
        range(path, "process table capacity", procs, 0, 0);
        ControlBlock.Geometry g = ControlBlock.Geometry.of(slots, groups, 0);
        expect(path, "free ring capacity", m.get(ValueLayout.JAVA_INT, cb + ControlBlock.H_FREE_RING_CAPACITY), g.freeRingCapacity());
        expect(path, "group ring capacity", m.get(ValueLayout.JAVA_INT, cb + ControlBlock.H_GROUP_RING_CAPACITY), g.groupRingCapacity());
        expect(path, "slots offset", m.get(ValueLayout.JAVA_LONG, cb + ControlBlock.H_SLOTS_OFFSET), g.slotsOffset());
        expect(path, "free ring offset", m.get(ValueLayout.JAVA_LONG, cb + ControlBlock.H_FREE_RING_OFFSET), g.freeRingOffset());
        expect(path, "groups offset", m.get(ValueLayout.JAVA_LONG, cb + ControlBlock.H_GROUPS_OFFSET), g.groupsOffset());
        expect(path, "process table offset", m.get(ValueLayout.JAVA_LONG, cb + ControlBlock.H_PROCESS_OFFSET), g.processOffset());
        expect(path, "control block size", m.get(ValueLayout.JAVA_LONG, cb + ControlBlock.H_TOTAL_BYTES), g.totalBytes());
        if (g.totalBytes() != controlBytes) {
            throw new Invalid(path, "holds a control block of " + controlBytes + " bytes but its counts need " + g.totalBytes());
        }
        long bufferBytes = m.get(ValueLayout.JAVA_LONG, cb + ControlBlock.H_BUFFER_BYTES);
        if (bufferBytes < 1) throw new Invalid(path, "declares buffers of " + bufferBytes + " bytes; a buffer has at least 1");
        String[] names = new String[groups];
        var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        for (int i = 0; i < groups; i++) {
            long rec = cb + g.groupsOffset() + (long) i * ControlBlock.GROUP_BYTES;
            expect(path, "group " + i + " ring offset", m.get(ValueLayout.JAVA_LONG, rec + ControlBlock.G_RING_OFFSET), g.groupRingOffset(i));
            byte[] raw = m.asSlice(rec + ControlBlock.G_NAME, ControlBlock.GROUP_NAME_BYTES).toArray(ValueLayout.JAVA_BYTE);
            int len = 0;
            while (len < raw.length && raw[len] != 0) len++;
            if (len == 0 || len == raw.length) {
                throw new Invalid(path, "has a group " + i + " name that is empty or not NUL-terminated within "
                        + ControlBlock.GROUP_NAME_BYTES + " bytes");
            }
            try {
                names[i] = decoder.decode(ByteBuffer.wrap(raw, 0, len)).toString();
            } catch (CharacterCodingException e) {
                throw new Invalid(path, "has a group " + i + " name that is not UTF-8");
            }
            for (int j = 0; j < i; j++) {
                if (names[j].equals(names[i])) throw new Invalid(path, "names consumer group '" + names[i] + "' twice");
            }
        }
        String layout = null;
        int format = m.get(ValueLayout.JAVA_INT, cb + ControlBlock.H_FORMAT);
        if (format != 0) {
            PixelFormat[] all = PixelFormat.values();
            range(path, "pixel format id", format, 1, all.length);
            int w = m.get(ValueLayout.JAVA_INT, cb + ControlBlock.H_WIDTH), h = m.get(ValueLayout.JAVA_INT, cb + ControlBlock.H_HEIGHT);
            range(path, "frame width", w, 1, 1 << 16);
            range(path, "frame height", h, 1, 1 << 16);
            layout = w + "x" + h + " " + all[format - 1].name();
        }
        return new Header(pid, startTime, m.get(ValueLayout.JAVA_LONG, F_CREATED_MILLIS), name, backing, g, bufferBytes,
                layout, names);
    }

    private static String text(MemorySegment m, Path path, String what, long at, int len, int capacity) {
        range(path, what + " length", len, 0, capacity);
        byte[] raw = m.asSlice(at, len).toArray(ValueLayout.JAVA_BYTE);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(raw)).toString();
        } catch (CharacterCodingException e) {
            throw new Invalid(path, "has a " + what + " that is not UTF-8");
        }
    }

    private static void range(Path path, String what, long v, long lo, long hi) {
        if (v < lo || v > hi) throw new Invalid(path, "declares " + what + " " + v + ", outside " + lo + ".." + hi);
    }

    private static void expect(Path path, String what, long found, long expected) {
        if (found != expected) throw new Invalid(path, "declares " + what + " " + found + " where its counts give " + expected);
    }

    private static boolean delete(Path p) {
        try {
            return Files.deleteIfExists(p);
        } catch (IOException e) {
            return false; // someone else removed or replaced it
        }
    }

    /** Opens and maps {@code p} read-only (O_NOFOLLOW, a regular file): the mapping, not yet validated. */
    static MemorySegment mapReadOnly(Path p, String what) {
        int fd;
        try {
            fd = FileIo.open(p.toString(), Abi.O_RDONLY | Abi.O_NOFOLLOW | Abi.O_CLOEXEC, 0);
        } catch (NativeException e) {
            if (e.errno() == Abi.ENOENT) throw new IllegalStateException(what + " " + p + " is gone (its pool closed)");
            if (e.errno() == Abi.ELOOP) throw new SecurityException(p + " is a symbolic link; vbuf never follows links to a pool file");
            throw new IllegalStateException("cannot open " + what + " " + p + ": " + e.getMessage(), e);
        }
        try {
            FileIo.Stat st = FileIo.fstat(fd);
            if (!st.isRegularFile()) {
                throw new SecurityException(p + " is not a regular file (mode 0" + Integer.toOctalString(st.mode()) + "); not read");
            }
            if (st.size() < ControlBlock.HEADER_BYTES) {
                throw new Invalid(p, "is " + st.size() + " bytes long, shorter than any header: truncated, or not a vbuf file");
            }
            MemorySegment raw = Mman.mmap(st.size(), Abi.PROT_READ, Abi.MAP_SHARED, fd, 0);
            return raw.reinterpret(st.size(), Arena.ofAuto(), Mman::munmap);
        } finally {
            FileIo.close(fd);
        }
    }
}
