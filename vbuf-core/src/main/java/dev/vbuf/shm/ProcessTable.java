package dev.vbuf.shm;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * The process table of a shared pool: one 64-byte entry per process attached, so that slot
 * words and holder fields can name a process by a small index and survivors can tell which
 * entries belong to dead processes. This class is the descriptor of one entry and the only code
 * that reads or writes entries.
 *
 * <h2>Entry (64 bytes)</h2>
 * <pre>
 *   0 word u64       pid &lt;&lt; 8 | state   (state: 1 LIVE, 2 RECLAIMING; 0 = free entry)
 *   8 startTime u64  field 22 of /proc/PID/stat (clock ticks after boot): a reused pid is not the peer
 *  16 role u32       1 creator, 2 attached
 *  24 attachMillis u64  wall-clock ms at attach
 *  32 .. 63 reserved, zero
 * </pre>
 * Index {@code i} (1-based, as slot words record it) is the entry at
 * {@code offset + (i - 1) * PROCESS_BYTES}; 0 names no process.
 *
 * <h2>Transitions of the word (each one CAS, or a release store by the claimer)</h2>
 * <pre>
 *   0 --claim--&gt; CLAIMING(pid) --start time written, release--&gt; LIVE(pid)
 *                LIVE or CLAIMING(pid) --recovering survivor--&gt; RECLAIMING(pid) --recovered--&gt; 0
 *                LIVE(pid) --the process detaches--&gt; 0
 * </pre>
 * An entry's identity is (pid, start time) but they are two words: a freed entry keeps the start
 * time of its last process. So a claimer publishes LIVE only after it wrote its own start time
 * (release store), and a reader reads the word first (acquire) and trusts the start time only
 * under LIVE; under CLAIMING it judges by the pid alone ({@link #identity}). No reader can pair
 * a new pid with an old start time and judge a live process dead (ProcessTableStress, jcstress).
 * A process frees its own entry only by CAS from its own LIVE word: if a survivor recovered it
 * by mistake and another process reused it, the entry is left alone.
 */
public final class ProcessTable {
    /** Bytes per entry. */
    public static final int PROCESS_BYTES = 64;
    /** Offset of the entry's word: {@code pid << 8 | state}. */
    public static final long PR_WORD = 0;
    /** Offset of the entry's process start time. */
    public static final long PR_START_TIME = 8;
    /** Offset of the entry's role. */
    public static final long PR_ROLE = 16;
    /** Offset of the entry's attach time (wall clock, ms). */
    public static final long PR_ATTACH_MILLIS = 24;
    /** Word state: the process is attached. */
    public static final int PROC_LIVE = 1;
    /** Word state: a survivor is recovering the (dead) process's slots. */
    public static final int PROC_RECLAIMING = 2;
    /** Word state: the entry was just claimed; its start time is not written yet (judge by the pid). */
    public static final int PROC_CLAIMING = 3;
    /** Role: the process that created the pool. */
    public static final int ROLE_CREATOR = 1;
    /** Role: a process that attached to it. */
    public static final int ROLE_ATTACHED = 2;

    private static final int STATE_BITS = 8;
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

    private final MemorySegment seg;
    private final long offset;
    private final int capacity;

    /**
     * A view of the table of {@code capacity} entries at {@code offset} of {@code seg} (the
     * offset and capacity come from a validated geometry, never from the bytes).
     */
    public ProcessTable(MemorySegment seg, long offset, int capacity) {
        if (offset < 0 || capacity < 0 || offset + (long) capacity * PROCESS_BYTES > seg.byteSize()) {
            throw new IllegalArgumentException("process table of " + capacity + " entries at " + offset
                    + " does not fit in " + seg.byteSize() + " bytes");
        }
        this.seg = seg;
        this.offset = offset;
        this.capacity = capacity;
    }

    // ---- the word ----

    /** The word of a live entry of {@code pid}. */
    public static long liveWord(long pid) { return word(pid, PROC_LIVE); }
    /** The word of an entry of {@code pid} being recovered. */
    public static long reclaimingWord(long pid) { return word(pid, PROC_RECLAIMING); }
    /** Packs a word. */
    public static long word(long pid, int state) { return (pid << STATE_BITS) | (state & 0xFF); }
    /** The pid a word names. */
    public static long pid(long word) { return word >>> STATE_BITS; }
    /** The state of a word ({@link #PROC_LIVE}, {@link #PROC_RECLAIMING}; 0 free). */
    public static int state(long word) { return (int) (word & 0xFF); }

    /** Entries in the table. */
    public int capacity() { return capacity; }

    private long entry(int index) { return offset + (long) (index - 1) * PROCESS_BYTES; }

    private void checkIndex(int index) {
        if (index < 1 || index > capacity) {
            throw new IndexOutOfBoundsException("process index " + index + " is outside 1.." + capacity);
        }
    }

    /** The word of entry {@code index} (1-based), read with volatile semantics. */
    public long lvWord(int index) {
        checkIndex(index);
        return (long) LONG.getVolatile(seg, entry(index) + PR_WORD);
    }

    /** CAS of entry {@code index}'s word. */
    public boolean casWord(int index, long expect, long update) {
        checkIndex(index);
        return LONG.compareAndSet(seg, entry(index) + PR_WORD, expect, update);
    }

    /** The start time recorded in entry {@code index}. */
    public long startTime(int index) {
        checkIndex(index);
        return seg.get(ValueLayout.JAVA_LONG, entry(index) + PR_START_TIME);
    }

    /**
     * Claims a free entry for this process: CAS 0 to CLAIMING(pid), then its start time, role and
     * attach time, then LIVE(pid) with a release store (so a reader that sees LIVE sees this
     * start time, never the last process's). Returns its 1-based index, or 0 when every entry
     * is in use.
     */
    public int claim(long pid, long startTime, int role) {
        for (int i = 1; i <= capacity; i++) {
            long off = entry(i);
            if ((long) LONG.getVolatile(seg, off + PR_WORD) != 0) continue;
            if (LONG.compareAndSet(seg, off + PR_WORD, 0L, word(pid, PROC_CLAIMING))) {
                seg.set(ValueLayout.JAVA_LONG, off + PR_START_TIME, Math.max(0, startTime));
                seg.set(ValueLayout.JAVA_INT, off + PR_ROLE, role);
                seg.set(ValueLayout.JAVA_LONG, off + PR_ATTACH_MILLIS, System.currentTimeMillis());
                LONG.setRelease(seg, off + PR_WORD, liveWord(pid)); // SYNC POINT: publishes the start time
                return i;
            }
        }
        return 0;
    }

    /**
     * An entry's identity as liveness checks use it: its word, and the start time to compare
     * (0, meaning "the pid alone", while the entry is CLAIMING or when none was recorded).
     */
    public record Identity(long word, long startTime) {
        public long pid() { return ProcessTable.pid(word); }
        public int state() { return ProcessTable.state(word); }
        /** Whether the entry's process is alive now (false for a free entry). */
        public boolean alive() { return word != 0 && Processes.alive(pid(), startTime); }
    }

    /** Entry {@code index}'s identity: the word first (acquire), then the start time only if LIVE or RECLAIMING. */
    public Identity identity(int index) {
        long w = lvWord(index);
        if (w == 0 || state(w) == PROC_CLAIMING) return new Identity(w, 0);
        return new Identity(w, startTime(index));
    }

    /** Frees entry {@code index} if it still holds {@code pid}'s LIVE word; false if it does not. */
    public boolean release(int index, long pid) {
        return index >= 1 && index <= capacity && casWord(index, liveWord(pid), 0L);
    }

    /** The entries in use now, each with whether its process is alive. */
    public List<Peer> peers() {
        var list = new ArrayList<Peer>();
        for (int i = 1; i <= capacity; i++) {
            long off = entry(i);
            Identity id = identity(i);
            long w = id.word();
            if (w == 0) continue;
            long pid = pid(w);
            long start = id.startTime();
            int role = seg.get(ValueLayout.JAVA_INT, off + PR_ROLE);
            list.add(new Peer(i, pid, start, role == ROLE_CREATOR ? "creator" : "attached",
                    state(w) == PROC_RECLAIMING ? "reclaiming" : state(w) == PROC_CLAIMING ? "claiming" : "live", id.alive(),
                    seg.get(ValueLayout.JAVA_LONG, off + PR_ATTACH_MILLIS)));
        }
        return list;
    }

    /** Entries whose process is alive now. */
    public int liveCount() {
        int live = 0;
        for (int i = 1; i <= capacity; i++) {
            if (identity(i).alive()) live++;
        }
        return live;
    }
}
