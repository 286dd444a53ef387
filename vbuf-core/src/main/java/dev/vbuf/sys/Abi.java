package dev.vbuf.sys;

import java.util.Locale;

/**
 * Every Linux constant vbuf passes to the kernel or reads back from it, defined once: flags,
 * errno values, ioctl request numbers, system call numbers and the few struct offsets that
 * are not described by an FFM layout. The ioctl encoder ({@link #iowr} and friends) is here too.
 *
 * <p>Most values are the same on x86-64 and aarch64 (both use the kernel's generic
 * definitions); they are plain constants below. The values that differ are in one {@link Arch}
 * table per architecture, chosen at run time from {@code os.arch} ({@link #ARCH}) and exposed
 * as the fields under "per architecture". {@code AbiHeadersTest} compiles every constant here
 * with the C compiler of each architecture (gcc for x86-64, {@code aarch64-linux-gnu-gcc} for
 * aarch64) and compares: the field's name is the C macro's name.
 */
public final class Abi {
    private Abi() {}

    /**
     * The values that differ between the architectures vbuf runs on. A component's name is the
     * C name it stands for: a macro ({@code O_DIRECT}, {@code SYS_futex}), {@code sizeof_S} for
     * {@code sizeof(struct S)}, {@code S_field} for {@code offsetof(struct S, field)}.
     */
    public record Arch(String name, int O_DIRECT, int O_NOFOLLOW,
                       long SYS_futex, long SYS_mbind, long SYS_set_mempolicy, long SYS_get_mempolicy,
                       long SYS_move_pages, long SYS_io_uring_setup, long SYS_io_uring_enter,
                       long sizeof_stat, long stat_st_ino, long stat_st_mode, long stat_st_uid, long stat_st_size) {

        /** x86-64: arch/x86/include/uapi/asm/unistd_64.h, the generic fcntl.h, the x86-64 struct stat. */
        public static final Arch X86_64 = new Arch("x86-64", 040000, 0400000,
                202, 237, 238, 239, 279, 425, 426,
                144, 8, 24, 28, 48);

        /** aarch64: asm-generic/unistd.h, arch/arm64/include/uapi/asm/fcntl.h, the generic struct stat. */
        public static final Arch AARCH64 = new Arch("aarch64", 0200000, 0100000,
                98, 235, 237, 236, 239, 425, 426,
                128, 8, 16, 24, 48);

        /** The table for an {@code os.arch} value, or null for an architecture vbuf has no table for. */
        public static Arch of(String osArch) {
            return switch (osArch.toLowerCase(Locale.ROOT)) {
                case "amd64", "x86_64", "x86-64" -> X86_64;
                case "aarch64", "arm64" -> AARCH64;
                default -> null;
            };
        }

        static Arch current() {
            String a = System.getProperty("os.arch");
            Arch t = of(a);
            if (t == null) {
                throw new UnsupportedOperationException("vbuf's system calls know Linux on x86-64 and aarch64; this JVM"
                        + " runs on " + a + ", which needs its own table in dev.vbuf.sys.Abi (checked by AbiHeadersTest)");
            }
            return t;
        }
    }

    /** The table of the architecture this JVM runs on. */
    public static final Arch ARCH = Arch.current();

    // ---- per architecture (from ARCH) ----
    /** fcntl.h: x86-64 040000, aarch64 0200000. */
    public static final int O_DIRECT = ARCH.O_DIRECT();
    /** fcntl.h: x86-64 0400000, aarch64 0100000. */
    public static final int O_NOFOLLOW = ARCH.O_NOFOLLOW();
    public static final long SYS_futex = ARCH.SYS_futex();
    public static final long SYS_mbind = ARCH.SYS_mbind();
    public static final long SYS_set_mempolicy = ARCH.SYS_set_mempolicy();
    public static final long SYS_get_mempolicy = ARCH.SYS_get_mempolicy();
    public static final long SYS_move_pages = ARCH.SYS_move_pages();
    public static final long SYS_io_uring_setup = ARCH.SYS_io_uring_setup();
    public static final long SYS_io_uring_enter = ARCH.SYS_io_uring_enter();

    // ---- files: fcntl.h ----
    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 01;
    public static final int O_RDWR = 02;
    public static final int O_CREAT = 0100;
    public static final int O_EXCL = 0200;
    public static final int O_TRUNC = 01000;
    public static final int O_NONBLOCK = 04000;
    public static final int O_CLOEXEC = 02000000;
    public static final int F_ADD_SEALS = 1033;
    public static final int F_GET_SEALS = 1034;
    public static final int F_SEAL_SEAL = 0x0001;
    public static final int F_SEAL_SHRINK = 0x0002;
    public static final int F_SEAL_GROW = 0x0004;
    public static final int F_SEAL_WRITE = 0x0008;
    /** unistd.h: lseek's whence. */
    public static final int SEEK_SET = 0, SEEK_END = 2;
    /** poll.h */
    public static final short POLLIN = 0x1, POLLPRI = 0x2, POLLERR = 0x8, POLLHUP = 0x10;

