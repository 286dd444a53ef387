package dev.vbuf.sys;

import dev.vbuf.memory.NativeException;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Unix-domain sockets and descriptor passing: socket, bind, listen, accept4, connect,
 * getsockopt(SO_PEERCRED), and sendmsg/recvmsg with {@code SCM_RIGHTS} (the only way to hand a
 * DMA-BUF or memfd to another process). Set-up calls: they throw a {@link NativeException}
 * naming the call, its arguments and errno. Nothing here blocks: {@link #send} and
 * {@link #receive} use {@code MSG_DONTWAIT}, and {@link #awaitReadable} waits with a timeout.
 */
public final class Sockets {
    /** struct sockaddr_un { sa_family_t sun_family; char sun_path[108]; }. */
    public static final StructLayout SOCKADDR_UN = MemoryLayout.structLayout(
            JAVA_SHORT.withName("sun_family"), MemoryLayout.sequenceLayout(108, JAVA_BYTE).withName("sun_path")).withName("sockaddr_un");
    /** struct iovec { void *iov_base; size_t iov_len; }. */
    public static final StructLayout IOVEC = MemoryLayout.structLayout(
            ADDRESS.withName("iov_base"), JAVA_LONG.withName("iov_len")).withName("iovec");
    /** struct msghdr (LP64). */
    public static final StructLayout MSGHDR = MemoryLayout.structLayout(
            ADDRESS.withName("msg_name"), JAVA_INT.withName("msg_namelen"), MemoryLayout.paddingLayout(4),
            ADDRESS.withName("msg_iov"), JAVA_LONG.withName("msg_iovlen"),
            ADDRESS.withName("msg_control"), JAVA_LONG.withName("msg_controllen"),
            JAVA_INT.withName("msg_flags"), MemoryLayout.paddingLayout(4)).withName("msghdr");
    /** struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; } followed by the data. */
    public static final StructLayout CMSGHDR = MemoryLayout.structLayout(
            JAVA_LONG.withName("cmsg_len"), JAVA_INT.withName("cmsg_level"), JAVA_INT.withName("cmsg_type")).withName("cmsghdr");
    /** struct ucred { pid_t pid; uid_t uid; gid_t gid; }. */
    public static final StructLayout UCRED = MemoryLayout.structLayout(
            JAVA_INT.withName("pid"), JAVA_INT.withName("uid"), JAVA_INT.withName("gid")).withName("ucred");
    /** Longest socket path (sun_path less its NUL). */
    public static final int MAX_PATH_BYTES = 107;
    /** Most descriptors one message carries (the kernel's SCM_MAX_FD is 253). */
    public static final int MAX_FDS_PER_MESSAGE = 253;

    private static final MethodHandle SOCKET = Libc.capturing("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle BIND = Libc.capturing("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle LISTEN = Libc.capturing("listen", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle ACCEPT4 = Libc.capturing("accept4",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    private static final MethodHandle CONNECT = Libc.capturing("connect", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle GETSOCKOPT = Libc.capturing("getsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SENDMSG = Libc.capturing("sendmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle RECVMSG = Libc.capturing("recvmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));

    private Sockets() {}

    /** CMSG_ALIGN: control data is aligned to sizeof(size_t). */
    static long cmsgAlign(long n) { return (n + 7) & ~7L; }
    /** CMSG_SPACE(n). */
    public static long cmsgSpace(long n) { return CMSGHDR.byteSize() + cmsgAlign(n); }
    /** CMSG_LEN(n). */
    public static long cmsgLen(long n) { return CMSGHDR.byteSize() + n; }

    /** socket(AF_UNIX, type | SOCK_CLOEXEC, 0). */
    public static int socket(int type) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(a);
            int fd = (int) SOCKET.invokeExact(state, Abi.AF_UNIX, type | Abi.SOCK_CLOEXEC, 0);
            if (fd < 0) throw Libc.fail("socket", "AF_UNIX, type " + type, state, null);
            return fd;
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.broken("socket", t);
        }
    }

    private static MemorySegment address(Arena a, String path) {
        byte[] p = path.getBytes(StandardCharsets.UTF_8);
        if (p.length == 0 || p.length > MAX_PATH_BYTES) {
            throw new IllegalArgumentException("socket path '" + path + "' is " + p.length + " bytes; a Unix-domain socket"
                    + " path has 1.." + MAX_PATH_BYTES + " bytes: use a shorter directory or name");
        }
        MemorySegment sa = a.allocate(SOCKADDR_UN);
        sa.set(JAVA_SHORT, 0, (short) Abi.AF_UNIX);
        MemorySegment.copy(p, 0, sa, JAVA_BYTE, SOCKADDR_UN.byteOffset(MemoryLayout.PathElement.groupElement("sun_path")), p.length);
        return sa;
    }

    /** bind(fd, path). */
    public static void bind(int fd, String path) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(a);
            int r = (int) BIND.invokeExact(state, fd, address(a, path), (int) SOCKADDR_UN.byteSize());
            if (r != 0) throw Libc.fail("bind", "fd " + fd + ", '" + path + "'", state, null);
        } catch (NativeException | IllegalArgumentException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.broken("bind", t);
        }
    }

    /** listen(fd, backlog). */
    public static void listen(int fd, int backlog) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(a);
            int r = (int) LISTEN.invokeExact(state, fd, backlog);
            if (r != 0) throw Libc.fail("listen", "fd " + fd + ", backlog " + backlog, state, null);
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.broken("listen", t);
        }
    }

    /** accept4(fd, NULL, NULL, SOCK_CLOEXEC): the connection's descriptor, or {@code -errno}. */
    public static int accept(int fd) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(a);
            int r = (int) ACCEPT4.invokeExact(state, fd, MemorySegment.NULL, MemorySegment.NULL, Abi.SOCK_CLOEXEC);
            return r < 0 ? -Libc.errno(state) : r;
        } catch (Throwable t) {
            throw Libc.broken("accept4", t);
        }
    }

    /** connect(fd, path): 0, or {@code -errno} (ENOENT: no socket; ECONNREFUSED: nobody listens). */
    public static int connect(int fd, String path) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(a);
            int r = (int) CONNECT.invokeExact(state, fd, address(a, path), (int) SOCKADDR_UN.byteSize());
            return r != 0 ? -Libc.errno(state) : 0;
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.broken("connect", t);
        }
    }

    /** The credentials of the process at the other end of a connected socket (as of connect). */
    public record PeerCred(int pid, int uid, int gid) {}

    /** getsockopt(fd, SOL_SOCKET, SO_PEERCRED): the peer's pid, uid and gid, checked by the kernel. */
    public static PeerCred peerCred(int fd) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(a);
            MemorySegment cred = a.allocate(UCRED);
            MemorySegment len = a.allocate(JAVA_INT);
            len.set(JAVA_INT, 0, (int) UCRED.byteSize());
            int r = (int) GETSOCKOPT.invokeExact(state, fd, Abi.SOL_SOCKET, Abi.SO_PEERCRED, cred, len);
            if (r != 0) throw Libc.fail("getsockopt", "fd " + fd + ", SOL_SOCKET, SO_PEERCRED", state, null);
            return new PeerCred(cred.get(JAVA_INT, 0), cred.get(JAVA_INT, 4), cred.get(JAVA_INT, 8));
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.broken("getsockopt", t);
        }
    }

    /**
     * sendmsg of one message, {@code payload} plus {@code fds} as SCM_RIGHTS, without blocking
     * (MSG_DONTWAIT) and without SIGPIPE (MSG_NOSIGNAL). Returns 0, or {@code -errno} (EAGAIN: the
     * peer does not read; EPIPE/ECONNRESET: it went away).
     */
    public static int send(int fd, byte[] payload, int[] fds) {
        if (fds.length > MAX_FDS_PER_MESSAGE) {
            throw new IllegalArgumentException(fds.length + " descriptors in one message; at most " + MAX_FDS_PER_MESSAGE);
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(a);
            MemorySegment data = a.allocate(Math.max(1, payload.length));
            MemorySegment.copy(payload, 0, data, JAVA_BYTE, 0, payload.length);
            MemorySegment iov = a.allocate(IOVEC);
            iov.set(ADDRESS, 0, data);
            iov.set(JAVA_LONG, 8, payload.length);
            MemorySegment msg = a.allocate(MSGHDR);
            msg.set(ADDRESS, 16, iov);
            msg.set(JAVA_LONG, 24, 1L);
            if (fds.length > 0) {
                long space = cmsgSpace(4L * fds.length);
                MemorySegment control = a.allocate(space, 8);
                control.set(JAVA_LONG, 0, cmsgLen(4L * fds.length));
                control.set(JAVA_INT, 8, Abi.SOL_SOCKET);
                control.set(JAVA_INT, 12, Abi.SCM_RIGHTS);
                for (int i = 0; i < fds.length; i++) control.set(JAVA_INT, CMSGHDR.byteSize() + 4L * i, fds[i]);
                msg.set(ADDRESS, 32, control);
                msg.set(JAVA_LONG, 40, space);
            }
            long r = (long) SENDMSG.invokeExact(state, fd, msg, Abi.MSG_DONTWAIT | Abi.MSG_NOSIGNAL);
            if (r < 0) return -Libc.errno(state);
            if (r != payload.length) return -Abi.EIO;
            return 0;
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.broken("sendmsg", t);
        }
    }

    /**
     * One received message: its bytes, every descriptor that came with it (already installed in
     * this process, close-on-exec: the caller owns and must close them, also when it refuses the
     * message), and recvmsg's flags (MSG_TRUNC: the message was longer than the buffer;
     * MSG_CTRUNC: more descriptors came than there was room for, the kernel dropped the rest).
     *
     * @param bytes the message's length, 0 when the peer closed the connection, or {@code -errno}
     */
    public record Received(long bytes, byte[] data, int[] fds, int flags) {
        public boolean truncated() { return (flags & (Abi.MSG_TRUNC | Abi.MSG_CTRUNC)) != 0; }
    }

    /**
     * recvmsg without blocking (MSG_DONTWAIT; wait first with {@link #awaitReadable}), with
     * MSG_CMSG_CLOEXEC, into a buffer of {@code maxBytes} and room for {@code maxFds} descriptors.
     * Every SCM_RIGHTS descriptor the kernel installed is returned, whatever the message says.
     */
    public static Received receive(int fd, int maxBytes, int maxFds) {
        if (maxFds < 0 || maxFds > MAX_FDS_PER_MESSAGE) throw new IllegalArgumentException("maxFds " + maxFds + " outside 0.." + MAX_FDS_PER_MESSAGE);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(a);
            MemorySegment data = a.allocate(Math.max(1, maxBytes));
            MemorySegment iov = a.allocate(IOVEC);
            iov.set(ADDRESS, 0, data);
            iov.set(JAVA_LONG, 8, maxBytes);
            MemorySegment msg = a.allocate(MSGHDR);
            msg.set(ADDRESS, 16, iov);
            msg.set(JAVA_LONG, 24, 1L);
            long space = cmsgSpace(4L * Math.max(1, maxFds));
            MemorySegment control = a.allocate(space, 8);
            msg.set(ADDRESS, 32, control);
            msg.set(JAVA_LONG, 40, space);
            long r = (long) RECVMSG.invokeExact(state, fd, msg, Abi.MSG_DONTWAIT | Abi.MSG_CMSG_CLOEXEC);
            if (r < 0) return new Received(-Libc.errno(state), new byte[0], new int[0], 0);
            int flags = msg.get(JAVA_INT, 48);
            long controlLen = Math.min(space, msg.get(JAVA_LONG, 40));
            int[] fds = new int[0];
            // walk every control message (CMSG_FIRSTHDR / CMSG_NXTHDR), bounded by the length the kernel wrote
            for (long off = 0; off + CMSGHDR.byteSize() <= controlLen; ) {
                long len = control.get(JAVA_LONG, off);
                if (len < CMSGHDR.byteSize() || off + len > controlLen) break;
                if (control.get(JAVA_INT, off + 8) == Abi.SOL_SOCKET && control.get(JAVA_INT, off + 12) == Abi.SCM_RIGHTS) {
                    int n = (int) ((len - CMSGHDR.byteSize()) / 4);
                    int[] more = java.util.Arrays.copyOf(fds, fds.length + n);
                    for (int i = 0; i < n; i++) more[fds.length + i] = control.get(JAVA_INT, off + CMSGHDR.byteSize() + 4L * i);
                    fds = more;
                }
                off += cmsgAlign(len);
            }
            byte[] bytes = data.asSlice(0, Math.min(r, maxBytes)).toArray(JAVA_BYTE);
            return new Received(r, bytes, fds, flags);
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.broken("recvmsg", t);
        }
    }

    /**
     * Waits at most {@code timeoutMs} for {@code fd} to be readable (or hung up). True when it
     * is, false on timeout. Retries on EINTR within the same deadline.
     */
    public static boolean awaitReadable(int fd, int timeoutMs) {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(a);
            MemorySegment p = a.allocate(FileIo.POLLFD);
            while (true) {
                p.set(JAVA_INT, 0, fd);
                p.set(JAVA_SHORT, 4, Abi.POLLIN);
                p.set(JAVA_SHORT, 6, (short) 0);
                int left = (int) Math.max(0, (deadline - System.nanoTime()) / 1_000_000L);
                int r = FileIo.poll(state, p, left);
                if (r > 0) return true;
                if (r == 0) return false;
                if (r != -Abi.EINTR) throw Libc.fail("poll", "fd " + fd + ", POLLIN, " + timeoutMs + " ms", -r, null);
            }
        }
    }
}
