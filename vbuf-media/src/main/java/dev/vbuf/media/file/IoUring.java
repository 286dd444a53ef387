package dev.vbuf.media.file;

import dev.vbuf.sys.Abi;
import dev.vbuf.sys.Errno;
import dev.vbuf.sys.FileIo;
import dev.vbuf.sys.Mman;
import dev.vbuf.sys.Uring;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * A minimal io_uring: one submission and one completion ring shared with the kernel, used for
 * {@code Abi.IORING_OP_READ} and {@code Abi.IORING_OP_WRITE} straight into (out of) pool buffers.
 *
 * <h2>Overview</h2>
 * {@code io_uring_setup(entries, &params)} returns a descriptor and fills {@code params} with
 * the rings' sizes and field offsets ({@code struct io_sqring_offsets} at byte 40,
 * {@code struct io_cqring_offsets} at byte 80 of the 120-byte {@code struct io_uring_params},
 * include/uapi/linux/io_uring.h). Three mappings of that descriptor give the SQ ring
 * (head, tail, mask, index array; offset {@code Abi.IORING_OFF_SQ_RING = 0}), the CQ ring
 * (head, tail, mask, 16-byte CQEs; {@code Abi.IORING_OFF_CQ_RING = 0x8000000}) and the array of
 * 64-byte SQEs ({@code Abi.IORING_OFF_SQES = 0x10000000}).
 *
 * <h2>Ordering</h2>
 * Submission: write the SQE and the array slot with plain stores, then <b>release</b>-store
 * the SQ tail (the kernel acquire-loads it). Completion: <b>acquire</b>-load the CQ tail, read
 * the CQEs with plain loads, then <b>release</b>-store the CQ head (frees the CQEs for the
 * kernel). Only one thread uses an instance (not thread-safe); nothing here allocates after
 * construction.
 */
final class IoUring implements AutoCloseable {
    private static final long SQE_BYTES = Uring.SQE.byteSize(), CQE_BYTES = Uring.CQE.byteSize();
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    private final int fd;
    private final int sqEntries, cqEntries;
    private final MemorySegment sqRing, cqRing, sqes;
    private final boolean singleMmap;
    private final long sqHeadOff, sqTailOff, sqArrayOff, cqHeadOff, cqTailOff, cqesOff;
    private final int sqMask, cqMask;
    private final MemorySegment state;
    private final Arena arena = Arena.ofConfined();
    private int sqTail;
    private int pending;
    /** Result of the last {@link #reap}: user data and result, read by the caller. */
    long cqeUserData;
    int cqeResult;

    /** Sets up a ring of at least {@code entries} submissions (the kernel rounds up to a power of two). */
    IoUring(int entries) {
        MemorySegment p = arena.allocate(Uring.PARAMS);
        this.fd = Uring.setup(entries, p);
        try {
            sqEntries = p.get(ValueLayout.JAVA_INT, Uring.P_SQ_ENTRIES);
            cqEntries = p.get(ValueLayout.JAVA_INT, Uring.P_CQ_ENTRIES);
            int features = p.get(ValueLayout.JAVA_INT, Uring.P_FEATURES);
            sqHeadOff = p.get(ValueLayout.JAVA_INT, Uring.P_SQ_HEAD);
            sqTailOff = p.get(ValueLayout.JAVA_INT, Uring.P_SQ_TAIL);
            long sqMaskOff = p.get(ValueLayout.JAVA_INT, Uring.P_SQ_RING_MASK);
            sqArrayOff = p.get(ValueLayout.JAVA_INT, Uring.P_SQ_ARRAY);
            cqHeadOff = p.get(ValueLayout.JAVA_INT, Uring.P_CQ_HEAD);
            cqTailOff = p.get(ValueLayout.JAVA_INT, Uring.P_CQ_TAIL);
            long cqMaskOff = p.get(ValueLayout.JAVA_INT, Uring.P_CQ_RING_MASK);
            cqesOff = p.get(ValueLayout.JAVA_INT, Uring.P_CQ_CQES);
            long sqSize = sqArrayOff + 4L * sqEntries;
            long cqSize = cqesOff + CQE_BYTES * cqEntries;
            singleMmap = (features & Abi.IORING_FEAT_SINGLE_MMAP) != 0;
            int prot = Abi.PROT_READ | Abi.PROT_WRITE, flags = Abi.MAP_SHARED | Abi.MAP_POPULATE;
            if (singleMmap) {
                sqRing = Mman.mmap(Math.max(sqSize, cqSize), prot, flags, fd, Abi.IORING_OFF_SQ_RING);
                cqRing = sqRing;
            } else {
                sqRing = Mman.mmap(sqSize, prot, flags, fd, Abi.IORING_OFF_SQ_RING);
                cqRing = Mman.mmap(cqSize, prot, flags, fd, Abi.IORING_OFF_CQ_RING);
            }
            sqes = Mman.mmap(SQE_BYTES * sqEntries, prot, flags, fd, Abi.IORING_OFF_SQES);
            sqMask = sqRing.get(ValueLayout.JAVA_INT, sqMaskOff);
            cqMask = cqRing.get(ValueLayout.JAVA_INT, cqMaskOff);
            sqTail = (int) INT.getAcquire(sqRing, sqTailOff);
            state = Errno.newCallState(arena);
        } catch (RuntimeException e) {
            FileIo.close(fd);
            arena.close();
            throw e;
        }
    }

