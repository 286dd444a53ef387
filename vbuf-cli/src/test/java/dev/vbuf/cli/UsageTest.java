package dev.vbuf.cli;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad flag values exit 2 with a message naming the flag, the value and what is accepted. */
class UsageTest {
    @ParameterizedTest(name = "run {0} {1}")
    @CsvSource(delimiter = '|', value = {
            "--fps|-1|--fps -1 is outside 0..1000",
            "--fps|2000|--fps 2000 is outside 0..1000",
            "--size|0x10|--size 0x10: width 0 is outside 1..16384",
            "--size|10x99999|--size 10x99999: height 99999 is outside 1..16384",
            "--size|big|--size big is not WIDTHxHEIGHT",
            "--size|321x240|--size 321x240 does not fit --format nv12: Width 321 is odd",
            "--format|foo|--format foo is not a known pixel format. Accepted formats",
            "--policy|xyz|--policy xyz is not one of block, fail, drop-oldest, adaptive",
            "--pool|0|--pool 0 is outside 1..65536",
            "--groups|0|--groups 0 is outside 1..16",
            "--groups|17|--groups 17 is outside 1..16",
            "--frames|0|--frames 0 is outside 1..1000000000",
            "--duration|0s|--duration 0s is outside (0 ms, 86400 s]",
            "--duration|soon|--duration soon is not a duration",
            "--slow-consumer-ms|0|--slow-consumer-ms 0 is outside 1..10000",
            "--wait|sleep|--wait sleep is not one of spin, yield, park",
            "--memory|gpu|--memory gpu: 'gpu' is not a kind of memory; give anon (or aligned), hugepages, memfd",
            "--memory|numa:7|NUMA node 7 does not exist on this machine; it has node",
            "--memory|memfd,hugepages|--memory memfd,hugepages names two kinds of memory",
            "--latency|0ms|--latency 0ms is outside (0 ms, 60 s]",
            "--transfer|61s|--transfer 61s is outside 0 ms..60 s",
    })
    void runRejects(String flag, String value, String message) {
        var args = new java.util.ArrayList<String>(java.util.List.of("run"));
        if (!flag.equals("--frames")) args.addAll(java.util.List.of("--frames", "1"));
        if (!flag.equals("--size")) args.addAll(java.util.List.of("--size", "64x48"));
        args.add(flag);
        args.add(value);
        Cli r = Cli.run(args.toArray(String[]::new));
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.err().contains(message), () -> "expected '" + message + "' in\n" + r);
    }

    @Test
    void sixteenGroupsLeaveNoRoomForTheSlowOne() {
        Cli r = Cli.run("run", "--frames", "1", "--groups", "16", "--slow-consumer-ms", "1");
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.err().contains("--groups 16 with --slow-consumer-ms makes 17 groups"), r::toString);
    }

    @Test
    void tooSmallForThePattern() {
        Cli r = Cli.run("run", "--frames", "1", "--size", "2x2");
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.err().contains("--size 2x2 is too small for the test pattern"), r::toString);
    }

    @ParameterizedTest(name = "plan {0} {1}")
    @CsvSource(delimiter = '|', value = {
            "--fps|0|--fps 0 is outside (0..1000",
            "--fps|1001|--fps 1001 is outside (0..1000",
            "--format|foo|--format foo is not a known pixel format",
            "--size|7681x4321|--size 7681x4321 does not fit --format nv12",
            "--latency|-1ms|--latency -1ms is not a duration",
            "--min-frames|-1|--min-frames -1 is outside 0..1048576",
    })
    void planRejects(String flag, String value, String message) {
        Cli r = Cli.run("plan", flag, value);
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.err().contains(message), () -> "expected '" + message + "' in\n" + r);
    }

    /** A shared flag has one converter: the same value gets the same message from every command. */
    @ParameterizedTest(name = "{0} {1} {2}")
    @CsvSource(delimiter = '|', value = {
            "capture|--policy|xyz|--policy xyz is not one of block, fail, drop-oldest, adaptive",
            "run|--policy|xyz|--policy xyz is not one of block, fail, drop-oldest, adaptive",
            "consume|--wait|sleep|--wait sleep is not one of spin, yield, park, futex",
            "run|--wait|sleep|--wait sleep is not one of spin, yield, park, futex",
            "capture|--format|foo|--format foo is not a known pixel format",
            "probe|--format|foo|--format foo is not a known pixel format",
            "plan|--size|big|--size big is not WIDTHxHEIGHT",
    })
    void sharedFlagsSayTheSameEverywhere(String command, String flag, String value, String message) {
        var args = new java.util.ArrayList<>(java.util.List.of(command, flag, value));
        if (command.equals("consume") || command.equals("probe")) args.add("x");
        Cli r = Cli.run(args.toArray(String[]::new));
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.err().startsWith(message), () -> "expected '" + message + "' first in\n" + r);
    }

    @Test
    void eachCommandHasItsOwnDefaultsForTheSharedFlags() {
        Cli run = Cli.run("run", "--help");
        assertTrue(run.out().contains("Default: 3840x2160") && run.out().contains("Default: nv12"), run::toString);
        Cli consume = Cli.run("consume", "--help");
        assertTrue(consume.out().contains("Default: futex"), consume::toString);
        Cli r = Cli.run("run", "--help");
        assertTrue(r.out().contains("Default: park"), r::toString);
    }

    @Test
    void unknownFlagAndMissingCommandAreUsageErrors() {
        Cli unknown = Cli.run("run", "--no-such-flag");
        assertEquals(2, unknown.exit());
        assertTrue(unknown.err().contains("Unknown option: '--no-such-flag'") && unknown.err().contains("vbuf run --help"),
                unknown::toString);
        assertEquals(2, Cli.run().exit());
        assertEquals(2, Cli.run("frobnicate").exit());
    }

    @Test
    void helpAndVersion() {
        Cli help = Cli.run("--help");
        assertEquals(0, help.exit());
        assertTrue(help.out().contains("plan") && help.out().contains("run"), help::toString);
        Cli runHelp = Cli.run("run", "--help");
        assertEquals(0, runHelp.exit());
        assertTrue(runHelp.out().contains("--slow-consumer-ms"), runHelp::toString);
        Cli version = Cli.run("--version");
        assertEquals(0, version.exit());
        assertTrue(version.out().startsWith("vbuf "), version::toString);
    }
}
