package dev.vbuf.shm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Liveness of processes for shared pools: a process is identified by its pid and its start
 * time (clock ticks after boot, field 22 of /proc/PID/stat), so that a pid the kernel reused
 * for a new process is not mistaken for the peer that died. A zombie (killed, not yet reaped
 * by its parent) counts as dead: it will never touch the pool again.
 */
public final class Processes {
    private Processes() {}

    /** This process's pid. */
    public static long self() { return ProcessHandle.current().pid(); }

    /** The start time of {@code pid} in clock ticks after boot, or -1 when there is no such live process. */
    public static long startTime(long pid) {
        if (pid <= 0) return -1;
        String stat;
        try {
            stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        // "pid (comm) S ppid ...": comm may hold spaces and parentheses; the last ')' ends it.
        int close = stat.lastIndexOf(')');
        if (close < 0 || close + 2 >= stat.length()) return -1;
        String[] f = stat.substring(close + 2).trim().split(" ");
        // f[0] is field 3 (state); field 22 (starttime) is f[19].
        if (f.length < 20) return -1;
        char state = f[0].isEmpty() ? '?' : f[0].charAt(0);
        if (state == 'Z' || state == 'X' || state == 'x') return -1;
        try {
            return Long.parseLong(f[19]);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * A start time of {@link #startTime} as wall-clock milliseconds (boot time from /proc/stat
     * plus ticks of 1/100 s, USER_HZ on Linux), or 0 when the boot time cannot be read.
     */
    public static long startMillis(long startTicks) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/stat"))) {
                if (line.startsWith("btime ")) return Long.parseLong(line.substring(6).trim()) * 1000 + startTicks * 10;
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return 0;
    }

    /**
     * Whether the process ({@code pid}, {@code startTime}) is alive. A start time of 0 (a peer
     * that died while registering, before it wrote its start time) checks the pid only.
     */
    public static boolean alive(long pid, long startTime) {
        long st = startTime(pid);
        return st >= 0 && (startTime == 0 || st == startTime);
    }
}
