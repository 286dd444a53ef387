package dev.vbuf.stats;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * JFR: one consumer group's {@link GroupStats}, recorded with each {@link PoolStatisticsEvent}
 * (same period, same moment). One field per component of GroupStats, of the same name.
 */
@Name("dev.vbuf.GroupStatistics")
@Label("Group Statistics")
@Category({"vbuf", "Frame Pool"})
@Description("A consumer group's counters, recorded with the pool's statistics")
@StackTrace(false)
public final class GroupStatisticsEvent extends Event {
    @Label("Pool") public String pool;
    @Label("Group") public String name;
    @Label("Lag") @Description("Frames published to the group and not yet taken or dropped") public long lag;
    @Label("Taken") public long taken;
    @Label("Dropped") @Description("All causes") public long dropped;
    @Label("Stale Skipped") public long staleSkipped;
    @Label("Held") public int held;
    @Label("Acquire Waits") public long acquireWaits;
    @Label("Timeouts") public long timeouts;
    @Label("Queue Full Drops") public long queueFull;
    @Label("Lost to Crash") public long lostToCrash;

    /** Fills the fields from {@code g} of pool {@code pool}. */
    public GroupStatisticsEvent set(String pool, GroupStats g) {
        this.pool = pool;
        name = g.name();
        lag = g.lag();
        taken = g.taken();
        dropped = g.dropped();
        staleSkipped = g.staleSkipped();
        held = g.held();
        acquireWaits = g.acquireWaits();
        timeouts = g.timeouts();
        queueFull = g.queueFull();
        lostToCrash = g.lostToCrash();
        return this;
    }
}
