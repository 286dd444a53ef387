package dev.vbuf.sys;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The native layer's one rule, over the main sources of every module: only {@code dev.vbuf.sys}
 * links to native code, and none of {@link Abi}'s constants is defined a second time elsewhere.
 */
class NativeLayerBoundaryTest {
    private static final Path SYS = Path.of("vbuf-core", "src", "main", "java", "dev", "vbuf", "sys");
    private static final Pattern LINKING = Pattern.compile("Linker\\.nativeLinker|downcallHandle|captureCallState|SymbolLookup");

    /** Forwarders kept only until the pool packages call dev.vbuf.sys directly (they re-export, not re-define). */
    private static final java.util.Set<String> TRANSITIONAL = java.util.Set.of(
            "vbuf-core/src/main/java/dev/vbuf/memory/Native.java", "vbuf-core/src/main/java/dev/vbuf/memory/Posix.java",
            "vbuf-core/src/main/java/dev/vbuf/memory/MemoryCalls.java");

    private static List<Path> mainSources(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> p.toString().endsWith(".java") && p.toString().contains("/src/main/java/"))
                    .filter(p -> !p.toString().contains("/target/")).toList();
        }
    }

    private static Path projectRoot() {
        Path here = Path.of("").toAbsolutePath();
        Path root = Files.isDirectory(here.resolve("vbuf-core")) ? here : here.getParent();
        assumeTrue(root != null && Files.isDirectory(root.resolve(SYS)), "skipped: the sources are not beside the test run (" + here + ")");
        return root;
    }

    @Test
    void onlyTheNativeLayerLinksToNativeCode() throws IOException {
        Path root = projectRoot();
        List<String> outside = new ArrayList<>();
        List<Path> sources = mainSources(root);
        for (Path p : sources) {
            if (p.startsWith(root.resolve(SYS))) continue;
            String text = Files.readString(p);
            if (LINKING.matcher(text).find()) outside.add(root.relativize(p).toString());
        }
        assertTrue(sources.size() > 50, "only " + sources.size() + " sources found under " + root);
        assertTrue(outside.isEmpty(), "downcalls outside dev.vbuf.sys (add them to the native layer instead): " + outside);
    }

    @Test
    void everyConstantOfTheTableIsDefinedOnlyThere() throws IOException {
        Path root = projectRoot();
        List<String> names = new ArrayList<>();
        for (Field f : Abi.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType().isPrimitive()) names.add(f.getName());
        }
        Pattern definition = Pattern.compile("(?:static\\s+final|final\\s+static)\\s+(?:int|long|short|byte)\\s+[^;]*?\\b("
                + String.join("|", names) + ")\\s*=");
        List<String> again = new ArrayList<>();
        for (Path p : mainSources(root)) {
            if (p.getFileName().toString().equals("Abi.java") && p.startsWith(root.resolve(SYS))) continue;
            if (TRANSITIONAL.contains(root.relativize(p).toString())) continue;
            var m = definition.matcher(Files.readString(p));
            while (m.find()) again.add(root.relativize(p) + ": " + m.group(1));
        }
        assertTrue(again.isEmpty(), "constants of dev.vbuf.sys.Abi defined again (use Abi's): " + again);
    }
}
