package dev.vbuf.memory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The struct layouts, ioctl numbers, system call numbers and flags that {@link MemoryCalls} and
 * {@link DmaBuf} hard-code, checked against this machine's kernel headers: a C program compiled
 * with gcc prints them and every one must match. Skipped only where gcc or the headers are absent.
 */
class KernelAbiTest {
    private static final String PROGRAM = """
            #include <stdio.h>
            #include <stddef.h>
            #include <fcntl.h>
            #include <sys/syscall.h>
            #include <linux/dma-heap.h>
            #include <linux/dma-buf.h>
            #include <linux/udmabuf.h>
            #include <linux/mempolicy.h>
            #define P(name, v) printf("%s=%lld\\n", name, (long long)(v))
            int main(void) {
              P("DMA_HEAP_IOCTL_ALLOC", DMA_HEAP_IOCTL_ALLOC);
              P("DMA_BUF_IOCTL_SYNC", DMA_BUF_IOCTL_SYNC);
              P("UDMABUF_CREATE", UDMABUF_CREATE);
              P("UDMABUF_FLAGS_CLOEXEC", UDMABUF_FLAGS_CLOEXEC);
              P("heap.size", sizeof(struct dma_heap_allocation_data));
              P("heap.len", offsetof(struct dma_heap_allocation_data, len));
              P("heap.fd", offsetof(struct dma_heap_allocation_data, fd));
              P("heap.fd_flags", offsetof(struct dma_heap_allocation_data, fd_flags));
              P("heap.heap_flags", offsetof(struct dma_heap_allocation_data, heap_flags));
              P("sync.size", sizeof(struct dma_buf_sync));
              P("udmabuf.size", sizeof(struct udmabuf_create));
              P("udmabuf.memfd", offsetof(struct udmabuf_create, memfd));
              P("udmabuf.flags", offsetof(struct udmabuf_create, flags));
              P("udmabuf.offset", offsetof(struct udmabuf_create, offset));
              P("udmabuf.size_f", offsetof(struct udmabuf_create, size));
              P("DMA_BUF_SYNC_READ", DMA_BUF_SYNC_READ);
              P("DMA_BUF_SYNC_WRITE", DMA_BUF_SYNC_WRITE);
              P("DMA_BUF_SYNC_START", DMA_BUF_SYNC_START);
              P("DMA_BUF_SYNC_END", DMA_BUF_SYNC_END);
              P("SYS_mbind", SYS_mbind);
              P("SYS_set_mempolicy", SYS_set_mempolicy);
              P("SYS_get_mempolicy", SYS_get_mempolicy);
              P("SYS_move_pages", SYS_move_pages);
              P("MPOL_DEFAULT", MPOL_DEFAULT);
              P("MPOL_BIND", MPOL_BIND);
              P("MPOL_MF_STRICT", MPOL_MF_STRICT);
              P("MPOL_MF_MOVE", MPOL_MF_MOVE);
              P("MPOL_F_NODE", MPOL_F_NODE);
              P("MPOL_F_ADDR", MPOL_F_ADDR);
              P("O_RDWR", O_RDWR);
              P("O_CLOEXEC", O_CLOEXEC);
              P("F_ADD_SEALS", F_ADD_SEALS);
              P("F_SEAL_SHRINK", F_SEAL_SHRINK);
              return 0;
            }
            """;

    @Test
    void constantsAndLayoutsMatchTheKernelHeaders(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/gcc")), "gcc is not installed");
        assumeTrue(Files.exists(Path.of("/usr/include/linux/dma-heap.h")), "kernel headers are not installed");
        Path c = dir.resolve("abi.c"), exe = dir.resolve("abi");
        Files.writeString(c, PROGRAM);
        Process gcc = new ProcessBuilder("gcc", "-D_GNU_SOURCE", "-o", exe.toString(), c.toString()).redirectErrorStream(true).start();
        String gccOut = new String(gcc.getInputStream().readAllBytes());
        assertTrue(gcc.waitFor(60, TimeUnit.SECONDS), "gcc did not finish");
        assertEquals(0, gcc.exitValue(), "gcc failed: " + gccOut);
        Process run = new ProcessBuilder(exe.toString()).redirectErrorStream(true).start();
        Map<String, Long> v = new HashMap<>();
        for (String line : new String(run.getInputStream().readAllBytes()).split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) v.put(line.substring(0, eq), Long.parseLong(line.substring(eq + 1)));
        }
        assertEquals(0, run.waitFor());

