package dev.vbuf.shm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * What a shared pool's memory is, as this process got it: for {@code vbuf inspect} and
 * {@code vbuf consume}, which show each buffer's kind and whether it came by descriptor and is
 * sealed.
 *
 * @param kind       "file" (a /dev/shm file opened by path), "memfd", "memfd with huge pages",
 *                   "DMA-BUF heap" or "udmabuf"
 * @param byFd       true when the memory was passed by descriptor over the pool's socket
 * @param seals      the memfd's seals (F_GET_SEALS; 0 for a file)
 * @param creator    true in the process that created the pool
 * @param path       the pool's name in /dev/shm: its file, or its creator's socket
 * @param dataOffset offset of buffer 0 in the pool's mapping (buffers inside the mapping)
 * @param stride     bytes from one buffer to the next in the mapping
 * @param bufferFds  each buffer's DMA-BUF descriptor in this process, or null when the buffers are inside the mapping
 */
public record SharedMemoryInfo(String kind, boolean byFd, int seals, boolean creator, Path path, long dataOffset, long stride,
                               int[] bufferFds) {
    /** True when the memory cannot shrink or grow under its readers (F_SEAL_SHRINK and F_SEAL_GROW). */
    public boolean sealedAgainstTruncate() {
        int needed = dev.vbuf.sys.Abi.F_SEAL_SHRINK | dev.vbuf.sys.Abi.F_SEAL_GROW;
        return (seals & needed) == needed;
    }

    /** The seals as text: "against shrink, grow, seal", or "(none)". */
    public String sealText() { return PoolFile.sealText(seals); }

    /** One line for buffer {@code i}: what it is, where it is, how this process got it, its seals. */
    public String buffer(int i) {
        if (bufferFds != null) {
            return kind + " DMA-BUF, fd " + bufferFds[i] + " in this process, " + (creator ? "passed by fd to attachers" : "received by fd");
        }
        if (!byFd) return "file " + path + " at offset " + (dataOffset + i * stride) + ", opened by path, not sealed";
        return kind + " sealed " + sealText() + " at offset " + (dataOffset + i * stride) + ", " + (creator ? "passed by fd to attachers" : "received by fd");
    }

    /** A few words for buffer {@code i}'s column in a table: kind, how it came, sealed, its descriptor. */
    public String bufferShort(int i) {
        String how = byFd ? (creator ? "passed by fd" : "received by fd") : "opened by path";
        if (bufferFds != null) return bufferKind() + " fd " + bufferFds[i] + ", " + how;
        return bufferKind() + (sealedAgainstTruncate() ? " sealed" : "") + ", " + how;
    }

    /** The same for JSON: one short word for the kind of a buffer. */
    public String bufferKind() {
        return switch (kind) {
            case "file" -> "file";
            case "memfd" -> "memfd";
            case "memfd with huge pages" -> "memfd-hugetlb";
            case "DMA-BUF heap" -> "dmabuf-heap";
            case "udmabuf" -> "udmabuf";
            default -> kind;
        };
    }

    /**
     * The descriptor number under which process {@code pid} holds the memfd of pool
     * {@code pool} (found by its name in /proc/PID/fd), or -1 when it holds none or its
     * descriptors cannot be read (another user's process).
     */
    public static int memfdOf(long pid, String pool) {
        String want = "/memfd:" + ShmNames.PREFIX + pool + " (deleted)";
        try (Stream<Path> s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            for (Path p : s.toList()) {
                try {
                    if (Files.readSymbolicLink(p).toString().equals(want)) return Integer.parseInt(p.getFileName().toString());
                } catch (IOException | NumberFormatException ignored) {
                    // closed meanwhile
                }
            }
        } catch (IOException | SecurityException e) {
            return -1;
        }
        return -1;
    }
}
