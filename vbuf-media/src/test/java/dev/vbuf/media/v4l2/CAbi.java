package dev.vbuf.media.v4l2;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Compiles a tiny C program against a system header and returns what the C compiler says:
 * each printed line is "name value". Skips the calling test (with the reason) when gcc or the
 * header is absent, rather than failing.
 */
public final class CAbi {
    private CAbi() {}

    /**
     * @param header     e.g. "linux/videodev2.h"
     * @param quantities name → C expression (sizeof(...), offsetof(...), an ioctl macro)
     */
    public static Map<String, Long> evaluate(Path dir, String header, Map<String, String> quantities) throws IOException, InterruptedException {
        Path h = Path.of("/usr/include", header);
        Assumptions.assumeTrue(Files.exists(h), "skipped: " + h + " is absent (install linux-libc-dev to check the layouts against the kernel's headers)");
        Path gcc = findGcc();
        Assumptions.assumeTrue(gcc != null, "skipped: no gcc on PATH (install gcc to check the layouts against the C compiler's)");
        StringBuilder c = new StringBuilder("#include <stdio.h>\n#include <stddef.h>\n#include <sys/ioctl.h>\n#include <" + header + ">\nint main(void) {\n");
        for (var e : quantities.entrySet()) {
            c.append("  printf(\"%s %llu\\n\", \"").append(e.getKey()).append("\", (unsigned long long) (").append(e.getValue()).append("));\n");
        }
        c.append("  return 0;\n}\n");
        Path src = dir.resolve("abi.c");
        Path exe = dir.resolve("abi");
        Files.writeString(src, c);
        String compileOut = run(dir, gcc.toString(), "-O0", "-o", exe.toString(), src.toString());
        Map<String, Long> out = new LinkedHashMap<>();
        for (String line : run(dir, exe.toString()).split("\n")) {
            if (line.isBlank()) continue;
            String[] p = line.trim().split(" ");
            out.put(p[0], Long.parseUnsignedLong(p[1]));
        }
        if (out.size() != quantities.size()) throw new AssertionError("C program printed " + out.size() + " of " + quantities.size() + " values; gcc said: " + compileOut);
        return out;
    }

    private static Path findGcc() {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path p = Path.of(d, "gcc");
            if (Files.isExecutable(p)) return p;
        }
        return null;
    }

    private static String run(Path dir, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " failed (exit " + (p.isAlive() ? "timeout" : p.exitValue()) + "):\n" + out);
        }
        return out;
    }
}
