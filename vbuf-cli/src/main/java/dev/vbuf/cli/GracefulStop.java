package dev.vbuf.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Ctrl-C and SIGTERM for the commands that stream ({@code run}, {@code consume}), as
 * {@code gst-launch -e} does: the signal asks the command to stop; it finishes the frame in
 * hand, lets its consumers drain, prints its summary (and JSON with {@code --json}), closes
 * (detaches from) its pool, and the process exits with {@value #EXIT_CODE}.
 *
 * <p>The JVM turns both signals into a shutdown; a shutdown hook here calls the command's stop
 * action, then waits (at most {@link #GRACE_SECONDS} s) for the command to say it is
 * {@linkplain #close() done}, then ends the process with exit code {@value #EXIT_CODE}. Without a
 * signal, {@link #close()} removes the hook and nothing happens.
 */
final class GracefulStop implements AutoCloseable {
    /** Exit code after a stop by signal (128 + SIGINT, as shells report Ctrl-C). */
    static final int EXIT_CODE = 130;
    static final int GRACE_SECONDS = 30;

    private final Thread hook;
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile boolean signalled;

    private GracefulStop(String command, Runnable stop) {
        hook = new Thread(() -> {
            signalled = true;
            stop.run();
            try {
                done.await(GRACE_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Runtime.getRuntime().halt(EXIT_CODE);
        }, "vbuf-" + command + "-stop");
    }

    /** Installs the hook; {@code stop} runs on the signal (on the hook's thread) and must not block. */
    static GracefulStop install(String command, Runnable stop) {
        GracefulStop s = new GracefulStop(command, stop);
        Runtime.getRuntime().addShutdownHook(s.hook);
        return s;
    }

    /** True once a signal asked the command to stop. */
    boolean signalled() {
        return signalled;
    }

    /** The command is done (summary printed, pool closed): without a signal removes the hook, with one lets it exit. */
    @Override
    public void close() {
        if (!signalled) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // a signal arrived just now: the hook runs and waits for `done`
            }
        }
        done.countDown();
    }
}
