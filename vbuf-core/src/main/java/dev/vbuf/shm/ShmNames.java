package dev.vbuf.shm;

import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Names of shared pools and where their files live: pool {@code NAME} is the file
 * {@code /dev/shm/vbuf.NAME} (a tmpfs, so the pages are shared memory; the directory can be
 * changed with the system property {@code vbuf.shm.dir}, e.g. for tests).
 */
public final class ShmNames {
    public static final String PREFIX = "vbuf.";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

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
}
