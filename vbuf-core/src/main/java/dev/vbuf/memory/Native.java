package dev.vbuf.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Map;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The few Linux system calls vbuf's memory needs, as {@code java.lang.foreign} downcalls into
 * the C library (no JNI). Every call captures {@code errno} in the same downcall (the
 * linker's {@code captureCallState}), so no other call can overwrite it, and turns a failure
 * into a {@link NativeException} that names the call, its arguments and the error.
 *
 * <p>Linux x86-64 and aarch64 share the constants used here (checked against the system
 * headers: bits/mman-linux.h, bits/mman-map-flags-generic.h, bits/mman-shared.h).
 * Not on the hot path: these run when a pool is built or closed.
 */
public final class Native {
    public static final int PROT_READ = 0x1;
    public static final int PROT_WRITE = 0x2;
    public static final int MAP_SHARED = 0x01;
    public static final int MAP_PRIVATE = 0x02;
    public static final int MAP_ANONYMOUS = 0x20;
    public static final int MAP_NORESERVE = 0x4000;
    public static final int MAP_POPULATE = 0x8000;
    public static final int MAP_HUGETLB = 0x40000;
    public static final int MADV_DONTNEED = 4;
    public static final int MADV_HUGEPAGE = 14;
    public static final int MFD_CLOEXEC = 1;
    public static final int MFD_ALLOW_SEALING = 2;
    public static final int MFD_HUGETLB = 4;
    /** mmap's MAP_FAILED. */
    public static final long MAP_FAILED = -1L;

    private static final Map<Integer, String> ERRNO_NAMES = Map.ofEntries(
            Map.entry(1, "EPERM"), Map.entry(2, "ENOENT"), Map.entry(4, "EINTR"), Map.entry(5, "EIO"),
            Map.entry(6, "ENXIO"), Map.entry(25, "ENOTTY"), Map.entry(32, "EPIPE"), Map.entry(9, "EBADF"), Map.entry(11, "EAGAIN"),
            Map.entry(12, "ENOMEM"), Map.entry(13, "EACCES"), Map.entry(14, "EFAULT"), Map.entry(16, "EBUSY"),
            Map.entry(17, "EEXIST"), Map.entry(19, "ENODEV"), Map.entry(22, "EINVAL"), Map.entry(23, "ENFILE"),
            Map.entry(24, "EMFILE"), Map.entry(27, "EFBIG"), Map.entry(28, "ENOSPC"), Map.entry(38, "ENOSYS"),
            Map.entry(95, "EOPNOTSUPP"));

    static final Linker LINKER = Linker.nativeLinker();
    static final SymbolLookup LIBC = LINKER.defaultLookup();
    static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    private static final MethodHandle MMAP = downcall("mmap",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle MUNMAP = downcall("munmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle MADVISE = downcall("madvise", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle MLOCK = downcall("mlock", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle MUNLOCK = downcall("munlock", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle MEMFD_CREATE = downcall("memfd_create", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle FTRUNCATE = downcall("ftruncate", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle CLOSE = downcall("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle STRERROR = LINKER.downcallHandle(LIBC.find("strerror").orElseThrow(),
            FunctionDescriptor.of(ADDRESS.withTargetLayout(MemoryLayout.sequenceLayout(256, ValueLayout.JAVA_BYTE)), JAVA_INT));

    private Native() {}

    private static MethodHandle downcall(String name, FunctionDescriptor fd) {
        MemorySegment symbol = LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError(
                name + " is not in the C library; vbuf's native memory needs Linux with glibc 2.27 or newer"));
        return LINKER.downcallHandle(symbol, fd, CAPTURE_ERRNO);
    }

    /** mmap(NULL, length, prot, flags, fd, offset): the mapping, {@code length} bytes. */
    public static MemorySegment mmap(long length, int prot, int flags, int fd, long offset) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(CALL_STATE);
            MemorySegment p = (MemorySegment) MMAP.invokeExact(state, MemorySegment.NULL, length, prot, flags, fd, offset);
            if (p.address() == MAP_FAILED) {
                throw fail("mmap", "length " + length + ", prot 0x" + Integer.toHexString(prot) + ", flags 0x"
                        + Integer.toHexString(flags) + ", fd " + fd + ", offset " + offset, state, mmapHint(flags));
            }
            return p.reinterpret(length);
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("mmap downcall failed: " + t, t);
        }
    }

    public static void munmap(MemorySegment mapping) {
        call("munmap", MUNMAP, mapping, mapping.byteSize(), "", null);
    }

    public static void madvise(MemorySegment range, int advice) {
        call("madvise", MADVISE, range, range.byteSize(), "advice " + advice, advice);
    }

    /** mlock: the error names RLIMIT_MEMLOCK when that is what stopped it. */
    public static void mlock(MemorySegment range) {
        call("mlock", MLOCK, range, range.byteSize(), "", null);
    }

    public static void munlock(MemorySegment range) {
        call("munlock", MUNLOCK, range, range.byteSize(), "", null);
    }

    /** memfd_create(name, flags): a new anonymous file's descriptor. */
    public static int memfdCreate(String name, int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(CALL_STATE);
            int fd = (int) MEMFD_CREATE.invokeExact(state, a.allocateFrom(name), flags);
            if (fd < 0) throw fail("memfd_create", "name '" + name + "', flags 0x" + Integer.toHexString(flags), state, null);
            return fd;
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("memfd_create downcall failed: " + t, t);
        }
    }

    public static void ftruncate(int fd, long length) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(CALL_STATE);
            int r = (int) FTRUNCATE.invokeExact(state, fd, length);
            if (r != 0) throw fail("ftruncate", "fd " + fd + ", length " + length, state, null);
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("ftruncate downcall failed: " + t, t);
        }
    }

    public static void close(int fd) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(CALL_STATE);
            int r = (int) CLOSE.invokeExact(state, fd);
            if (r != 0) throw fail("close", "fd " + fd, state, null);
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("close downcall failed: " + t, t);
        }
    }

    /** "ENOMEM (Cannot allocate memory)" for errno 12. */
    public static String describeErrno(int errno) {
        String text;
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
            text = s.getString(0);
        } catch (Throwable t) {
            text = "errno " + errno;
        }
        return ERRNO_NAMES.getOrDefault(errno, "errno " + errno) + " (" + text + ")";
    }

    private static void call(String name, MethodHandle h, MemorySegment range, long length, String extra, Integer advice) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(CALL_STATE);
            int r = advice == null ? (int) h.invokeExact(state, range, length)
                    : (int) h.invokeExact(state, range, length, (int) advice);
            if (r != 0) {
                String args = "address 0x" + Long.toHexString(range.address()) + ", length " + length
                        + (extra.isEmpty() ? "" : ", " + extra);
                throw fail(name, args, state, name.equals("mlock") ? mlockHint(length) : null);
            }
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(name + " downcall failed: " + t, t);
        }
    }

    static NativeException fail(String call, String args, MemorySegment state, String hint) {
        int errno = (int) ERRNO.get(state, 0L);
        return new NativeException(call, errno, call + "(" + args + ") failed: " + describeErrno(errno)
                + (hint == null ? "" : "; " + hint));
    }

    private static String mmapHint(int flags) {
        if ((flags & MAP_HUGETLB) != 0) {
            return "explicit huge pages need pages reserved in /proc/sys/vm/nr_hugepages (see 'vbuf info'),"
                    + " or use transparent huge pages instead";
        }
        return null;
    }

    private static String mlockHint(long length) {
        return "locking " + length + " bytes needs RLIMIT_MEMLOCK (ulimit -l, in KiB) at least that large or"
                + " CAP_IPC_LOCK; raise the limit or build the pool without locked memory";
    }
    // ===== issue 5 (memory kinds): package helpers that MemoryCalls builds its downcalls on =====
    // (open, ioctl, fcntl and the NUMA system calls live in MemoryCalls, not here)

    /** A downcall into the C library that captures errno, with extra linker options (e.g. variadic). */
    static MethodHandle downcallCapturing(String name, FunctionDescriptor fd, Linker.Option... extra) {
        MemorySegment symbol = LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError(name + " is not in the C library"));
        Linker.Option[] opts = java.util.Arrays.copyOf(extra, extra.length + 1);
        opts[extra.length] = CAPTURE_ERRNO;
        return LINKER.downcallHandle(symbol, fd, opts);
    }

    /** The same call without errno capture (for a hot path that allocates nothing). */
    static MethodHandle downcallPlain(String name, FunctionDescriptor fd, Linker.Option... extra) {
        MemorySegment symbol = LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError(name + " is not in the C library"));
        return LINKER.downcallHandle(symbol, fd, extra);
    }

    /** A segment to capture errno in, from {@code arena}. */
    static MemorySegment callState(Arena arena) { return arena.allocate(CALL_STATE); }

    /** The errno a capturing call left in {@code state}. */
    static int errno(MemorySegment state) { return (int) ERRNO.get(state, 0L); }

    /** The exception for a failed call: names the call, its arguments, the errno and a hint. */
    static NativeException failure(String call, String args, MemorySegment state, String hint) {
        return fail(call, args, state, hint);
    }
    // ===== end issue 5 =====
}
