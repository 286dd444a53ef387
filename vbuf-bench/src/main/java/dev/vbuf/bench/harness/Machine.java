package dev.vbuf.bench.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** The machine a benchmark ran on, as printed with every table (with its load: the machine may be shared). */
record Machine(int cores, String cpu, String jdk, String os, String date, String load) {
    static Machine current() {
        String cpu = "unknown CPU";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
        } catch (IOException ignored) {
            // not Linux: stays unknown
        }
        String load = "n/a";
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            load = f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException ignored) {
            // not Linux
        }
        return new Machine(Runtime.getRuntime().availableProcessors(), cpu,
                System.getProperty("java.vm.vendor") + " " + Runtime.version(),
                System.getProperty("os.name") + " " + System.getProperty("os.version"),
                Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), load);
    }

    @Override
    public String toString() {
        return cores + " cores, " + cpu + ", JDK " + jdk + ", " + os + ", " + date + ", load average at start " + load;
    }
}
