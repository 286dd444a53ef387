package dev.vbuf.cli;

import dev.vbuf.pool.PoolBuilder;
import dev.vbuf.shm.Peer;
import dev.vbuf.shm.PoolFile;
import dev.vbuf.pool.FramePool;
import dev.vbuf.shm.ShmNames;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/** {@code vbuf shm ls} and {@code vbuf shm rm}: the shared pools in /dev/shm. */
@Command(name = "shm", mixinStandardHelpOptions = true,
        description = "List and remove shared pools (/dev/shm/vbuf.*).",
        subcommands = {ShmCommand.Ls.class, ShmCommand.Rm.class})
public final class ShmCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw Flags.bad(spec, "give a subcommand: ls or rm (vbuf shm --help)");
    }

    static List<Path> poolFiles() throws IOException {
        Path dir = ShmNames.directory();
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(ShmNames.PREFIX)).sorted().toList();
        }
    }

    static String nameOf(Path p) { return p.getFileName().toString().substring(ShmNames.PREFIX.length()); }

    @Command(name = "ls", mixinStandardHelpOptions = true, description = "List shared pools with their state: live (some"
            + " attached process is alive), stale (left by processes that are all gone) or invalid.")
    static final class Ls implements Runnable {
        @Spec
        CommandSpec spec;

        @Option(names = "--json", description = "Print one JSON object: {\"directory\", \"pools\": [{name, state, bytes, mode,"
                + " buffers, processes, detail, temporary}]} (buffers and processes null when unknown).")
        boolean json;

        @Override
        public void run() {
            if (json) {
                var j = new dev.vbuf.bench.harness.Json().begin().put("directory", ShmNames.directory().toString());
                j.array("pools");
                rows((name, state, bytes, mode, buffers, procs, detail, temporary) -> {
                    j.begin().put("name", name).put("state", state).put("bytes", bytes).put("mode", mode);
                    if (buffers.equals("-")) j.put("buffers", (String) null); else j.put("buffers", Long.parseLong(buffers));
                    if (procs.equals("-")) j.put("processes", (String) null); else j.put("processes", Long.parseLong(procs));
                    j.put("detail", detail).put("temporary", temporary).end();
                });
                PrintWriter out = spec.commandLine().getOut();
                out.println(j.endArray().end());
                out.flush();
                return;
            }
            table();
        }

        /** One listed file. */
        interface Row {
            void add(String name, String state, long bytes, String mode, String buffers, String procs, String detail, boolean temporary);
        }

        private void rows(Row row) {
            List<Path> files;
            try {
                files = poolFiles();
            } catch (IOException e) {
                throw new IllegalStateException("cannot list " + ShmNames.directory() + ": " + e, e);
            }
            for (Path p : files) {
                String name = nameOf(p);
                String mode = "?", detail = "", buffers = "-", procs = "-";
                long bytes = -1;
                try {
                    PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                    bytes = a.size();
                    mode = a.isSymbolicLink() ? "symlink" : PosixFilePermissions.toString(a.permissions());
                } catch (IOException e) {
                    detail = "cannot read it: " + e.getMessage();
                }
                String stale = PoolFile.staleReason(p);
                String state = stale == null ? "live" : stale.startsWith("no live") ? "stale" : "invalid";
                if (stale != null) detail = stale;
                try (FramePool pool = FramePool.attach(name, new PoolBuilder.AttachOptions().observe(true).jmx(false)
                        .allowGroupWritable(true))) {
                    buffers = Integer.toString(pool.getTotalCount());
                    procs = Long.toString(pool.peers().stream().filter(Peer::alive).count());
                    if (detail.isEmpty()) detail = "groups " + String.join(",", pool.groups())
                            + (pool.layout() != null ? ", " + pool.layout() : "") + (pool.endOfStream() ? ", end of stream" : "")
                            + (isSocket(p) ? ", passed by fd: " + byFd(pool.stats().backing()) : "");
                } catch (RuntimeException e) {
                    if (detail.isEmpty()) detail = e.getMessage();
                }
                row.add(name, state, bytes, mode, buffers, procs, detail, false);
            }
            for (ShmNames.TempFile t : ShmNames.tempFiles(null)) {
                long bytes;
                String mode;
                try {
                    PosixFileAttributes a = Files.readAttributes(t.path(), PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                    bytes = a.size();
                    mode = PosixFilePermissions.toString(a.permissions());
                } catch (IOException e) {
                    continue; // published or removed meanwhile
                }
                String why = t.staleReason();
                row.add(t.pool(), why == null ? "creating" : "stale", bytes, mode, "-", "-", why == null
                        ? "being formatted by process " + t.pid() + " (" + t.path().getFileName() + ")"
                        : why + " (" + t.path().getFileName() + "); 'vbuf shm rm --stale' removes it", true);
            }
        }

        private void table() {
            PrintWriter out = spec.commandLine().getOut();
            out.printf(Locale.ROOT, "%-24s %-7s %12s %-10s %7s %6s  %s%n", "name", "state", "bytes", "mode", "buffers", "procs", "detail");
            int[] n = {0};
            rows((name, state, bytes, mode, buffers, procs, detail, temporary) -> {
                n[0]++;
                out.printf(Locale.ROOT, "%-24s %-7s %12d %-10s %7s %6s  %s%n", temporary ? name + " (temporary)" : name, state,
                        bytes, mode, buffers, procs, detail);
            });
            if (n[0] == 0) out.println("(no shared pools in " + ShmNames.directory() + ")");
            out.flush();
        }
    }

    @Command(name = "rm", mixinStandardHelpOptions = true, description = "Remove shared pools by name. A live pool (a"
            + " process still attached) is kept unless --force; processes already attached keep their mapping.")
    static final class Rm implements java.util.concurrent.Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "NAME", arity = "0..*", description = "Pool names (see 'vbuf shm ls').")
        List<String> names = new ArrayList<>();

        @Option(names = "--stale", description = "Remove every stale or invalid pool.")
        boolean stale;

        @Option(names = "--force", description = "Remove even a live pool.")
        boolean force;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            if (names.isEmpty() && !stale) throw Flags.bad(spec, "give pool names or --stale");
            var targets = new ArrayList<Path>();
            for (String n : names) {
                try {
                    targets.add(ShmNames.path(n));
                } catch (IllegalArgumentException e) {
                    throw Flags.bad(spec, e.getMessage());
                }
            }
            if (stale) for (Path p : poolFiles()) if (PoolFile.staleReason(p) != null) targets.add(p);
            int failed = 0;
            // temporary files left by creators that died before publishing (all, or those of the names given)
            if (stale) for (String r : ShmNames.removeStaleTemps(null)) out.println("removed " + r);
            var cleaned = new java.util.HashSet<String>();
            for (String n : names) {
                for (String r : ShmNames.removeStaleTemps(n)) {
                    out.println("removed " + r);
                    cleaned.add(n);
                }
            }
            if (targets.isEmpty() && names.isEmpty()) out.println("(no stale shared pools in " + ShmNames.directory() + ")");
            for (Path p : targets) {
                if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS) && cleaned.contains(nameOf(p))) {
                    continue; // only temporary files of that name, removed above
                }
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    err.println("vbuf shm rm: " + p + " is a directory, not a pool file; vbuf does not remove directories:"
                            + " remove it yourself (rmdir, or rm -r after checking what it holds)");
                    failed++;
                    continue;
                }
                if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                    err.println("vbuf shm rm: no shared pool '" + nameOf(p) + "' (" + p + ")");
                    failed++;
                    continue;
                }
                String reason = PoolFile.staleReason(p);
                if (reason == null && !force) {
                    err.println("vbuf shm rm: '" + nameOf(p) + "' is live (a process is attached); stop it first, or"
                            + " use --force (attached processes keep running on their mapping)");
                    failed++;
                    continue;
                }
                Files.delete(p);
                out.println("removed " + p + (reason != null ? " (" + reason + ")" : " (live, --force)"));
            }
            out.flush();
            err.flush();
            return failed == 0 ? 0 : 1;
        }
    }

    /** True for a pool passed by descriptor: its name is a Unix-domain socket. */
    static boolean isSocket(Path p) {
        try {
            return Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther();
        } catch (IOException e) {
            return false;
        }
    }

    /** The memory part of a pool-by-descriptor's backing text ("memfd sealed against shrink, grow, seal"). */
    static String byFd(String backing) {
        int cut = backing.indexOf(" (");
        return cut > 0 ? backing.substring(0, cut) : backing;
    }

}
