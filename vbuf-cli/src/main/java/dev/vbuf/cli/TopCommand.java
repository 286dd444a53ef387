package dev.vbuf.cli;

import dev.vbuf.monitor.Monitor;
import dev.vbuf.monitor.PoolView;
import dev.vbuf.monitor.TopView;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code vbuf top}: every pool on the machine in one live view that refreshes in place, like
 * {@code pw-top}: shared pools and private pools that publish their statistics (every pool the
 * {@code vbuf} commands build does), read without taking part. Keys sort and expand;
 * {@code --once --json} prints one JSON object for scripts.
 */
@Command(name = "top", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Every pool on the machine, live: per pool its backing, buffers, bytes, fps in and out,"
                + " HOT/WARM/COLD (being filled or read / queued / free), drops by cause and producer waits; per group"
                + " its lag, fps, drops, the age of its oldest frame held and its latency p50/p99 (sampled);"
                + " per process its pid, role and frames held. Stale pools are marked.",
                "Keys: up/down (or k/j) select a pool, enter (or e) expands it, a expands all, s changes the sort column,"
                        + " r reverses it, q quits."})
public final class TopCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--once", description = "Print once and exit (after watching --span-ms for the rates).")
    boolean once;

    @Option(names = "--json", description = "Print one JSON object (every pool, its groups, processes and slots) and exit.")
    boolean json;

    @Option(names = "--interval-ms", paramLabel = "MS", defaultValue = "1000",
            description = "Refresh period of the live view, 100..60000 ms. Default: ${DEFAULT-VALUE}.")
    int intervalMs;

    @Option(names = "--span-ms", paramLabel = "MS", defaultValue = "1000",
            description = "With --once or --json: how long to watch before printing (rates are over this span), 100..60000 ms."
                    + " Default: ${DEFAULT-VALUE}.")
    int spanMs;

    @Option(names = "--sort", paramLabel = "COLUMN", defaultValue = "name",
            description = "Sort pools by name, fps, drops, lag or bytes (largest first). Default: ${DEFAULT-VALUE}.")
    String sort;

    @Option(names = "--expand", description = "Show every pool's groups, processes and slots.")
    boolean expand;

    @Override
    public Integer call() throws Exception {
        Flags.range(spec, "--interval-ms", intervalMs, 100, 60_000);
        Flags.range(spec, "--span-ms", spanMs, 100, 60_000);
        TopView view = new TopView();
        try {
            view.sort(TopView.Sort.valueOf(sort.toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            throw Flags.bad(spec, "--sort " + sort + " is not a column: give name, fps, drops, lag or bytes");
        }
        PrintWriter out = spec.commandLine().getOut();
        Monitor.Options options = new Monitor.Options(Duration.ofMillis(5), Duration.ofMillis(Math.min(250, spanMs / 2)),
                Duration.ofSeconds(5));
        if (once || json || !StatusLine.isTerminal()) {
            Monitor.Snapshot s = Monitor.once(options, Duration.ofMillis(spanMs));
            out.print(json ? s.toJson() + System.lineSeparator() : view.render(s.pools(), s.problems(), 0, false, expand));
            out.flush();
            return 0;
        }
        return live(view, out, options);
    }

    private int live(TopView view, PrintWriter out, Monitor.Options options) throws Exception {
        Terminal term = Terminal.raw();
        try (Monitor monitor = new Monitor(options).start()) {
            long seen = monitor.awaitNewer(0, Duration.ofSeconds(2));
            long nextDraw = 0;
            boolean dirty = true;
            while (!Thread.currentThread().isInterrupted()) {
                int key = term.read();
                if (key == 'q' || key == 'Q' || key == 3 /* Ctrl-C */) break;
                if (key != -1) {
                    dirty = true;
                    switch (key) {
                        case 'k', Terminal.UP -> view.up();
                        case 'j', Terminal.DOWN -> view.down();
                        case '\r', '\n', 'e' -> view.toggle();
                        case 'a' -> view.toggleAll();
                        case 's' -> view.nextSort();
                        case 'r' -> view.reverse();
                        default -> dirty = false;
                    }
                }
                long now = System.nanoTime();
                if (dirty || now - nextDraw >= 0) {
                    List<PoolView> pools = monitor.views();
                    int[] size = term.size();
                    String screen = view.render(pools, monitor.problems(), size[1], true, expand);
                    String[] lines = screen.split("\n", -1);
                    var b = new StringBuilder("\u001b[H");
                    for (int i = 0; i < Math.min(lines.length, size[0] - 1); i++) b.append(lines[i]).append("\u001b[K\r\n");
                    b.append("\u001b[J");
                    out.print(b);
                    out.flush();
                    nextDraw = now + intervalMs * 1_000_000L;
                    dirty = false;
                }
                Thread.sleep(20);
            }
            return 0;
        } finally {
            term.restore();
            out.println();
            out.flush();
        }
    }

    /** The terminal in character mode (stty -icanon -echo) while top runs, restored after; keys read without Enter. */
    static final class Terminal {
        static final int UP = 1000, DOWN = 1001;
        private final String saved;
        private final InputStream in = System.in;
        private final Thread restoreHook;

        private Terminal(String saved) {
            this.saved = saved;
            this.restoreHook = new Thread(this::restoreNow, "vbuf-top-tty");
            Runtime.getRuntime().addShutdownHook(restoreHook);
            System.out.print("\u001b[?25l\u001b[2J"); // hide the cursor, clear
            System.out.flush();
        }

        static Terminal raw() throws IOException, InterruptedException {
            String saved = stty("-g").trim();
            stty("-icanon", "-echo", "min", "0", "time", "0");
            return new Terminal(saved);
        }

        private static String stty(String... args) throws IOException, InterruptedException {
            var cmd = new java.util.ArrayList<>(List.of("stty"));
            cmd.addAll(List.of(args));
            Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/tty"))).start();
            String s = new String(p.getInputStream().readAllBytes());
            p.waitFor();
            return s;
        }

        /** Rows and columns (24 x 80 when stty cannot tell). */
        int[] size() {
            try {
                String[] f = stty("size").trim().split("\\s+");
                return new int[] {Integer.parseInt(f[0]), Integer.parseInt(f[1])};
            } catch (IOException | RuntimeException e) {
                return new int[] {24, 80};
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new int[] {24, 80};
            }
        }

        /** A key, or -1 when none was pressed; arrow keys as {@link #UP}/{@link #DOWN}. */
        int read() throws IOException {
            if (in.available() <= 0) return -1;
            int c = in.read();
            if (c == 27 && in.available() >= 2) {
                int b1 = in.read(), b2 = in.read();
                if (b1 == '[' && b2 == 'A') return UP;
                if (b1 == '[' && b2 == 'B') return DOWN;
                return -1;
            }
            return c;
        }

        void restore() {
            restoreNow();
            try {
                Runtime.getRuntime().removeShutdownHook(restoreHook);
            } catch (IllegalStateException shuttingDown) {
                // the hook restores
            }
        }

        private void restoreNow() {
            System.out.print("\u001b[?25h");
            System.out.flush();
            try {
                stty(saved);
            } catch (IOException | RuntimeException e) {
                // nothing more to do
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
