package dev.vbuf.sys;

import dev.vbuf.memory.NativeException;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Memory mapping: mmap, munmap, madvise, mlock, munlock and memfd_create. Set-up calls (a pool
 * is built or closed): each failure is a {@link NativeException} naming the call, its arguments,
 * errno and, where one helps, what to do.
 */
public final class Mman {
    private static final MethodHandle MMAP = Libc.capturing("mmap",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle MUNMAP = Libc.capturing("munmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle MADVISE = Libc.capturing("madvise", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle MLOCK = Libc.capturing("mlock", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle MUNLOCK = Libc.capturing("munlock", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle MEMFD_CREATE = Libc.capturing("memfd_create", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));

    private Mman() {}

    /** mmap(NULL, length, prot, flags, fd, offset): the mapping, {@code length} bytes. */
    public static MemorySegment mmap(long length, int prot, int flags, int fd, long offset) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(a);
            MemorySegment p = (MemorySegment) MMAP.invokeExact(state, MemorySegment.NULL, length, prot, flags, fd, offset);
            if (p.address() == Abi.MAP_FAILED) {
                throw Libc.fail("mmap", "length " + length + ", prot 0x" + Integer.toHexString(prot) + ", flags 0x"
                        + Integer.toHexString(flags) + ", fd " + fd + ", offset " + offset, state, mmapHint(flags));
            }
            return p.reinterpret(length);
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.broken("mmap", t);
        }
    }

    public static void munmap(MemorySegment mapping) {
        range("munmap", MUNMAP, mapping, null);
    }

    public static void madvise(MemorySegment range, int advice) {
        range("madvise", MADVISE, range, advice);
    }

    /** mlock: the error names RLIMIT_MEMLOCK when that is what stopped it. */
    public static void mlock(MemorySegment range) {
        range("mlock", MLOCK, range, null);
    }

    public static void munlock(MemorySegment range) {
        range("munlock", MUNLOCK, range, null);
    }

    /** memfd_create(name, flags): a new anonymous file's descriptor. */
    public static int memfdCreate(String name, int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(a);
            int fd = (int) MEMFD_CREATE.invokeExact(state, a.allocateFrom(name), flags);
            if (fd < 0) throw Libc.fail("memfd_create", "name '" + name + "', flags 0x" + Integer.toHexString(flags), state, null);
            return fd;
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.broken("memfd_create", t);
        }
    }

    private static void range(String name, MethodHandle h, MemorySegment range, Integer advice) {
        long length = range.byteSize();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(a);
            int r = advice == null ? (int) h.invokeExact(state, range, length)
                    : (int) h.invokeExact(state, range, length, (int) advice);
            if (r != 0) {
                String args = "address 0x" + Long.toHexString(range.address()) + ", length " + length
                        + (advice == null ? "" : ", advice " + advice);
                throw Libc.fail(name, args, state, name.equals("mlock") ? mlockHint(length) : null);
            }
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.broken(name, t);
        }
    }

    private static String mmapHint(int flags) {
        if ((flags & Abi.MAP_HUGETLB) != 0) {
            return "explicit huge pages need pages reserved in /proc/sys/vm/nr_hugepages (see 'vbuf info'),"
                    + " or use transparent huge pages instead";
        }
        return null;
    }

    private static String mlockHint(long length) {
        return "locking " + length + " bytes needs RLIMIT_MEMLOCK (ulimit -l, in KiB) at least that large or"
                + " CAP_IPC_LOCK; raise the limit or build the pool without locked memory";
    }
}
