package dev.vbuf.bench.harness;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Starts the child JVMs of one transport and size, or of one floor ({@code java -cp <this class path>
 * dev.vbuf.bench.harness.BenchChild ...}), connects them through the endpoint the first one prints,
 * waits for both results, and stops them (forcibly, if they overrun their deadline). A child's
 * standard error goes to a temporary file whose last lines are quoted when it fails.
 */
final class PairRunner {
    private PairRunner() {}

    /** The JVM flags of a child: FFM for vbuf, sun.misc.Unsafe for Agrona/Aeron without warnings. */
    static List<String> javaCommand() {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path") + System.getProperty("path.separator") + System.getProperty("jdk.module.path", "") /* on the module path too (tests) */, BenchChild.class.getName()));
        return cmd;
    }

    /** Both sides' results as key -> value maps ("consumer", "producer"). */
    record Outcome(Map<String, Long> consumer, Map<String, Long> producer, String error) {}

    static Outcome run(BenchSpec spec, long timeoutNanos) throws IOException, InterruptedException {
        Transport t = spec.transport();
        List<String> roles = t.singleProcess() ? List.of("both")
                : t.producerFirst ? List.of("producer", "consumer") : List.of("consumer", "producer");
        return run(t.id, roles, spec.toArgs(), timeoutNanos);
    }

    /** The two processes of a floor (it prints its results as "consumer" and "producer" too). */
    static Outcome run(Floor floor, long timeoutNanos) throws IOException, InterruptedException {
        return run(floor.label, floor.roles(), floor.args(), timeoutNanos);
    }

    /**
     * Starts one child per role with {@code args}: the first alone; a second, if any, with the
     * endpoint the first prints. {@code what} names the run in errors.
     */
    private static Outcome run(String what, List<String> roles, List<String> args, long timeoutNanos)
            throws IOException, InterruptedException {
        List<Child> children = new ArrayList<>();
        try {
            if (roles.size() == 1) {
                children.add(Child.start(roles.get(0), args, null));
                return collect(children, what, timeoutNanos);
            }
            String firstRole = roles.get(0);
            String secondRole = roles.get(1);
            Child first = Child.start(firstRole, args, null);
            children.add(first);
            long deadline = System.nanoTime() + timeoutNanos;
            String endpoint = null;
            while (endpoint == null) {
                String line = first.lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (line == null) return new Outcome(null, null, firstRole + " did not get ready in time" + first.tail());
                if (line.startsWith("READY ")) endpoint = line.substring(6).trim();
                else if (line.startsWith("ERROR") || line.equals(Child.EOF)) {
                    first.process.waitFor(5, TimeUnit.SECONDS);
                    return new Outcome(null, null, firstRole + ": " + line + first.tail());
                }
            }
            children.add(Child.start(secondRole, args, endpoint));
            return collect(children, what, Math.max(1, deadline - System.nanoTime()));
        } finally {
            for (Child c : children) c.stop();
        }
    }

    private static Outcome collect(List<Child> children, String what, long timeoutNanos) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutNanos;
        Map<String, Map<String, Long>> results = new HashMap<>();
        for (Child c : children) {
            while (true) {
                String line = c.lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (line == null) {
                    return new Outcome(null, null, what + " " + c.role + " did not finish within "
                            + TimeUnit.NANOSECONDS.toSeconds(timeoutNanos) + " s" + c.tail());
                }
                if (line.equals(Child.EOF)) break;
                if (line.startsWith("ERROR")) {
                    c.process.waitFor(5, TimeUnit.SECONDS);
                    return new Outcome(null, null, c.role + ": " + line + c.tail());
                }
                if (line.startsWith("RESULT ")) {
                    Map<String, Long> m = new HashMap<>();
                    String role = null;
                    for (String kv : line.substring(7).trim().split(" ")) {
                        int eq = kv.indexOf('=');
                        String k = kv.substring(0, eq), v = kv.substring(eq + 1);
                        if (k.equals("role")) role = v;
                        else m.put(k, Long.parseLong(v));
                    }
                    results.put(role, m);
                }
            }
            c.process.waitFor(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (c.process.isAlive() || c.process.exitValue() != 0) {
                return new Outcome(null, null, c.role + " exited " + (c.process.isAlive() ? "late" : c.process.exitValue()) + c.tail());
            }
        }
        if (!results.containsKey("consumer") || !results.containsKey("producer")) {
            return new Outcome(null, null, "missing result lines from the children");
        }
        return new Outcome(results.get("consumer"), results.get("producer"), null);
    }

    private static final class Child {
        static final String EOF = "\u0000EOF";
        final String role;
        final Process process;
        final File stderr;
        final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();

        private Child(String role, Process process, File stderr) {
            this.role = role;
            this.process = process;
            this.stderr = stderr;
        }

        static Child start(String role, List<String> args, String endpoint) throws IOException {
            List<String> cmd = javaCommand();
            cmd.add(role);
            cmd.addAll(args);
            if (endpoint != null) cmd.add("endpoint=" + endpoint);
            File err = File.createTempFile("vbuf-bench-" + role + "-", ".log");
            err.deleteOnExit();
            Process p = new ProcessBuilder(cmd).redirectError(err).start();
            Child c = new Child(role, p, err);
            Thread reader = new Thread(() -> {
                try (var in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = in.readLine()) != null) {
                        if (line.startsWith(BenchChild.PREFIX)) c.lines.add(line.substring(BenchChild.PREFIX.length()));
                    }
                } catch (IOException ignored) {
                    // the process is gone; EOF below
                }
                c.lines.add(EOF);
            }, "bench-" + role + "-out");
            reader.setDaemon(true);
            reader.start();
            return c;
        }

        String tail() {
            try {
                List<String> all = Files.readAllLines(stderr.toPath());
                List<String> last = all.subList(Math.max(0, all.size() - 8), all.size());
                return last.isEmpty() ? "" : " (stderr of " + role + ": " + String.join(" | ", last) + ")";
            } catch (IOException e) {
                return "";
            }
        }

        void stop() {
            try {
                process.getOutputStream().close(); // the child's parent watch exits on EOF
            } catch (IOException ignored) {
                // already closed
            }
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            stderr.delete();
            removeLeftovers(process.pid());
        }

        /**
         * A child stopped by force cannot clean up: remove what it would have removed — its Aeron
         * directory, its shared pool's file or its floor file, all named after its pid (nothing
         * else matches).
         */
        static void removeLeftovers(long pid) {
            for (Path p : List.of(Path.of("/dev/shm/vbuf-bench-aeron-" + pid), Path.of("/dev/shm/vbuf.vbuf-bench-" + pid),
                    Floor.file(pid))) {
                if (!Files.exists(p)) continue;
                try (var walk = Files.walk(p)) {
                    walk.sorted(java.util.Comparator.reverseOrder()).forEach(q -> q.toFile().delete());
                } catch (IOException ignored) {
                    // best effort: a later run uses another pid
                }
            }
        }
    }
}
