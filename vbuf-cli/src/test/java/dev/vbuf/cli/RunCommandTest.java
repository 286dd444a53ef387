package dev.vbuf.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code vbuf run} with small frames; no assertion depends on timing. */
class RunCommandTest {
    private static final String SMALL = "320x240";

    @Test
    void defaultGroupsVerifyEveryFrameAndDropNothing() {
        Cli r = Cli.run("run", "--size", SMALL, "--frames", "200", "--fps", "0", "--json");
        assertEquals(0, r.exit(), r::toString);
        String json = r.out().strip();
        assertTrue(json.startsWith("{") && json.endsWith("}") && json.lines().count() == 1, r::toString);
        assertTrue(json.contains("\"ok\":true"), r::toString);
        assertEquals(200, r.number("produced"));
        assertEquals(0, r.number("verifyFailures"));
        assertEquals(0, r.number("dropped"));
        for (String g : new String[] {"verify", "sample"}) {
            assertEquals(200, r.number(g, "produced"), g);
            assertEquals(200, r.number(g, "consumed"), g);
            assertEquals(0, r.number(g, "dropped"), g);
            assertEquals(0, r.number(g, "failures"), g);
        }
        assertEquals(200, r.number("verify", "verified"));
        assertEquals(20, r.number("sample", "verified"));
        assertEquals(320 * 240 * 3 / 2, r.number("bytesPerFrame"));
        assertEquals(r.number("poolFrames") * r.number("bytesPerFrame"), r.number("totalBytes"));
        for (String key : new String[] {"fps", "latencyP50Us", "latencyP99Us", "latencyP999Us", "latencyMaxUs",
                "gcCollections", "gcTimeMs", "durationMs", "producerSkipped"}) {
            r.number(key);
        }
        assertTrue(json.contains("\"policy\":\"block\"") && json.contains("\"size\":\"320x240\"")
                && json.contains("\"format\":\"NV12\""), r::toString);
    }

    @Test
    void dropOldestDropsOnlyForTheSlowGroup() {
        // The slow group needs 30 ms a frame against 10 ms between frames, so it must drop; the fast
        // groups have a whole pool of frames (tens of ms) of slack, so a loaded machine that pauses
        // their threads for a few ms does not make them drop too.
        Cli r = Cli.run("run", "--size", SMALL, "--frames", "100", "--fps", "100", "--slow-consumer-ms", "30",
                "--policy", "drop-oldest", "--json");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.number("slow", "dropped") > 0, r::toString);
        assertEquals(100, r.number("slow", "consumed") + r.number("slow", "dropped"), r::toString);
        assertEquals(0, r.number("verify", "dropped"), r::toString);
        assertEquals(0, r.number("sample", "dropped"), r::toString);
        assertEquals(100, r.number("verify", "consumed"), r::toString);
        assertEquals(0, r.number("verifyFailures"), r::toString);
    }

    @Test
    void blockWithASlowGroupSlowsTheProducerAndDropsNothing() {
        Cli r = Cli.run("run", "--size", SMALL, "--frames", "30", "--fps", "0", "--slow-consumer-ms", "1", "--json");
        assertEquals(0, r.exit(), r::toString);
        assertEquals(0, r.number("dropped"), r::toString);
        assertEquals(30, r.number("slow", "consumed"), r::toString);
    }

    @Test
    void failSkipsFramesAtTheProducerAndTheGroupsStillAddUp() {
        Cli r = Cli.run("run", "--size", SMALL, "--frames", "200", "--fps", "0", "--policy", "fail", "--json");
        assertEquals(0, r.exit(), r::toString);
        long produced = r.number("produced");
        assertEquals(200, produced + r.number("producerSkipped"), r::toString);
        assertEquals(produced, r.number("verify", "consumed"), r::toString);
        assertEquals(0, r.number("dropped"), r::toString);
    }

    @Test
    void adaptiveAndOtherFormatsVerify() {
        Cli r = Cli.run("run", "--size", "64x48", "--format", "rgba", "--frames", "50", "--fps", "0",
                "--policy", "adaptive", "--wait", "yield", "--json");
        assertEquals(0, r.exit(), r::toString);
        assertEquals(0, r.number("verifyFailures"));
        assertEquals(64 * 48 * 4, r.number("bytesPerFrame"));
    }

    @Test
    void moreGroupsEachVerifyEveryFrame() {
        Cli r = Cli.run("run", "--size", SMALL, "--frames", "40", "--fps", "0", "--groups", "4", "--json");
        assertEquals(0, r.exit(), r::toString);
        assertEquals(40, r.number("group3", "verified"), r::toString);
        assertEquals(40, r.number("group4", "verified"), r::toString);
        assertEquals(10, r.number("poolFrames"), "minimum max(4, 2 x groups + 2)");
    }

    @Test
    void memfdMemoryVerifiesAndSaysSo() {
        Cli r = Cli.run("run", "--size", SMALL, "--frames", "50", "--fps", "0", "--memory", "memfd,locked", "--json");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("\"backing\":\"memfd+locked:"), r::toString);
        assertTrue(r.out().contains("locked (mlock)"), r::toString);
        assertEquals(50, r.number("verify", "verified"), r::toString);
    }

    @Test
    void oneGroupIsVerifyOnly() {
        Cli r = Cli.run("run", "--size", SMALL, "--frames", "20", "--fps", "0", "--groups", "1", "--pool", "2", "--json");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(!r.out().contains("\"sample\""), r::toString);
        assertEquals(2, r.number("poolFrames"));
    }

    @Test
    void durationAtAFixedRateMakesRateTimesDurationFrames() {
        Cli r = Cli.run("run", "--size", SMALL, "--fps", "100", "--duration", "100ms", "--json");
        assertEquals(0, r.exit(), r::toString);
        assertEquals(10, r.number("produced"), r::toString);
    }

    @Test
    void humanSummaryNamesEveryGroupAndThePool() {
        Cli r = Cli.run("run", "--size", SMALL, "--frames", "30", "--fps", "0", "--slow-consumer-ms", "1");
        assertEquals(0, r.exit(), r::toString);
        for (String s : new String[] {"verify", "sample", "slow", "producer", "pool", "gc", "result    OK", "banks: HOT"}) {
            assertTrue(r.out().contains(s), () -> s + " missing in\n" + r);
        }
    }
}
