package dev.vbuf.cli;

import dev.vbuf.pool.FramePool;
import dev.vbuf.pool.Overflow;
import dev.vbuf.stats.GroupStats;
import dev.vbuf.stats.PoolStats;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Watches the groups of a shared pool that other processes read, for {@code vbuf run --shared}:
 * once a second (with the status line) it says, on a line of its own, when a group has frames
 * waiting and took none since the last look (no reader attached, or its reader left), which
 * process detached, and what to do: attach a reader, or change the policy. It says so once per
 * change, not every second.
 *
 * <p>A process attached to the pool is not tied to a group in the pool's process table, so the
 * group that lost its reader is the one whose frames stopped being taken; the process named is
 * the one that detached since the last look.
 */
final class RemoteWatch {
    private final String pool;
    private final List<String> groups;
    private final Overflow policy;
    private final Map<String, Long> lastTaken = new HashMap<>();
    private final Set<String> withoutReader = new HashSet<>();
    private final Set<String> everRead = new HashSet<>();
    private Set<Long> peers = Set.of();
    private final List<Long> departed = new ArrayList<>();

    RemoteWatch(String pool, List<String> groups, Overflow policy) {
        this.pool = pool;
        this.groups = List.copyOf(groups);
        this.policy = policy;
    }

    /** What changed since the last call: lines for the user, often none. */
    List<String> check(FramePool fp, PoolStats ps, double rate) {
        var notes = new ArrayList<String>();
        var now = new HashSet<Long>();
        for (var p : fp.peers()) { // a peer record (its package moves with the pool's restructuring)
            if (p.alive() && !"creator".equals(p.role())) now.add(p.pid());
        }
        for (Long pid : peers) if (!now.contains(pid)) departed.add(pid);
        peers = now;
        for (String g : groups) {
            GroupStats gs = null;
            for (GroupStats x : ps.groups()) if (x.name().equals(g)) gs = x;
            if (gs == null) continue;
            long before = lastTaken.getOrDefault(g, -1L);
            lastTaken.put(g, gs.taken());
            boolean progressed = gs.taken() > Math.max(0, before);
            if (progressed) {
                everRead.add(g);
                if (withoutReader.remove(g)) notes.add("vbuf run: group '" + g + "' has a reader again");
                continue;
            }
            if (before < 0 || gs.lag() == 0 || withoutReader.contains(g)) continue;
            withoutReader.add(g);
            String who;
            if (everRead.contains(g)) {
                who = "group '" + g + "' lost its reader" + (departed.isEmpty() ? "" : " (process " + pids() + " detached)");
            } else {
                who = "group '" + g + "' has no reader yet";
            }
            String attach = "'vbuf consume " + pool + (g.equals(RunCommand.REMOTE_GROUP) ? "" : " --group " + g) + "'";
            String what = switch (policy) {
                case BLOCK, ADAPTIVE -> ": " + gs.lag() + " frame(s) wait for it and the producer waits"
                        + (rate < 0.5 ? " (fps 0)" : "") + "; attach a reader with " + attach
                        + ", or run with --policy drop-oldest to go on without it";
                case DROP_OLDEST -> ": its oldest frames are dropped to keep the stream going; attach a reader with " + attach;
                case FAIL -> ": once the pool is full the producer skips frames; attach a reader with " + attach
                        + ", or run with --policy drop-oldest to go on without it";
            };
            notes.add("vbuf run: " + who + what);
        }
        if (!notes.isEmpty()) departed.clear();
        return notes;
    }

    private String pids() {
        return departed.size() == 1 ? Long.toString(departed.getFirst()) : departed.toString();
    }
}