    // ---- Unix-domain sockets: sys/socket.h, sys/un.h (the same on x86-64 and aarch64) ----
    public static final int AF_UNIX = 1;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_SEQPACKET = 5;
    public static final int SOCK_NONBLOCK = 04000;
    public static final int SOCK_CLOEXEC = 02000000;
    public static final int SOL_SOCKET = 1;
    public static final int SO_PEERCRED = 17;
    public static final int SCM_RIGHTS = 1;
    public static final int MSG_CTRUNC = 0x8;
    public static final int MSG_TRUNC = 0x20;
    public static final int MSG_DONTWAIT = 0x40;
    public static final int MSG_NOSIGNAL = 0x4000;
    public static final int MSG_CMSG_CLOEXEC = 0x40000000;

    // ---- memory mapping: sys/mman.h ----
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
    /** mmap's failure result, (void *) -1. */
    public static final long MAP_FAILED = -1L;

    // ---- futex: linux/futex.h ----
    public static final int FUTEX_WAIT = 0;
    public static final int FUTEX_WAKE = 1;

    // ---- NUMA: linux/mempolicy.h ----
    public static final int MPOL_DEFAULT = 0;
    public static final int MPOL_BIND = 2;
    public static final int MPOL_MF_STRICT = 1;
    public static final int MPOL_MF_MOVE = 2;
    public static final int MPOL_F_NODE = 1;
    public static final int MPOL_F_ADDR = 2;

    // ---- DMA-BUF: linux/dma-heap.h, linux/dma-buf.h, linux/udmabuf.h ----
    /** _IOWR('H', 0, struct dma_heap_allocation_data), 24 bytes. */
    public static final long DMA_HEAP_IOCTL_ALLOC = iowr('H', 0, 24);
    /** _IOW('b', 0, struct dma_buf_sync), 8 bytes. */
    public static final long DMA_BUF_IOCTL_SYNC = iow('b', 0, 8);
    /** _IOW('u', 0x42, struct udmabuf_create), 24 bytes. */
    public static final long UDMABUF_CREATE = iow('u', 0x42, 24);
    public static final int UDMABUF_FLAGS_CLOEXEC = 0x01;
    public static final int DMA_BUF_SYNC_READ = 1;
    public static final int DMA_BUF_SYNC_WRITE = 2;
    public static final int DMA_BUF_SYNC_START = 0;
    public static final int DMA_BUF_SYNC_END = 4;

    // ---- io_uring: linux/io_uring.h ----
    public static final byte IORING_OP_READ = 22;
    public static final byte IORING_OP_WRITE = 23;
    public static final int IORING_ENTER_GETEVENTS = 1;
    public static final int IORING_FEAT_SINGLE_MMAP = 1;
    public static final long IORING_OFF_SQ_RING = 0L;
    public static final long IORING_OFF_CQ_RING = 0x8000000L;
    public static final long IORING_OFF_SQES = 0x10000000L;

    // ---- framebuffer console: linux/kd.h (the fb ioctls and structs are media's FbAbi) ----
    /** Text or graphics mode of a virtual console, so the console does not draw over a framebuffer. */
    public static final long KDSETMODE = 0x4B3A;
    public static final int KD_TEXT = 0x00, KD_GRAPHICS = 0x01;

    // ---- errno.h (names and texts: Errno) ----
    public static final int EPERM = 1, ENOENT = 2, EINTR = 4, EIO = 5, ENXIO = 6, EBADF = 9, EAGAIN = 11,
            ENOMEM = 12, EACCES = 13, EFAULT = 14, EBUSY = 16, EEXIST = 17, ENODEV = 19, EINVAL = 22,
            ENFILE = 23, EMFILE = 24, ENOTTY = 25, EFBIG = 27, ENOSPC = 28, EPIPE = 32, ENOSYS = 38,
            ELOOP = 40, EOPNOTSUPP = 95, ECONNRESET = 104, ECONNREFUSED = 111;

    // ---- the ioctl request encoder: asm-generic/ioctl.h (x86-64 and aarch64 both use it) ----
    /** _IOC direction bits. */
    public static final int IOC_NONE = 0, IOC_WRITE = 1, IOC_READ = 2;

    /** _IOC(dir, type, nr, size): dir in bits 30-31, size in 16-29, type in 8-15, nr in 0-7. */
    public static long ioc(int dir, char type, int nr, long size) {
        if (size < 0 || size >= (1 << 14)) throw new IllegalArgumentException("ioctl size " + size + " does not fit in 14 bits");
        if (nr < 0 || nr > 0xff || type > 0xff) throw new IllegalArgumentException("ioctl type " + (int) type + " or number " + nr + " does not fit in 8 bits");
        return ((long) dir << 30) | (size << 16) | ((long) type << 8) | nr;
    }

    /** _IO(type, nr) */
    public static long io(char type, int nr) { return ioc(IOC_NONE, type, nr, 0); }
    /** _IOR(type, nr, size): the kernel writes the argument. */
    public static long ior(char type, int nr, long size) { return ioc(IOC_READ, type, nr, size); }
    /** _IOW(type, nr, size): the kernel reads the argument. */
    public static long iow(char type, int nr, long size) { return ioc(IOC_WRITE, type, nr, size); }
    /** _IOWR(type, nr, size) */
    public static long iowr(char type, int nr, long size) { return ioc(IOC_READ | IOC_WRITE, type, nr, size); }
}
