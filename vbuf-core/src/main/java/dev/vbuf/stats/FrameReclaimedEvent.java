package dev.vbuf.stats;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** JFR: the overflow policy took a queued frame back for the producer. */
@Name("dev.vbuf.FrameReclaimed")
@Label("Frame Reclaimed")
@Category({"vbuf", "Frame Pool"})
@Description("A queued frame no consumer held was taken back and given to the producer")
@StackTrace(false)
public final class FrameReclaimedEvent extends Event {
    @Label("Pool") public String pool;
    @Label("Frame Id") public int frameId;
    @Label("Sequence") public long sequence;
    @Label("Groups Dropped") public int groupsDropped;
    @Label("Policy") public String policy;
}
