package dev.vbuf.shm;

import dev.vbuf.pool.FramePool;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The messages of a descriptor-passing pool's socket ({@code SOCK_SEQPACKET}: one message is
 * one record, never split or merged). All integers are in the machine's byte order (both ends
 * run on the same machine). Stated for C in {@code include/vbuf_fd.h} and docs/C-ABI.md.
 *
 * <pre>
 *  request, attacher -> creator, 16 bytes, no descriptors
 *   0  char[8] magic "VBUF-REQ"
 *   8  u32     protocol version (1)
 *  12  u32     flags (0)
 *
 *  reply, creator -> attacher, 48 bytes (+ text when refused), descriptors as SCM_RIGHTS
 *   0  char[8] magic "VBUF-FDS"
 *   8  u32     protocol version (1)
 *  12  u32     status: 0 accepted, 1 refused (then no descriptors, and text follows)
 *  16  u32     memory kind: 1 memfd, 2 memfd with huge pages, 3 DMA-BUF heap, 4 udmabuf,
 *              5 DMA-BUFs a device exported (V4L2 VIDIOC_EXPBUF)
 *  20  u32     total descriptors: 1 (the sealed memfd holding control block and buffers), or
 *              1 + buffer count (the sealed memfd of the control block, then one DMA-BUF per buffer)
 *  24  u32     descriptors in this message (1..200)
 *  28  u32     text length (refused: 1..200 bytes of UTF-8 at offset 48; else 0)
 *  32  u64     bytes of descriptor 0 (its size: fstat must agree)
 *  40  u64     bytes of each buffer descriptor (0 when there are none; lseek SEEK_END must reach it)
 *
 *  more, creator -> attacher, 16 bytes, when the descriptors do not fit one message
 *   0  char[8] magic "VBUF-MOR"
 *   8  u32     index of the first descriptor in this message
 *  12  u32     descriptors in this message (1..200)
 * </pre>
 * An attacher refuses (and closes every descriptor it got) a message of the wrong length, a
 * truncated one (MSG_TRUNC, MSG_CTRUNC), a wrong magic or version, counts out of range, a
 * descriptor count that is not what the message says, descriptors out of order, and a
 * descriptor 0 that is not sealed against shrinking and growing (F_GET_SEALS).
 */
public final class FdProtocol {
    private FdProtocol() {}

    public static final int VERSION = 1;
    static final byte[] REQUEST_MAGIC = "VBUF-REQ".getBytes(StandardCharsets.US_ASCII);
    static final byte[] REPLY_MAGIC = "VBUF-FDS".getBytes(StandardCharsets.US_ASCII);
    static final byte[] MORE_MAGIC = "VBUF-MOR".getBytes(StandardCharsets.US_ASCII);
    public static final int REQUEST_BYTES = 16;
    public static final int REPLY_BYTES = 48;
    public static final int MORE_BYTES = 16;
    /** Descriptors per message (below the kernel's SCM_MAX_FD of 253). */
    public static final int FDS_PER_MESSAGE = 200;
    public static final int MAX_TEXT_BYTES = 200;
    public static final int STATUS_OK = 0, STATUS_REFUSED = 1;
    public static final int KIND_MEMFD = 1, KIND_MEMFD_HUGETLB = 2, KIND_DMA_HEAP = 3, KIND_UDMABUF = 4, KIND_DEVICE_DMABUF = 5;
    /** The highest kind this version knows. */
    public static final int MAX_KIND = KIND_DEVICE_DMABUF;
    /** Most bytes a descriptor may declare (2^46, 64 TiB). */
    static final long MAX_BYTES = 1L << 46;
    /** Size of an explicit huge page for MFD_HUGETLB pools (the default huge page size on x86-64 and aarch64 4K kernels). */
    static final long HUGE_PAGE_BYTES = 2L << 20;
    /**
     * How long either side waits for the other's message before it gives up: 10 s, or
     * {@code -Dvbuf.fdTimeoutMs=N} (1000..600000) for a machine where a cold JVM needs longer
     * between connecting and asking (an emulated guest; the C side's VBUF_FD_TIMEOUT_MS).
     */
    public static final int TIMEOUT_MS = Math.clamp(Integer.getInteger("vbuf.fdTimeoutMs", 10_000), 1_000, 600_000);

