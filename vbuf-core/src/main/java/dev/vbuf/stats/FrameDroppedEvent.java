package dev.vbuf.stats;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** JFR: a frame was taken back from a consumer group before the group read it. */
@Name("dev.vbuf.FrameDropped")
@Label("Frame Dropped")
@Category({"vbuf", "Frame Pool"})
@Description("A filled frame was taken back from a consumer group by the overflow policy")
@StackTrace(false)
public final class FrameDroppedEvent extends Event {
    @Label("Pool") public String pool;
    @Label("Group") public String group;
    @Label("Frame Id") public int frameId;
    @Label("Sequence") public long sequence;
    @Label("Reason") public String reason;
}
