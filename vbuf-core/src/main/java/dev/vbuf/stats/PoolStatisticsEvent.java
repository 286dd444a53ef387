package dev.vbuf.stats;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Period;
import jdk.jfr.StackTrace;

/**
 * JFR: a pool's {@link PoolStats}, once a period (1 s by default; {@code period} in a JFR
 * settings file changes it), recorded only while a recording has it enabled. One field per
 * numeric component of PoolStats, of the same name, so a recording carries what the MBean and
 * {@code vbuf serve}'s /metrics carry; each group's figures are a {@link GroupStatisticsEvent} of
 * the same moment. Emitted for pools built with {@code jmx(true)} (the default).
 */
@Name("dev.vbuf.PoolStatistics")
@Label("Pool Statistics")
@Category({"vbuf", "Frame Pool"})
@Description("A frame pool's counters and buffers per state, once a period")
@Period("1 s")
@StackTrace(false)
public final class PoolStatisticsEvent extends Event {
    @Label("Pool") public String name;
    @Label("Buffers") public int total;
    @Label("Idle (COLD)") public int idle;
    @Label("Being Filled (HOT)") public int producerLocked;
    @Label("Queued (WARM)") public int ready;
    @Label("Being Read (HOT)") public int consumerLocked;
    @Label("Retired") public int retired;
    @Label("Held by the Decoder (HOT)") public int heldByDecoder;
    @Label("Decoder References") public int references;
    @Label("Buffer Size") @DataAmount public long bufferBytes;
    @Label("Buffer Memory") @DataAmount public long totalBytes;
    @Label("Control Block") @DataAmount public long controlBytes;
    @Label("Backing") public String backing;
    @Label("Published") public long published;
    @Label("Acquire Waits") public long acquireWaits;
    @Label("Acquire Timeouts") public long acquireTimeouts;
    @Label("Acquire Fails") public long acquireFails;
    @Label("Reclaims") @Description("Frames taken back from consumers by the overflow policy") public long reclaims;
    @Label("Peer Recoveries") public long peerRecoveries;
    @Label("Slots Recovered") public long slotsRecovered;
    @Label("Drops") @Description("Drops summed over groups") public long drops;

    /** Fills the fields from {@code s}. */
    public PoolStatisticsEvent set(PoolStats s) {
        name = s.name();
        total = s.total();
        idle = s.idle();
        producerLocked = s.producerLocked();
        ready = s.ready();
        consumerLocked = s.consumerLocked();
        retired = s.retired();
        heldByDecoder = s.heldByDecoder();
        references = s.references();
        bufferBytes = s.bufferBytes();
        totalBytes = s.totalBytes();
        controlBytes = s.controlBytes();
        backing = s.backing();
        published = s.published();
        acquireWaits = s.acquireWaits();
        acquireTimeouts = s.acquireTimeouts();
        acquireFails = s.acquireFails();
        reclaims = s.reclaims();
        peerRecoveries = s.peerRecoveries();
        slotsRecovered = s.slotsRecovered();
        drops = s.drops();
        return this;
    }
}
