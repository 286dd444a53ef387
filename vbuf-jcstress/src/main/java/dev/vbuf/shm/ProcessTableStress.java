package dev.vbuf.shm;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJ_Result;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * jcstress test of the process table's identity: a process registers in an entry that the last
 * process left with its own start time, while a monitor reads the entry to judge liveness. The
 * monitor must never pair the new pid with the old start time (which would judge a live process
 * dead and recover its frames under it).
 */
public final class ProcessTableStress {
    private ProcessTableStress() {}

    static final long OLD_START = 1111, NEW_START = 2222, PID = 42;

    @JCStressTest
    @Description("Claim of a freed entry (old start time still there) against a monitor's read of it:"
            + " the start time a reader trusts is the new one, or none (judged by pid while CLAIMING).")
    @Outcome(id = "0, 0", expect = ACCEPTABLE, desc = "read before the claim: a free entry")
    @Outcome(id = "3, 0", expect = ACCEPTABLE, desc = "read while CLAIMING: judged by the pid alone")
    @Outcome(id = "1, 2222", expect = ACCEPTABLE, desc = "read once LIVE: the new start time")
    @Outcome(expect = FORBIDDEN, desc = "a new pid paired with the old start time (a live process judged dead)")
    @State
    public static class ClaimAgainstJudge {
        final MemorySegment seg = Arena.ofAuto().allocate(ProcessTable.PROCESS_BYTES, 64);
        final ProcessTable table = new ProcessTable(seg, 0, 1);
        {
            seg.set(ValueLayout.JAVA_LONG, ProcessTable.PR_START_TIME, OLD_START); // a freed entry keeps it
        }

        @Actor public void register() {
            table.claim(PID, NEW_START, ProcessTable.ROLE_ATTACHED);
        }

        @Actor public void monitor(JJ_Result r) {
            ProcessTable.Identity id = table.identity(1);
            r.r1 = id.state();
            r.r2 = id.startTime();
        }
    }
}
