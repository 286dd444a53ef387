package dev.vbuf.sys;

import dev.vbuf.memory.Allocation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every constant of the native layer against the C headers of each architecture: the constants
 * shared by x86-64 and aarch64 against both, each architecture's {@link Abi.Arch} table against
 * its own, and the struct layouts of {@link DmaBufIo}, {@link FileIo} and {@link Uring} against both. The values
 * come from the C compilers ({@link CCompiler}: gcc for x86-64, aarch64-linux-gnu-gcc for
 * aarch64, read from compiled assembly, nothing run). A field's name is the C name it checks.
 */
class AbiHeadersTest {
    static final String HEADERS = """
            #define _GNU_SOURCE
            #include <errno.h>
            #include <fcntl.h>
            #include <poll.h>
            #include <stddef.h>
            #include <sys/mman.h>
            #include <sys/socket.h>
            #include <sys/un.h>
            #include <unistd.h>
            #include <sys/stat.h>
            #include <sys/syscall.h>
            #include <asm/ioctl.h>
            #include <linux/futex.h>
            #include <linux/mempolicy.h>
            #include <linux/dma-heap.h>
            #include <linux/dma-buf.h>
            #include <linux/udmabuf.h>
            #include <linux/io_uring.h>
            #include <linux/kd.h>
            """;

    @Test
    void x86_64ConstantsMatchItsHeaders(@TempDir Path dir) throws Exception {
        check(CCompiler.X86_64, Abi.Arch.X86_64, dir);
    }

    @Test
    void aarch64ConstantsMatchItsHeaders(@TempDir Path dir) throws Exception {
        check(CCompiler.AARCH64, Abi.Arch.AARCH64, dir);
    }

    @Test
    void theTableIsChosenFromOsArch() {
        assertSame(Abi.Arch.X86_64, Abi.Arch.of("amd64"));
        assertSame(Abi.Arch.AARCH64, Abi.Arch.of("aarch64"));
        assertEquals(null, Abi.Arch.of("riscv64"), "an architecture without a table has none, rather than x86-64's");
        assertNotNull(Abi.Arch.of(System.getProperty("os.arch")), "this JVM's architecture has a table");
        assertSame(Abi.Arch.of(System.getProperty("os.arch")), Abi.ARCH);
        assertEquals(Abi.ARCH.O_DIRECT(), Abi.O_DIRECT);
        assertEquals(Abi.ARCH.O_NOFOLLOW(), Abi.O_NOFOLLOW);
        assertEquals(Abi.ARCH.SYS_futex(), Abi.SYS_futex);
    }

    @Test
    void cpuAccessBitsArePassedToTheKernelAsTheyAre() {
        assertEquals(Abi.DMA_BUF_SYNC_READ, Allocation.CPU_READ);
        assertEquals(Abi.DMA_BUF_SYNC_WRITE, Allocation.CPU_WRITE);
    }

    private static void check(CCompiler cc, Abi.Arch table, Path dir) throws Exception {
        Map<String, String> c = new LinkedHashMap<>();
        Map<String, Long> java = new LinkedHashMap<>();
        Set<String> perArch = Stream.of(Abi.Arch.class.getRecordComponents()).map(RecordComponent::getName).collect(Collectors.toSet());
        for (Field f : Abi.class.getFields()) {
            if (!Modifier.isStatic(f.getModifiers()) || perArch.contains(f.getName())) continue;
            Object v = f.get(null);
            if (!(v instanceof Number n) || v instanceof Double || v instanceof Float) continue;
            String name = f.getName().startsWith("IOC_") ? "_" + f.getName() : f.getName();
            c.put(name, name);
            java.put(name, n.longValue());
        }
        for (RecordComponent rc : Abi.Arch.class.getRecordComponents()) {
            if (rc.getType() == String.class) continue;
            String n = rc.getName();
            c.put(n, cExpression(n));
            java.put(n, ((Number) rc.getAccessor().invoke(table)).longValue());
        }
        for (StructLayout s : List.of(DmaBufIo.HEAP_ALLOCATION, DmaBufIo.SYNC, DmaBufIo.UDMABUF_CREATE_DATA, FileIo.POLLFD,
                Sockets.SOCKADDR_UN, Sockets.IOVEC, Sockets.MSGHDR, Sockets.CMSGHDR, Sockets.UCRED,
                Uring.PARAMS, Uring.SQRING_OFFSETS, Uring.CQRING_OFFSETS, Uring.SQE, Uring.CQE)) {
            String struct = s.name().orElseThrow();
            c.put("sizeof(struct " + struct + ")", "sizeof(struct " + struct + ")");
            java.put("sizeof(struct " + struct + ")", s.byteSize());
            for (MemoryLayout m : s.memberLayouts()) {
                if (m instanceof java.lang.foreign.PaddingLayout) continue; // reserved or unused by vbuf
                String field = m.name().orElseThrow();
                String expr = "offsetof(struct " + struct + ", " + field + ")";
                c.put(expr, expr);
                java.put(expr, s.byteOffset(MemoryLayout.PathElement.groupElement(field)));
            }
        }
        assertTrue(java.size() > 100, "only " + java.size() + " values found to check: the reflection above lost some");

        Map<String, Long> got = cc.evaluate(dir, HEADERS, c);
        List<String> wrong = new ArrayList<>();
        for (var e : java.entrySet()) {
            if (!e.getValue().equals(got.get(e.getKey()))) {
                wrong.add(e.getKey() + ": Java " + e.getValue() + " (0" + Long.toOctalString(e.getValue()) + "), "
                        + cc.arch + " C " + got.get(e.getKey()));
            }
        }
        assertTrue(wrong.isEmpty(), wrong.size() + " of " + java.size() + " values differ from " + cc.arch
                + "'s C headers:\n" + String.join("\n", wrong));
    }

    /** sizeof_S → sizeof(struct S); S_field (lower case) → offsetof(struct S, field); else the macro. */
    static String cExpression(String name) {
        if (name.startsWith("sizeof_")) return "sizeof(struct " + name.substring(7) + ")";
        if (Character.isLowerCase(name.charAt(0))) {
            int u = name.indexOf('_');
            return "offsetof(struct " + name.substring(0, u) + ", " + name.substring(u + 1) + ")";
        }
        return name;
    }
}
