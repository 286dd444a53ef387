package dev.vbuf.pool;

import dev.vbuf.shm.PoolFileValidator;
import dev.vbuf.shm.ProcessTable;
import dev.vbuf.shm.Processes;
import dev.vbuf.shm.ShmNames;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reads a pool's statistics from outside it, in any process, without taking part: a shared
 * pool's file ({@code /dev/shm/vbuf.NAME}) or a private pool's {@link StatsFile}, mapped
 * read-only (a reader cannot change a counter: the mapping has no write permission) and
 * validated like a pool header before anything is read. No process entry is taken, nothing is
 * signalled; each {@link #sample()} reads the counters and slot words once.
 *
 * <p>Everything a sample reads is bounded by the geometry computed at open from the validated
 * counts; indices found in live words (a producer's process entry, a holder) are checked
 * against the table before use. A file that shrinks under the reader is noticed before the
 * read (its length is checked every sample) and reported, not read past its end; a truncation
 * between that check and the read would still fault the reader (SIGBUS): only the file's owner
 * can do that. A file removed or replaced (its pool closed) is reported as gone.
 *
 * <p>Counters are read one by one with volatile loads, as {@link FramePool#stats()} reads
 * them: each is exact at the moment it is read.
 */
public final class PoolReader {
    /** Which kind of pool a file holds. */
    public enum Kind {
        /** A pool shared between processes: its control block starts its /dev/shm file. */
        SHARED,
        /** A pool private to one JVM that publishes its statistics ({@link PoolBuilder#publishStats}). */
        PRIVATE
    }

    /** A pool file found in {@link ShmNames#directory()}: its kind, name (the pool's for shared, the file's for private) and path. */
    public record Found(Kind kind, String name, Path path) {}

    /**
     * One sample of a pool.
     *
     * @param nanos           System.nanoTime() when it was read (CLOCK_MONOTONIC, comparable with the pool's submit times)
     * @param kind            shared or private
     * @param name            the pool's name
     * @param file            the file it was read from
     * @param backing         what the buffer memory is (private pools; "shared memory (/dev/shm)" for shared)
     * @param layout          frame layout as text, or null
     * @param bufferBytes     bytes per buffer
     * @param controlBytes    bytes of the control block
     * @param endOfStream     the creating producer closed the pool
     * @param stale           no live process uses the pool
     * @param staleReason     why (null when live)
     * @param published       frames submitted
     * @param acquireWaits    producer acquires that waited
     * @param acquireTimeouts producer acquires that timed out
     * @param acquireFails    producer acquires refused at once (overflow policy FAIL)
     * @param reclaims        frames taken back from consumers by the overflow policy (drop-oldest, adaptive)
     * @param retiredCount    external buffers retired
     * @param peerRecoveries  dead processes whose slots were recovered
     * @param slotsRecovered  slots recovered from dead processes
     * @param slots           every slot
     * @param groups          every consumer group
     * @param processes       the processes using the pool
     * @param references      slots a producer's reference (a decoder's reference picture) holds,
     *                        whatever their groups do ({@code PoolStats.references})
     */
    public record Sample(long nanos, Kind kind, String name, String file, String backing, String layout, long bufferBytes,
                         long controlBytes, boolean endOfStream, boolean stale, String staleReason, long published,
                         long acquireWaits, long acquireTimeouts, long acquireFails, long reclaims, long retiredCount,
                         long peerRecoveries, long slotsRecovered, List<Slot> slots, List<Group> groups,
                         List<Process> processes, int references) {
        /** Slots in {@code state}. */
        public int count(FrameState state) {
            int n = 0;
            for (Slot s : slots) if (s.state() == state) n++;
            return n;
        }
    }

    /**
     * One slot.
     *
     * @param index       slot index
     * @param state       its public state
     * @param generation  its generation
     * @param pending     groups that still have to release it (bit per group)
     * @param held        groups one of whose consumers holds it now (bit per group)
     * @param sequence    the frame's sequence number
     * @param submitNanos System.nanoTime() at submit, or 0 when the pool records no timestamps
     * @param owner       the producer's process entry while being filled (shared pools), else 0
     */
    public record Slot(int index, FrameState state, long generation, int pending, int held, long sequence,
                       long submitNanos, int owner) {}

    /**
     * One consumer group.
     *
     * @param name         its name
     * @param taken        frames its consumers acquired
     * @param dropped      frames dropped for it (all causes, crash losses included)
     * @param fullPops     of which: its queue was full (it stopped reading)
     * @param lostToCrash  of which: a consumer of it died holding them
     * @param staleSkipped queue entries skipped because the frame had been taken back
     * @param acquireWaits acquires that waited
     * @param timeouts     acquires that timed out
     * @param lag          frames published to it and not yet taken or dropped
     * @param held         frames its consumers hold now
     */
    public record Group(String name, long taken, long dropped, long fullPops, long lostToCrash, long staleSkipped,
                        long acquireWaits, long timeouts, long lag, int held) {}

    /**
     * A process using the pool.
     *
     * @param index   its process-table entry (0 for a private pool's one process)
     * @param pid     its pid
     * @param role    "creator", "attached" or "private"
     * @param alive   whether it runs
     * @param filling slots it is filling now
     * @param holding frames it holds now (one per group holding)
     */
    public record Process(int index, long pid, String role, boolean alive, int filling, int holding) {}

    private final Kind kind;
    private final String name;
    private final Path path;
    private final MemorySegment file;
    private final ControlBlock cb;
    private final ControlBlock.Geometry g;
    private final String[] groups;
    private final String layout;
    private final long bufferBytes;
    private final String backing;
    private final ProcessTable table;
    private final long pid;
    private final long startTime;
    private final Object fileKey;

    private PoolReader(Kind kind, String name, Path path, MemorySegment file, long cbOffset, ControlBlock.Geometry g,
                       String[] groups, String layout, long bufferBytes, String backing, long pid, long startTime) {
        this.kind = kind;
        this.name = name;
        this.path = path;
        this.file = file;
        this.g = g;
        this.cb = ControlBlock.view(file.asSlice(cbOffset, g.totalBytes()), g);
        this.groups = groups;
        this.layout = layout;
        this.bufferBytes = bufferBytes;
        this.backing = backing;
        this.table = kind == Kind.SHARED ? new ProcessTable(file, g.processOffset(), g.processCapacity()) : null;
        this.pid = pid;
        this.startTime = startTime;
        this.fileKey = fileKey(path);
    }

    private static Object fileKey(Path p) {
        try {
            return Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    /** Every shared pool file and statistics file in {@link ShmNames#directory()} (temporary files of creates excluded). */
    public static List<Found> discover() {
        var list = new ArrayList<Found>();
        Path dir = ShmNames.directory();
        if (!Files.isDirectory(dir)) return list;
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.sorted().toList()) {
                String f = p.getFileName().toString();
                if (f.startsWith(ShmNames.PREFIX)) {
                    list.add(new Found(Kind.SHARED, f.substring(ShmNames.PREFIX.length()), p));
                } else if (StatsFile.pidOf(p) >= 0) {
                    list.add(new Found(Kind.PRIVATE, f, p));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list " + dir + ": " + e + "; check that it is a readable directory", e);
        }
        return list;
    }

    /** Opens what {@link #discover()} found. */
    public static PoolReader open(Found f) {
        return f.kind() == Kind.SHARED ? openShared(f.path()) : openPrivate(f.path());
    }

    /** Opens shared pool {@code name} (/dev/shm/vbuf.NAME) read-only; the file is validated first. */
    public static PoolReader openShared(String name) {
        return openShared(ShmNames.path(name));
    }

    private static PoolReader openShared(Path p) {
        MemorySegment m = StatsFile.mapReadOnly(p, "shared pool file");
        PoolFileValidator.Validated v = PoolFileValidator.validate(m, p);
        String n = p.getFileName().toString().substring(ShmNames.PREFIX.length());
        return new PoolReader(Kind.SHARED, n, p, m, 0, v.geometry(), v.groups().clone(),
                v.layout() == null ? null : v.layout().width() + "x" + v.layout().height() + " " + v.layout().format().name(),
                v.bufferBytes(), "shared memory (" + p + ")", 0, 0);
    }

    /** Opens a private pool's statistics file read-only; it is validated first ({@link StatsFile#validate}). */
    public static PoolReader openPrivate(Path p) {
        MemorySegment m = StatsFile.mapReadOnly(p, "statistics file");
        StatsFile.Header h = StatsFile.validate(m, p);
        return new PoolReader(Kind.PRIVATE, h.name(), p, m, StatsFile.HEADER_BYTES, h.geometry(), h.groups().clone(),
                h.layout(), h.bufferBytes(), h.backing(), h.pid(), h.startTime());
    }

    public Kind kind() { return kind; }
    public String name() { return name; }
    public Path path() { return path; }
    /** The consumer groups' names. */
    public List<String> groups() { return List.of(groups); }
    /** Number of buffers. */
    public int slotCount() { return g.slotCount(); }

    /**
     * Reads the pool once. Throws {@link IllegalStateException} when the file was removed or
     * shrank since it was opened (its pool closed, or someone truncated it).
     */
    public Sample sample() {
        checkLength();
        long now = System.nanoTime();
        int n = g.slotCount(), gc = g.groupCount();
        int cap = table == null ? 0 : table.capacity();
        int[] filling = new int[cap + 1], holding = new int[cap + 1], heldBy = new int[gc];
        int refBit = referenceBit(), references = 0;
        var slots = new ArrayList<Slot>(n);
        for (int s = 0; s < n; s++) {
            long w = cb.lvWord(s);
            int phase = SlotWord.phase(w), held = SlotWord.held(w);
            int owner = SlotWord.owner(w);
            if (phase == SlotWord.PUBLISHED && (held & refBit) != 0) references++;
            if (phase == SlotWord.PRODUCER) {
                if (owner >= 1 && owner <= cap) filling[owner]++;
                else filling[0]++; // a private pool's producer, or an index no entry has
            }
            for (int k = 0; k < gc; k++) {
                if ((held & (1 << k)) == 0) continue;
                heldBy[k]++;
                int holder = table == null ? 0 : cb.lvHolder(s, k);
                holding[holder >= 1 && holder <= cap ? holder : 0]++;
            }
            slots.add(new Slot(s, SlotWord.state(w, referenceBit()), SlotWord.gen(w), SlotWord.refs(w), held,
                    cb.lpLong(s, ControlBlock.S_SEQUENCE), cb.lpLong(s, ControlBlock.S_SUBMIT_NANOS), owner));
        }
        long published = cb.lvCounter(ControlBlock.P_NEXT_SEQUENCE);
        var gl = new ArrayList<Group>(gc);
        for (int k = 0; k < gc; k++) {
            long rec = cb.group(k);
            long taken = cb.lvCounter(rec + ControlBlock.G_TAKEN);
            long dropped = cb.lvCounter(rec + ControlBlock.G_DROPPED);
            long lost = cb.lvCounter(rec + ControlBlock.G_LOST_TO_CRASH);
            gl.add(new Group(groups[k], taken, dropped, cb.lvCounter(rec + ControlBlock.G_FULL_POPS), lost,
                    cb.lvCounter(rec + ControlBlock.G_STALE_SKIPPED), cb.lvCounter(rec + ControlBlock.G_ACQUIRE_WAITS),
                    cb.lvCounter(rec + ControlBlock.G_ACQUIRE_TIMEOUTS), Math.max(0, published - taken - dropped + lost),
                    heldBy[k]));
        }
        var procs = new ArrayList<Process>();
        String staleReason;
        if (table != null) {
            for (dev.vbuf.shm.Peer p : table.peers()) {
                int i = p.index();
                if (i < 1 || i > cap) continue;
                procs.add(new Process(i, p.pid(), p.role(), p.alive(), filling[i], holding[i]));
            }
            staleReason = procs.stream().anyMatch(Process::alive) ? null : "no live process attached";
        } else {
            boolean alive = Processes.alive(pid, startTime);
            procs.add(new Process(0, pid, "private", alive, filling[0], holding[0]));
            staleReason = alive ? null : "process " + pid + " is gone";
        }
        return new Sample(now, kind, name, path.toString(), backing, layout, bufferBytes, g.totalBytes(),
                (cb.lvInt(ControlBlock.H_STATE) & ControlBlock.STATE_CLOSED) != 0, staleReason != null, staleReason,
                published, cb.lvCounter(ControlBlock.P_ACQUIRE_WAITS), cb.lvCounter(ControlBlock.P_ACQUIRE_TIMEOUTS),
                cb.lvCounter(ControlBlock.P_ACQUIRE_FAILS), cb.lvCounter(ControlBlock.P_RECLAIMS),
                cb.lvCounter(ControlBlock.P_RETIRED), cb.lvCounter(ControlBlock.P_PEER_RECOVERIES),
                cb.lvCounter(ControlBlock.P_SLOTS_RECOVERED), List.copyOf(slots), List.copyOf(gl), List.copyOf(procs), references);
    }

    /**
     * Reads only the slot words and submit times (for samplers that watch hand-offs at a higher
     * rate than they read counters): {@code words[s]} and {@code submitNanos[s]} for every slot.
     * Decode a word with {@link #stateOf}, {@link #heldOf}, {@link #generationOf}.
     *
     * @return System.nanoTime() when they were read
     * @throws IllegalArgumentException when an array is shorter than {@link #slotCount()}
     */
    public long readSlots(long[] words, long[] submitNanos) {
        int n = g.slotCount();
        if (words.length < n || submitNanos.length < n) {
            throw new IllegalArgumentException("arrays of " + words.length + " and " + submitNanos.length
                    + " cannot hold the " + n + " slots of pool '" + name + "'");
        }
        checkLength();
        long now = System.nanoTime();
        for (int s = 0; s < n; s++) {
            words[s] = cb.lvWord(s);
            submitNanos[s] = cb.lpLong(s, ControlBlock.S_SUBMIT_NANOS);
        }
        return now;
    }

    /** The public state of a slot word read by {@link #readSlots} (a frame only the decoder still references is {@link FrameState#HELD_BY_DECODER}). */
    public FrameState stateOf(long word) { return SlotWord.state(word, referenceBit()); }

    /** The bit a producer's kept reference takes in a slot word: the one group index a pool of fewer than 16 groups has free. */
    private int referenceBit() { return g.groupCount() < SlotWord.MAX_GROUPS ? SlotWord.REFERENCE_BIT : 0; }
    /** The groups holding the frame of a slot word (bit per group). */
    public static int heldOf(long word) { return SlotWord.held(word); }
    /** The generation of a slot word. */
    public static long generationOf(long word) { return SlotWord.gen(word); }

    /** The file must still be as long as the mapping: reading past a truncated file's end would kill the reader (SIGBUS). */
    private void checkLength() {
        long size;
        java.nio.file.attribute.BasicFileAttributes a;
        try {
            a = Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            size = a.size();
            if (fileKey != null && !fileKey.equals(a.fileKey())) throw new IOException("replaced");
        } catch (IOException e) {
            throw new IllegalStateException((kind == Kind.SHARED ? "shared pool '" : "private pool '") + name + "' is gone ("
                    + path + " was removed: its pool closed)");
        }
        if (size < file.byteSize()) {
            throw new IllegalStateException(path + " shrank from " + file.byteSize() + " to " + size
                    + " bytes since it was opened; not read further. Its pool is damaged: remove it and start it again");
        }
    }
}