    int capacity() {
        return sqEntries;
    }

    /** Reads or writes in flight (queued and not yet reaped). */
    int pending() {
        return pending;
    }

    /**
     * Queues one read or write of {@code len} bytes at file offset {@code off} into (out of)
     * {@code buf}; {@link #submit} hands it to the kernel.
     */
    void queue(byte op, int fileFd, MemorySegment buf, int len, long off, long userData) {
        int idx = sqTail & sqMask;
        long e = idx * SQE_BYTES;
        for (int i = 0; i < SQE_BYTES; i += 8) sqes.set(ValueLayout.JAVA_LONG, e + i, 0L);
        sqes.set(ValueLayout.JAVA_BYTE, e + Uring.SQE_OPCODE, op);
        sqes.set(ValueLayout.JAVA_INT, e + Uring.SQE_FD, fileFd);
        sqes.set(ValueLayout.JAVA_LONG, e + Uring.SQE_OFF, off);
        sqes.set(ValueLayout.JAVA_LONG, e + Uring.SQE_ADDR, buf.address());
        sqes.set(ValueLayout.JAVA_INT, e + Uring.SQE_LEN, len);
        sqes.set(ValueLayout.JAVA_LONG, e + Uring.SQE_USER_DATA, userData);
        sqRing.set(ValueLayout.JAVA_INT, sqArrayOff + 4L * idx, idx);
        sqTail++;
        INT.setRelease(sqRing, sqTailOff, sqTail);
        pending++;
    }

    /** Submits everything queued and waits for at least {@code minComplete} completions. */
    void submit(int toSubmit, int minComplete) {
        long r;
        do {
            r = Uring.enter(state, fd, toSubmit, minComplete, minComplete > 0 ? Abi.IORING_ENTER_GETEVENTS : 0);
            if (r >= 0) return;
            toSubmit = 0;
        } while (r == -Abi.EINTR || r == -Abi.EAGAIN);
        throw Errno.failure("io_uring_enter", "fd " + fd + ", min_complete " + minComplete, (int) -r, null);
    }

    /**
     * Takes one completion if there is one: sets {@link #cqeUserData} and {@link #cqeResult}
     * (bytes, or -errno) and returns true.
     */
    boolean reap() {
        int head = (int) INT.getAcquire(cqRing, cqHeadOff);
        int tail = (int) INT.getAcquire(cqRing, cqTailOff);
        if (head == tail) return false;
        long c = cqesOff + (head & cqMask) * CQE_BYTES;
        cqeUserData = cqRing.get(ValueLayout.JAVA_LONG, c + Uring.CQE_USER_DATA);
        cqeResult = cqRing.get(ValueLayout.JAVA_INT, c + Uring.CQE_RES);
        INT.setRelease(cqRing, cqHeadOff, head + 1);
        pending--;
        return true;
    }

    /** Waits for and takes one completion. */
    void reapOne() {
        while (!reap()) submit(0, 1);
    }

    /** Waits for every read or write in flight (the kernel may still be writing into their buffers), then unmaps. */
    @Override
    public void close() {
        try {
            while (pending > 0) reapOne();
        } catch (RuntimeException e) {
            // the ring is broken; closing the descriptor below cancels what is left
        }
        Mman.munmap(sqes);
        Mman.munmap(sqRing);
        if (!singleMmap) Mman.munmap(cqRing);
        FileIo.close(fd);
        arena.close();
    }
}
