package dev.vbuf.cli;

import dev.vbuf.pool.Consumer;
import dev.vbuf.pool.FramePool;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Where {@code vbuf receive} and {@code vbuf replay} put the frames that come in: {@code --shared}
 * and {@code --remote-groups}, and the wait for the local readers of such a pool at the end.
 */
final class IncomingPoolOptions {
    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--shared", paramLabel = "NAME",
            description = "Put the frames in a shared pool /dev/shm/vbuf.NAME for other processes ('vbuf consume NAME').")
    String shared;

    @Option(names = "--remote-groups", paramLabel = "G1,G2", split = ",", defaultValue = RunCommand.REMOTE_GROUP,
            description = "With --shared: the consumer groups other processes read. Default: ${DEFAULT-VALUE}.")
    List<String> remoteGroups;

    /** True with --shared. */
    boolean isShared() { return shared != null; }

    /** Checks --shared's name. */
    void check() {
        if (shared == null) return;
        try {
            dev.vbuf.shm.ShmNames.check(shared);
        } catch (IllegalArgumentException e) {
            throw Flags.bad(spec, "--shared: " + e.getMessage());
        }
    }

    /**
     * After the pool's end of stream was marked: waits until each of {@code groups} has read
     * everything (its lag is 0: the readers of other processes took the end-of-stream frame too),
     * until {@code deadlineNanos} (System.nanoTime) or until {@code stop} says so. Waits with a
     * back-off (spin, yield, park up to 1 ms), not a fixed sleep.
     *
     * @return true if every group read everything
     */
    static boolean awaitReaders(FramePool pool, List<String> groups, long deadlineNanos, BooleanSupplier stop) {
        for (String g : groups) {
            Consumer c = pool.consumer(g);
            for (int turn = 0; c.lag() > 0; turn++) {
                if (stop.getAsBoolean() || System.nanoTime() - deadlineNanos > 0) return false;
                if (turn < 100) Thread.onSpinWait();
                else if (turn < 110) Thread.yield();
                else LockSupport.parkNanos(Math.min(1_000_000L, 1_000L << Math.min(10, turn - 110)));
            }
        }
        return true;
    }
}
