package dev.vbuf.pool;

import dev.vbuf.memory.AlignedAllocator;
import dev.vbuf.memory.Ownership;
import dev.vbuf.shm.Peer;
import dev.vbuf.stats.GroupStats;
import dev.vbuf.stats.PoolStats;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Inspection and printing: snapshots of buffers, statistics, consistency checks and the
 * buffer table, all read off the control block (slot words and counters) without changing it.
 * Nothing here is on the hot path.
 */
final class PoolInspector {
    private final FramePool pool;
    private final HandOff h;
    private final ControlBlock cb;

    PoolInspector(FramePool pool, HandOff h) {
        this.pool = pool;
        this.h = h;
        this.cb = h.cb;
    }

    int count(FrameState st) {
        int n = 0;
        for (int s = 0; s < h.slotCount; s++) if (SlotWord.state(cb.lvWord(s), h.refBit) == st) n++;
        return n;
    }

    Optional<BufferInfo> bufferById(int id) {
        if (id < 0 || id >= h.slotCount) return Optional.empty();
        long w = cb.lvWord(id);
        MemorySegment b = pool.bufferFor(id);
        return Optional.of(new BufferInfo(id, b, pool.physicalAddress(id), b.byteSize(), pool.ownership(id),
                SlotWord.state(w, h.refBit), Integer.bitCount(SlotWord.refs(w)), SlotWord.gen(w), pool.fd(id),
                // a slot being filled has no sequence yet (the field keeps its last use's until submit)
                SlotWord.phase(w) == SlotWord.PRODUCER ? -1L : cb.lpLong(id, ControlBlock.S_SEQUENCE),
                cb.lpLong(id, ControlBlock.S_CAPTURE_NANOS),
                cb.lpLong(id, ControlBlock.S_PTS), cb.lpLong(id, ControlBlock.S_PAYLOAD_BYTES),
                cb.lpInt(id, ControlBlock.S_WIDTH), cb.lpInt(id, ControlBlock.S_HEIGHT),
                FramePool.formatOf(cb.lpInt(id, ControlBlock.S_FORMAT)), cb.lpInt(id, ControlBlock.S_FLAGS),
                groupsOf(SlotWord.refs(w)), groupsOf(SlotWord.held(w)), pool.isAlive(id)));
    }

    /** The groups in {@code mask}, and "decoder" for a producer's reference. */
    private List<String> groupsOf(int mask) {
        var l = new ArrayList<String>();
        for (int g = 0; g < h.groupCount; g++) if ((mask & (1 << g)) != 0) l.add(pool.groupName(g));
        if ((mask & h.refBit) != 0) l.add(DECODER);
        return l;
    }

    /** How a producer's reference is named in the holder lists. */
    static final String DECODER = "decoder";

    /** See {@link FramePool#validateBuffer(int)}. */
    boolean validate(int id) {
        if (id < 0 || id >= h.slotCount) return false;
        MemorySegment b = pool.bufferFor(id);
        boolean external = pool.isExternal(id);
        if (!b.scope().isAlive() || (external && !pool.isAlive(id))) return false;
        if (b.byteSize() < pool.getBufferSize()) return false;
        if (!external && b.address() % AlignedAllocator.PAGE != 0) return false;
        long w = cb.lvWord(id);
        int pending = SlotWord.pending(w), held = SlotWord.held(w);
        int phase = SlotWord.phase(w);
        if (phase == SlotWord.PRODUCER) return held == 0 && (h.tracked || pending == 0); // pending = owner
        if ((pending & ~(h.allGroups | h.refBit)) != 0 || (held & ~pending) != 0) return false;
        // a producer's reference is always held (it is taken at publish)
        if ((pending & h.refBit) != 0 && (held & h.refBit) == 0) return false;
        if (phase == SlotWord.PUBLISHED) return pending != 0;
        if (phase == SlotWord.RETIRED) return false;
        return pending == 0 && held == 0;
    }

