package dev.vbuf.shm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Names of shared pools and where their files live: pool {@code NAME} is the file
 * {@code /dev/shm/vbuf.NAME} (a tmpfs, so the pages are shared memory; the directory can be
 * changed with the system property {@code vbuf.shm.dir}, e.g. for tests).
 *
 * <p>A creator formats a new pool in a temporary file {@code .tmp.vbuf.NAME.PID.NANOS} beside
 * it and publishes it with link(2). A creator killed before that leaves the temporary file
 * behind: {@link #tempFiles} finds such files, {@link TempFile#staleReason} tells whether the
 * creator is gone, and {@link #removeStaleTemps} removes them ({@code vbuf shm ls} lists them,
 * {@code vbuf shm rm --stale} and the next create of the same pool remove them).
 */
public final class ShmNames {
    public static final String PREFIX = "vbuf.";
    /** Start of the name of a pool's temporary file while its creator formats it. */
    public static final String TEMP_PREFIX = ".tmp." + PREFIX;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Pattern TEMP = Pattern.compile(Pattern.quote(TEMP_PREFIX)
            + "([A-Za-z0-9][A-Za-z0-9._-]{0,63})\\.([0-9]{1,10})\\.(-?[0-9]{1,19})");

    private ShmNames() {}

    public static Path directory() {
        return Path.of(System.getProperty("vbuf.shm.dir", "/dev/shm"));
    }

    /** The file of pool {@code name}; the name is checked first. */
    public static Path path(String name) {
        return directory().resolve(PREFIX + check(name));
    }

    /** Checks a pool name: 1..64 characters of A-Z a-z 0-9 . _ -, not starting with . _ or -. */
    public static String check(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("shared pool name '" + name + "' is not valid: use 1..64 characters"
                    + " of A-Z a-z 0-9 . _ - starting with a letter or digit (it becomes "
                    + directory().resolve(PREFIX + "NAME") + ")");
        }
        return name;
    }

    /** The temporary file in which process {@code pid} formats pool {@code name} (a creator's own, by nanos). */
    public static Path tempPath(String name, long pid, long nanos) {
        return directory().resolve(TEMP_PREFIX + check(name) + "." + pid + "." + nanos);
    }

    /** A pool's temporary file: the pool it was to become and the process that was formatting it. */
    public record TempFile(Path path, String pool, long pid) {
        /**
         * Why the file is stale (its creator is gone, or the pid now belongs to a process started
         * after the file was last written), or null while its creator may still be formatting it.
         */
        public String staleReason() {
            long start = Processes.startTime(pid);
            if (start < 0) return "temporary file of a create of '" + pool + "' by process " + pid + ", which is gone";
            long startedMillis = Processes.startMillis(start);
            try {
                long written = Files.getLastModifiedTime(path, LinkOption.NOFOLLOW_LINKS).toMillis();
                if (startedMillis > 0 && startedMillis > written + 2000) {
                    return "temporary file of a create of '" + pool + "' by process " + pid + ", which is gone (pid "
                            + pid + " now belongs to a process started after the file was written)";
                }
            } catch (IOException e) {
                return null; // removed meanwhile (published, or cleaned up)
            }
            return null;
        }
    }

    /** The temporary file {@code p} names, or null when it is not one. */
    public static TempFile parseTemp(Path p) {
        Matcher m = TEMP.matcher(p.getFileName().toString());
        return m.matches() ? new TempFile(p, m.group(1), Long.parseLong(m.group(2))) : null;
    }

    /** Every pool temporary file in {@link #directory()}, or only those of pool {@code name} (null: all). */
    public static List<TempFile> tempFiles(String name) {
        Path dir = directory();
        var list = new ArrayList<TempFile>();
        if (!Files.isDirectory(dir)) return list;
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(p -> p.getFileName().toString().startsWith(TEMP_PREFIX)).sorted().forEach(p -> {
                TempFile t = parseTemp(p);
                if (t != null && (name == null || t.pool().equals(name))) list.add(t);
            });
        } catch (IOException e) {
            throw new IllegalStateException("cannot list " + dir + ": " + e + "; check that it is a readable directory", e);
        }
        return list;
    }

    /**
     * Removes the stale temporary files (creator gone) of pool {@code name}, or of every pool
     * when {@code name} is null; a file whose creator is alive is left alone. Returns the files
     * removed, each with why.
     */
    public static List<String> removeStaleTemps(String name) {
        var removed = new ArrayList<String>();
        for (TempFile t : tempFiles(name)) {
            String why = t.staleReason();
            if (why == null) continue;
            try {
                if (Files.deleteIfExists(t.path())) removed.add(t.path() + " (" + why + ")");
            } catch (IOException e) {
                // someone else removed or replaced it; the next sweep sees it again
            }
        }
        return removed;
    }
}