        assertEquals(v.get("DMA_HEAP_IOCTL_ALLOC"), MemoryCalls.DMA_HEAP_IOCTL_ALLOC);
        assertEquals(v.get("DMA_BUF_IOCTL_SYNC"), MemoryCalls.DMA_BUF_IOCTL_SYNC);
        assertEquals(v.get("UDMABUF_CREATE"), MemoryCalls.UDMABUF_CREATE);
        assertEquals(v.get("UDMABUF_FLAGS_CLOEXEC"), (long) MemoryCalls.UDMABUF_FLAGS_CLOEXEC);
        assertEquals(v.get("heap.size"), DmaBuf.HEAP_ALLOCATION.byteSize());
        assertEquals(v.get("heap.len"), offset(DmaBuf.HEAP_ALLOCATION, "len"));
        assertEquals(v.get("heap.fd"), offset(DmaBuf.HEAP_ALLOCATION, "fd"));
        assertEquals(v.get("heap.fd_flags"), offset(DmaBuf.HEAP_ALLOCATION, "fd_flags"));
        assertEquals(v.get("heap.heap_flags"), offset(DmaBuf.HEAP_ALLOCATION, "heap_flags"));
        assertEquals(v.get("sync.size"), DmaBuf.SYNC.byteSize());
        assertEquals(v.get("udmabuf.size"), DmaBuf.UDMABUF_CREATE.byteSize());
        assertEquals(v.get("udmabuf.memfd"), offset(DmaBuf.UDMABUF_CREATE, "memfd"));
        assertEquals(v.get("udmabuf.flags"), offset(DmaBuf.UDMABUF_CREATE, "flags"));
        assertEquals(v.get("udmabuf.offset"), offset(DmaBuf.UDMABUF_CREATE, "offset"));
        assertEquals(v.get("udmabuf.size_f"), offset(DmaBuf.UDMABUF_CREATE, "size"));
        assertEquals(v.get("DMA_BUF_SYNC_READ"), MemoryCalls.DMA_BUF_SYNC_READ);
        assertEquals(v.get("DMA_BUF_SYNC_WRITE"), MemoryCalls.DMA_BUF_SYNC_WRITE);
        assertEquals(v.get("DMA_BUF_SYNC_START"), MemoryCalls.DMA_BUF_SYNC_START);
        assertEquals(v.get("DMA_BUF_SYNC_END"), MemoryCalls.DMA_BUF_SYNC_END);
        assertEquals((long) Allocation.CPU_READ, MemoryCalls.DMA_BUF_SYNC_READ, "CPU_READ is passed to the kernel as is");
        assertEquals((long) Allocation.CPU_WRITE, MemoryCalls.DMA_BUF_SYNC_WRITE, "CPU_WRITE is passed to the kernel as is");
        assertEquals(v.get("SYS_mbind"), MemoryCalls.SYS_MBIND);
        assertEquals(v.get("SYS_set_mempolicy"), MemoryCalls.SYS_SET_MEMPOLICY);
        assertEquals(v.get("SYS_get_mempolicy"), MemoryCalls.SYS_GET_MEMPOLICY);
        assertEquals(v.get("SYS_move_pages"), MemoryCalls.SYS_MOVE_PAGES);
        assertEquals(v.get("MPOL_DEFAULT"), (long) MemoryCalls.MPOL_DEFAULT);
        assertEquals(v.get("MPOL_BIND"), (long) MemoryCalls.MPOL_BIND);
        assertEquals(v.get("MPOL_MF_STRICT"), (long) MemoryCalls.MPOL_MF_STRICT);
        assertEquals(v.get("MPOL_MF_MOVE"), (long) MemoryCalls.MPOL_MF_MOVE);
        assertEquals(v.get("MPOL_F_NODE"), (long) MemoryCalls.MPOL_F_NODE);
        assertEquals(v.get("MPOL_F_ADDR"), (long) MemoryCalls.MPOL_F_ADDR);
        assertEquals(v.get("O_RDWR"), (long) MemoryCalls.O_RDWR);
        assertEquals(v.get("O_CLOEXEC"), (long) MemoryCalls.O_CLOEXEC);
        assertEquals(v.get("F_ADD_SEALS"), (long) MemoryCalls.F_ADD_SEALS);
        assertEquals(v.get("F_SEAL_SHRINK"), (long) MemoryCalls.F_SEAL_SHRINK);
    }

    private static Long offset(java.lang.foreign.StructLayout l, String field) {
        return l.byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement(field));
    }
}
