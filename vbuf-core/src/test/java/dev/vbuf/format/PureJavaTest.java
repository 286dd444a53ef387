package dev.vbuf.format;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.vbuf.sizing.Durations;
import dev.vbuf.sizing.PoolPlan;
import dev.vbuf.sizing.PoolSizer;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The format and sizing packages are pure Java: no native methods, no JNI library loading, no
 * {@code sun.misc.Unsafe}, no foreign-function downcalls; memory only through MemorySegment.
 */
class PureJavaTest {

    private static final Class<?>[] CLASSES = {PixelFormat.class, Plane.class, FrameLayout.class, TestPattern.class,
            PoolSizer.class, PoolPlan.class, Durations.class};

    @Test
    void noNativeMethods() {
        for (Class<?> c : CLASSES) {
            for (Method m : c.getDeclaredMethods()) {
                assertFalse(Modifier.isNative(m.getModifiers()), c.getSimpleName() + "." + m.getName() + " is native");
            }
        }
    }

    @Test
    void noNativeLibrariesUnsafeOrDowncallsInTheBytecode() throws IOException {
        for (Class<?> c : CLASSES) {
            String resource = c.getSimpleName() + ".class";
            try (InputStream in = c.getResourceAsStream(resource)) {
                assertNotNull(in, resource);
                // the constant pool holds referenced class and method names as (modified) UTF-8
                String pool = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
                for (String forbidden : new String[] {"loadLibrary", "sun/misc/Unsafe", "jdk/internal/misc/Unsafe",
                        "java/lang/foreign/Linker", "java/lang/foreign/SymbolLookup", "reinterpret"}) {
                    assertFalse(pool.contains(forbidden), resource + " refers to " + forbidden);
                }
            }
        }
    }
}
