package dev.vbuf.sys;

import dev.vbuf.memory.NativeException;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * io_uring's system calls (through {@code syscall(2)}: glibc has no wrappers) and the records
 * shared with the kernel ({@code linux/io_uring.h}), one {@link StructLayout} each with the
 * offsets taken from it by name. The rings themselves are driven by vbuf-media's file reader.
 *
 * <pre>
 * io_uring_params (120 bytes)                io_uring_sqe (64 bytes), the fields vbuf writes
 *   0 sq_entries   4 cq_entries  8 flags       0 opcode (u8)   1 flags (u8)  2 ioprio (u16)
 *  12 sq_thread_cpu 16 sq_thread_idle          4 fd (s32)      8 off (u64)  16 addr (u64)
 *  20 features     24 wq_fd     28 resv[3]    24 len (u32)    28 rw_flags   32 user_data (u64)
 *  40 sq_off: io_sqring_offsets (40 bytes)   io_uring_cqe (16 bytes)
 *  80 cq_off: io_cqring_offsets (40 bytes)     0 user_data (u64)  8 res (s32)  12 flags (u32)
 * </pre>
 */
public final class Uring {
    /** struct io_sqring_offsets: where the submission ring's fields are in its mapping. */
    public static final StructLayout SQRING_OFFSETS = MemoryLayout.structLayout(
            JAVA_INT.withName("head"), JAVA_INT.withName("tail"), JAVA_INT.withName("ring_mask"),
            JAVA_INT.withName("ring_entries"), JAVA_INT.withName("flags"), JAVA_INT.withName("dropped"),
            JAVA_INT.withName("array"), JAVA_INT.withName("resv1"), MemoryLayout.paddingLayout(8)).withName("io_sqring_offsets");
    /** struct io_cqring_offsets: where the completion ring's fields are in its mapping. */
    public static final StructLayout CQRING_OFFSETS = MemoryLayout.structLayout(
            JAVA_INT.withName("head"), JAVA_INT.withName("tail"), JAVA_INT.withName("ring_mask"),
            JAVA_INT.withName("ring_entries"), JAVA_INT.withName("overflow"), JAVA_INT.withName("cqes"),
            JAVA_INT.withName("flags"), JAVA_INT.withName("resv1"), MemoryLayout.paddingLayout(8)).withName("io_cqring_offsets");
    /** struct io_uring_params: filled in by io_uring_setup. */
    public static final StructLayout PARAMS = MemoryLayout.structLayout(
            JAVA_INT.withName("sq_entries"), JAVA_INT.withName("cq_entries"), JAVA_INT.withName("flags"),
            JAVA_INT.withName("sq_thread_cpu"), JAVA_INT.withName("sq_thread_idle"), JAVA_INT.withName("features"),
            JAVA_INT.withName("wq_fd"), MemoryLayout.sequenceLayout(3, JAVA_INT).withName("resv"),
            SQRING_OFFSETS.withName("sq_off"), CQRING_OFFSETS.withName("cq_off")).withName("io_uring_params");
    /** struct io_uring_sqe: one submission (the fields vbuf writes; the rest stays zero). */
    public static final StructLayout SQE = MemoryLayout.structLayout(
            JAVA_BYTE.withName("opcode"), JAVA_BYTE.withName("flags"), JAVA_SHORT.withName("ioprio"),
            JAVA_INT.withName("fd"), JAVA_LONG.withName("off"), JAVA_LONG.withName("addr"), JAVA_INT.withName("len"),
            JAVA_INT.withName("rw_flags"), JAVA_LONG.withName("user_data"), MemoryLayout.paddingLayout(24)).withName("io_uring_sqe");
    /** struct io_uring_cqe: one completion. */
    public static final StructLayout CQE = MemoryLayout.structLayout(
            JAVA_LONG.withName("user_data"), JAVA_INT.withName("res"), JAVA_INT.withName("flags")).withName("io_uring_cqe");

    /** Offsets in {@link #PARAMS}, of the fields the ring set-up reads. */
    public static final long P_SQ_ENTRIES = PARAMS.byteOffset(groupElement("sq_entries")),
            P_CQ_ENTRIES = PARAMS.byteOffset(groupElement("cq_entries")),
            P_FEATURES = PARAMS.byteOffset(groupElement("features")),
            P_SQ_HEAD = PARAMS.byteOffset(groupElement("sq_off"), groupElement("head")),
            P_SQ_TAIL = PARAMS.byteOffset(groupElement("sq_off"), groupElement("tail")),
            P_SQ_RING_MASK = PARAMS.byteOffset(groupElement("sq_off"), groupElement("ring_mask")),
            P_SQ_ARRAY = PARAMS.byteOffset(groupElement("sq_off"), groupElement("array")),
            P_CQ_HEAD = PARAMS.byteOffset(groupElement("cq_off"), groupElement("head")),
            P_CQ_TAIL = PARAMS.byteOffset(groupElement("cq_off"), groupElement("tail")),
            P_CQ_RING_MASK = PARAMS.byteOffset(groupElement("cq_off"), groupElement("ring_mask")),
            P_CQ_CQES = PARAMS.byteOffset(groupElement("cq_off"), groupElement("cqes"));
    /** Offsets in {@link #SQE} and {@link #CQE}. */
    public static final long SQE_OPCODE = SQE.byteOffset(groupElement("opcode")), SQE_FD = SQE.byteOffset(groupElement("fd")),
            SQE_OFF = SQE.byteOffset(groupElement("off")), SQE_ADDR = SQE.byteOffset(groupElement("addr")),
            SQE_LEN = SQE.byteOffset(groupElement("len")), SQE_USER_DATA = SQE.byteOffset(groupElement("user_data")),
            CQE_USER_DATA = CQE.byteOffset(groupElement("user_data")), CQE_RES = CQE.byteOffset(groupElement("res"));

    /** syscall(io_uring_setup, entries, params) */
    private static final MethodHandle SETUP = Libc.capturing("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS), Libc.variadicFrom(1));
    /** syscall(io_uring_enter, fd, to_submit, min_complete, flags, sig, sigsz) */
    private static final MethodHandle ENTER = Libc.capturing("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG),
            Libc.variadicFrom(1));

    private Uring() {}

    /** io_uring_setup(entries, params): the ring's descriptor; {@code params} is a segment of {@link #PARAMS}. */
    public static int setup(int entries, MemorySegment params) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(a);
            long r = (long) SETUP.invokeExact(state, Abi.SYS_io_uring_setup, (long) entries, params);
            if (r < 0) {
                int e = Libc.errno(state);
                throw Libc.fail("io_uring_setup", "entries " + entries, e, e == Abi.EPERM || e == Abi.ENOSYS
                        ? "io_uring is disabled or missing in this kernel (see /proc/sys/kernel/io_uring_disabled);"
                          + " read the file another way (mmap or O_DIRECT)" : null);
            }
            return (int) r;
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.broken("io_uring_setup", t);
        }
    }

    /** io_uring_enter(fd, toSubmit, minComplete, flags, NULL, 0): submitted count, or -errno. Never allocates. */
    public static long enter(MemorySegment state, int fd, int toSubmit, int minComplete, int flags) {
        try {
            long r = (long) ENTER.invokeExact(state, Abi.SYS_io_uring_enter, (long) fd, (long) toSubmit,
                    (long) minComplete, (long) flags, MemorySegment.NULL, 0L);
            return r < 0 ? -Libc.errno(state) : r;
        } catch (Throwable t) {
            throw Libc.broken("io_uring_enter", t);
        }
    }
}