    /** The name of a kind, for texts. */
    public static String kindName(int kind) {
        return switch (kind) {
            case KIND_MEMFD -> "memfd";
            case KIND_MEMFD_HUGETLB -> "memfd with huge pages";
            case KIND_DMA_HEAP -> "DMA-BUF heap";
            case KIND_UDMABUF -> "udmabuf";
            case KIND_DEVICE_DMABUF -> "device-exported";
            default -> "unknown kind " + kind;
        };
    }

    /** True when the buffers are DMA-BUFs of their own (not inside descriptor 0). */
    public static boolean perBufferFds(int kind) { return kind == KIND_DMA_HEAP || kind == KIND_UDMABUF || kind == KIND_DEVICE_DMABUF; }

    static ByteBuffer le(byte[] b) { return ByteBuffer.wrap(b).order(ByteOrder.nativeOrder()); }

    static byte[] request() {
        byte[] b = new byte[REQUEST_BYTES];
        le(b).put(REQUEST_MAGIC).putInt(VERSION).putInt(0);
        return b;
    }

    /** Null when {@code b} is a valid request, else what is wrong with it. */
    static String checkRequest(byte[] b, long length, boolean truncated) {
        if (truncated || length != REQUEST_BYTES) return "a request of " + length + " bytes" + (truncated ? " (truncated)" : "") + ", not " + REQUEST_BYTES;
        if (!java.util.Arrays.equals(b, 0, 8, REQUEST_MAGIC, 0, 8)) return "a request without the magic \"VBUF-REQ\"";
        int v = le(b).getInt(8);
        if (v != VERSION) return "protocol version " + v + "; this pool speaks version " + VERSION;
        return null;
    }

    static byte[] reply(int kind, int total, int here, long fd0Bytes, long bufferFdBytes) {
        byte[] b = new byte[REPLY_BYTES];
        le(b).put(REPLY_MAGIC).putInt(VERSION).putInt(STATUS_OK).putInt(kind).putInt(total).putInt(here).putInt(0)
                .putLong(fd0Bytes).putLong(bufferFdBytes);
        return b;
    }

    static byte[] refusal(String text) {
        byte[] t = text.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(t.length, MAX_TEXT_BYTES);
        while (n > 0 && n < t.length && (t[n] & 0xC0) == 0x80) n--; // do not cut a character in two
        byte[] b = new byte[REPLY_BYTES + n];
        le(b).put(REPLY_MAGIC).putInt(VERSION).putInt(STATUS_REFUSED).putInt(0).putInt(0).putInt(0).putInt(n).putLong(0).putLong(0);
        System.arraycopy(t, 0, b, REPLY_BYTES, n);
        return b;
    }

    static byte[] more(int first, int here) {
        byte[] b = new byte[MORE_BYTES];
        le(b).put(MORE_MAGIC).putInt(first).putInt(here);
        return b;
    }

    /** A valid accepted reply's fields. */
    record Reply(int kind, int totalFds, int fdsHere, long fd0Bytes, long bufferFdBytes) {}

    /** Thrown for a message that breaks the protocol: the text says what was wrong. */
    static final class Violation extends RuntimeException {
        Violation(String what) { super(what, null, false, false); }
    }