    PoolStats stats() {
        int[] byState = new int[FrameState.values().length];
        int[] heldBy = new int[h.groupCount];
        int references = 0;
        for (int s = 0; s < h.slotCount; s++) {
            long w = cb.lvWord(s);
            byState[SlotWord.state(w, h.refBit).ordinal()]++;
            int held = SlotWord.held(w);
            if (SlotWord.phase(w) == SlotWord.PUBLISHED && (held & h.refBit) != 0) references++;
            for (int g = 0; g < h.groupCount; g++) if ((held & (1 << g)) != 0) heldBy[g]++;
        }
        var groups = new ArrayList<GroupStats>(h.groupCount);
        for (int g = 0; g < h.groupCount; g++) {
            long rec = cb.group(g);
            groups.add(new GroupStats(pool.groupName(g), h.lag(g), h.taken(g),
                    cb.lvCounter(rec + ControlBlock.G_DROPPED), cb.lvCounter(rec + ControlBlock.G_STALE_SKIPPED),
                    heldBy[g], cb.lvCounter(rec + ControlBlock.G_ACQUIRE_WAITS),
                    cb.lvCounter(rec + ControlBlock.G_ACQUIRE_TIMEOUTS), cb.lvCounter(rec + ControlBlock.G_FULL_POPS),
                    cb.lvCounter(rec + ControlBlock.G_LOST_TO_CRASH)));
        }
        long totalBytes = 0;
        for (int s = 0; s < h.slotCount; s++) totalBytes += pool.bufferSize(s);
        return new PoolStats(pool.name(), h.slotCount, byState[FrameState.IDLE.ordinal()],
                byState[FrameState.LOCKED_BY_PRODUCER.ordinal()], byState[FrameState.READY_FOR_CONSUME.ordinal()],
                byState[FrameState.LOCKED_BY_CONSUMER.ordinal()], byState[FrameState.RETIRED.ordinal()],
                pool.getBufferSize(), totalBytes, cb.byteSize(), pool.backing(),
                h.published(), cb.lvCounter(ControlBlock.P_ACQUIRE_WAITS),
                cb.lvCounter(ControlBlock.P_ACQUIRE_TIMEOUTS), cb.lvCounter(ControlBlock.P_ACQUIRE_FAILS),
                cb.lvCounter(ControlBlock.P_RECLAIMS), List.copyOf(groups),
                byState[FrameState.HELD_BY_DECODER.ordinal()], references,
                cb.lvCounter(ControlBlock.P_PEER_RECOVERIES), cb.lvCounter(ControlBlock.P_SLOTS_RECOVERED));
    }

    /** The buffer table of {@link FramePool#printAllBuffers()}. */
    String buffersReport() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("pool '%s': %d buffers%n", pool.name(), h.slotCount));
        sb.append(String.format("%5s %-19s %4s %6s %10s %18s %12s %9s %-9s %s%n",
                "id", "state", "refs", "gen", "sequence", "address", "phys", "bytes", "owner", "held by"));
        for (int s = 0; s < h.slotCount; s++) {
            BufferInfo i = bufferById(s).orElseThrow();
            sb.append(String.format("%5d %-19s %4d %6d %10d %#18x %#12x %9d %-9s %s%n", s, i.state(), i.refCount(),
                    i.generation(), i.sequence(), i.segment().address(), i.physicalAddress(), i.size(),
                    i.ownership(), i.heldBy().isEmpty() ? "-" : String.join(",", i.heldBy())));
        }
        return sb.toString();
    }

    /** See {@link FramePool#ownersOf(int)}. */
    String ownersOf(int id, List<Peer> peers) {
        if (!h.tracked || id < 0 || id >= h.slotCount) return "-";
        var sb = new StringBuilder();
        long w = cb.lvWord(id);
        if (SlotWord.phase(w) == SlotWord.PRODUCER) sb.append("filling: ").append(peer(peers, SlotWord.owner(w)));
        if (h.refBit != 0) {
            int holder = cb.lvHolder(id, SlotWord.REFERENCE_GROUP);
            if (holder != 0) {
                if (sb.length() > 0) sb.append("; ");
                sb.append((SlotWord.held(w) & h.refBit) != 0 && SlotWord.phase(w) == SlotWord.PUBLISHED ? "held by the decoder "
                        : "claimed by the decoder ").append(peer(peers, holder));
            }
        }
        for (int g = 0; g < h.groupCount; g++) {
            int holder = cb.lvHolder(id, g);
            if (holder == 0) continue;
            if (sb.length() > 0) sb.append("; ");
            sb.append((SlotWord.held(w) & (1 << g)) != 0 ? "held by " : "claimed by ").append(pool.groupName(g)).append(' ')
                    .append(peer(peers, holder));
        }
        return sb.length() == 0 ? "-" : sb.toString();
    }

    private static String peer(List<Peer> peers, int index) {
        for (Peer p : peers) if (p.index() == index) return "#" + index + " pid " + p.pid() + (p.alive() ? "" : " (dead)");
        return "#" + index + " (no such process entry)";
    }

    Ownership ownership(int s) { return pool.ownership(s); }
}
