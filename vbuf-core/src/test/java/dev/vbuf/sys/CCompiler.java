package dev.vbuf.sys;

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
 * What a C compiler says C expressions are, for an architecture this machine may not be able to
 * run: each expression becomes an initialised 64-bit constant, the file is compiled to
 * assembly ({@code -S}) and the values are read from the data directives ({@code .quad} on
 * x86-64, {@code .xword} on aarch64, {@code .zero} for 0). Nothing is executed, so the aarch64
 * cross compiler ({@code aarch64-linux-gnu-gcc}) checks aarch64 values on an x86-64 machine.
 */
final class CCompiler {
    /** The host's gcc, for x86-64. */
    static final CCompiler X86_64 = new CCompiler("x86-64", "gcc", "gcc and linux-libc-dev");
    /** Debian's cross compiler with the aarch64 C library and kernel headers. */
    static final CCompiler AARCH64 = new CCompiler("aarch64", "aarch64-linux-gnu-gcc",
            "gcc-aarch64-linux-gnu and libc6-dev-arm64-cross (scripts/install-cross-compilers)");

    private static final Pattern DATA = Pattern.compile(
            "^vbuf_(\\d+):\\s*\\n\\s*\\.(quad|xword|8byte|dword|zero)\\s+(-?\\d+)", Pattern.MULTILINE);

    final String arch;
    final String command;
    final String packages;

    private CCompiler(String arch, String command, String packages) {
        this.arch = arch;
        this.command = command;
        this.packages = packages;
    }

    /** The compiler's path on PATH, or null. */
    Path find() {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(d, command);
            if (Files.isExecutable(p)) return p;
        }
        return null;
    }

    /** Skips the calling test, naming what to install, when this compiler is absent. */
    Path require() {
        Path p = find();
        Assumptions.assumeTrue(p != null, "skipped: " + command + " is not installed, so the " + arch
                + " constants are not checked against " + arch + "'s C headers; install " + packages);
        return p;
    }

    /**
     * @param prelude     #define and #include lines
     * @param expressions name → C expression (a macro, sizeof(...), offsetof(...)), each fits a long long
     * @return name → value, for every name
     */
    Map<String, Long> evaluate(Path dir, String prelude, Map<String, String> expressions) throws IOException, InterruptedException {
        Path cc = require();
        List<String> names = List.copyOf(expressions.keySet());
        StringBuilder c = new StringBuilder(prelude).append('\n');
        for (int i = 0; i < names.size(); i++) {
            c.append("/* ").append(names.get(i)).append(" */ const long long vbuf_").append(i)
                    .append(" = (long long) (").append(expressions.get(names.get(i))).append(");\n");
        }
        Path src = dir.resolve("abi-" + arch + ".c"), asm = dir.resolve("abi-" + arch + ".s");
        Files.writeString(src, c);
        Process p = new ProcessBuilder(cc.toString(), "-S", "-O0", "-o", asm.toString(), src.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError(command + " could not compile the constants (exit " + (p.isAlive() ? "timeout" : p.exitValue())
                    + "):\n" + out);
        }
        Map<Integer, Long> byIndex = new HashMap<>();
        Matcher m = DATA.matcher(Files.readString(asm));
        while (m.find()) {
            byIndex.put(Integer.parseInt(m.group(1)), m.group(2).equals("zero") ? 0L : Long.parseLong(m.group(3)));
        }
        Map<String, Long> values = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            Long v = byIndex.get(i);
            if (v == null) throw new AssertionError("no value for " + names.get(i) + " in " + command + "'s assembly " + asm);
            values.put(names.get(i), v);
        }
        return values;
    }
}