    /**
     * Checks a reply (accepted or refused) of {@code length} bytes that came with
     * {@code fdsReceived} descriptors. A refusal throws with the creator's text.
     */
    static Reply checkReply(byte[] b, long length, boolean truncated, int fdsReceived, String pool) {
        if (truncated) throw new Violation("a truncated reply (longer than " + (REPLY_BYTES + MAX_TEXT_BYTES) + " bytes, or more descriptors than announced)");
        if (length < REPLY_BYTES) throw new Violation("a reply of " + length + " bytes, shorter than " + REPLY_BYTES);
        if (!java.util.Arrays.equals(b, 0, 8, REPLY_MAGIC, 0, 8)) throw new Violation("a reply without the magic \"VBUF-FDS\"");
        ByteBuffer r = le(b);
        int version = r.getInt(8), status = r.getInt(12), kind = r.getInt(16), total = r.getInt(20), here = r.getInt(24),
                text = r.getInt(28);
        long fd0 = r.getLong(32), each = r.getLong(40);
        if (version != VERSION) throw new Violation("protocol version " + version + "; this vbuf speaks version " + VERSION);
        if (status == STATUS_REFUSED) {
            if (text < 0 || text > MAX_TEXT_BYTES || length != REPLY_BYTES + text || fdsReceived != 0) {
                throw new Violation("a refusal of " + length + " bytes declaring " + text + " bytes of text, with " + fdsReceived + " descriptors");
            }
            String why = new String(b, REPLY_BYTES, text, StandardCharsets.UTF_8);
            throw new SecurityException("the creator of shared pool '" + pool + "' refused this process: " + why);
        }
        if (status != STATUS_OK) throw new Violation("status " + status + " (0 or 1 expected)");
        if (length != REPLY_BYTES || text != 0) throw new Violation("an accepted reply of " + length + " bytes, not " + REPLY_BYTES);
        if (kind < KIND_MEMFD || kind > MAX_KIND) throw new Violation("memory kind " + kind + ", outside 1.." + MAX_KIND);
        long maxTotal = perBufferFds(kind) ? 1L + FramePool.MAX_BUFFERS : 1;
        if (total < (perBufferFds(kind) ? 2 : 1) || total > maxTotal) {
            throw new Violation(total + " descriptors for a " + kindName(kind) + " pool (" + (perBufferFds(kind) ? "2.." + maxTotal : "exactly 1") + ")");
        }
        if (here < 1 || here > Math.min(total, FDS_PER_MESSAGE)) throw new Violation(here + " descriptors announced in the reply, outside 1.." + Math.min(total, FDS_PER_MESSAGE));
        if (fdsReceived != here) throw new Violation("a reply announcing " + here + " descriptors that came with " + fdsReceived);
        if (fd0 < dev.vbuf.pool.ControlBlock.HEADER_BYTES || fd0 > MAX_BYTES) throw new Violation("descriptor 0 of " + fd0 + " bytes, outside " + dev.vbuf.pool.ControlBlock.HEADER_BYTES + ".." + MAX_BYTES);
        if (perBufferFds(kind) ? each < 1 || each > MAX_BYTES || each % PoolFile.PAGE != 0 : each != 0) {
            throw new Violation("buffer descriptors of " + each + " bytes (" + (perBufferFds(kind) ? "a multiple of " + PoolFile.PAGE : "0 for this kind") + " expected)");
        }
        return new Reply(kind, total, here, fd0, each);
    }

    /** Checks a continuation message carrying descriptors {@code expectedFirst}.. of {@code total}. */
    static int checkMore(byte[] b, long length, boolean truncated, int fdsReceived, int expectedFirst, int total) {
        if (truncated || length != MORE_BYTES) throw new Violation("a continuation of " + length + " bytes" + (truncated ? " (truncated)" : "") + ", not " + MORE_BYTES);
        if (!java.util.Arrays.equals(b, 0, 8, MORE_MAGIC, 0, 8)) throw new Violation("a continuation without the magic \"VBUF-MOR\"");
        int first = le(b).getInt(8), here = le(b).getInt(12);
        if (first != expectedFirst) throw new Violation("descriptors from " + first + " where " + expectedFirst + " were due");
        if (here < 1 || here > Math.min(FDS_PER_MESSAGE, total - first)) throw new Violation(here + " descriptors announced, outside 1.." + Math.min(FDS_PER_MESSAGE, total - first));
        if (fdsReceived != here) throw new Violation("a continuation announcing " + here + " descriptors that came with " + fdsReceived);
        return here;
    }
}
