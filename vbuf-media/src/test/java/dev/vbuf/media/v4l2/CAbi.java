package dev.vbuf.media.v4l2;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Compiles a tiny C program against a system header and returns what the C compiler says:
 * each printed line is "name value". Skips the calling test (with the reason) when gcc or the
 * header is absent, rather than failing.
 *
 * <p>{@link #evaluateAarch64} does the same for aarch64 without running anything: Debian's cross
 * compiler {@code aarch64-linux-gnu-gcc} compiles each quantity as an initialised 64-bit constant
 * to assembly, and the values are read from its {@code .xword} directives (as vbuf-core's
 * {@code AbiHeadersTest} does for the native layer's constants).
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

    /** The same quantities as the aarch64 C compiler and headers see them. */
    public static Map<String, Long> evaluateAarch64(Path dir, String header, Map<String, String> quantities) throws IOException, InterruptedException {
        Path gcc = find("aarch64-linux-gnu-gcc");
        Assumptions.assumeTrue(gcc != null, "skipped: aarch64-linux-gnu-gcc is not installed, so the layouts are not checked against"
                + " aarch64's headers; install gcc-aarch64-linux-gnu and libc6-dev-arm64-cross (scripts/install-cross-compilers)");
        List<String> names = List.copyOf(quantities.keySet());
        StringBuilder c = new StringBuilder("#include <stddef.h>\n#include <sys/ioctl.h>\n#include <" + header + ">\n");
        for (int i = 0; i < names.size(); i++) {
            c.append("const unsigned long long vbuf_").append(i).append(" = (unsigned long long) (").append(quantities.get(names.get(i))).append(");\n");
        }
        Path src = dir.resolve("abi-aarch64.c"), asm = dir.resolve("abi-aarch64.s");
        Files.writeString(src, c);
        run(dir, gcc.toString(), "-S", "-O0", "-o", asm.toString(), src.toString());
        Map<Integer, Long> byIndex = new HashMap<>();
        Matcher m = Pattern.compile("^vbuf_(\\d+):\\s*\\n\\s*\\.(xword|8byte|quad|zero)\\s+(-?\\d+)", Pattern.MULTILINE)
                .matcher(Files.readString(asm));
        while (m.find()) byIndex.put(Integer.parseInt(m.group(1)), m.group(2).equals("zero") ? 0L : Long.parseLong(m.group(3)));
        Map<String, Long> out = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            Long v = byIndex.get(i);
            if (v == null) throw new AssertionError("no value for " + names.get(i) + " in " + asm);
            out.put(names.get(i), v);
        }
        return out;
    }

    private static Path findGcc() {
        return find("gcc");
    }

    private static Path find(String command) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path p = Path.of(d, command);
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
