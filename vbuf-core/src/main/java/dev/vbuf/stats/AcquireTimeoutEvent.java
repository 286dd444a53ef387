package dev.vbuf.stats;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/** JFR: an acquire gave up after its timeout. */
@Name("dev.vbuf.AcquireTimeout")
@Label("Acquire Timeout")
@Category({"vbuf", "Frame Pool"})
@Description("acquireFree or acquireFilled returned nothing after waiting its whole timeout")
@StackTrace(false)
public final class AcquireTimeoutEvent extends Event {
    @Label("Pool") public String pool;
    @Label("Side") @Description("producer or the consumer group's name") public String side;
    @Label("Timeout") @Timespan(Timespan.NANOSECONDS) public long timeout;
}
