package dev.vbuf.shm;

import dev.vbuf.memory.NativeException;
import dev.vbuf.sys.FileIo;
import dev.vbuf.sys.Sockets;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The creator's side of a descriptor-passing pool: a {@code SOCK_SEQPACKET} Unix-domain socket
 * listening at the pool's name, whose thread answers every process that connects with the
 * pool's descriptors ({@link FdProtocol}).
 *
 * <h2>Who gets the descriptors</h2>
 * The socket file has the pool's mode (0600 by default: only its owner may connect). Every
 * connection's credentials are read from the kernel ({@code SO_PEERCRED}): a process of
 * another user is refused, unless the pool's mode gives its group access and the peer runs with
 * the socket's group. A peer must send one valid request ({@link FdProtocol#checkRequest})
 * within {@link FdProtocol#TIMEOUT_MS}; a silent one is dropped, one that sends descriptors has
 * them closed and is refused, one that sends garbage is refused. At most
 * {@value #MAX_CONNECTIONS} connections are served at once; more are refused at once.
 * Nothing here blocks: every receive is preceded by a poll with a timeout and every send is
 * {@code MSG_DONTWAIT}.
 */
final class FdServer {
    static final int MAX_CONNECTIONS = 8;
    private static final System.Logger LOG = System.getLogger("dev.vbuf.shm");

    private final String pool;
    private final int listenFd;
    private final int kind;
    private final int[] fds;
    private final long fd0Bytes;
    private final long bufferFdBytes;
    private final int uid;
    private final int groupAllowed; // the socket's gid when the mode gives the group access, else -1
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicInteger refused = new AtomicInteger();
    private final AtomicInteger served = new AtomicInteger();
    private volatile boolean closing;
    private Thread thread;

    FdServer(String pool, int listenFd, int kind, int[] fds, long fd0Bytes, long bufferFdBytes, int uid, int groupAllowed) {
        this.pool = pool;
        this.listenFd = listenFd;
        this.kind = kind;
        this.fds = fds.clone();
        this.fd0Bytes = fd0Bytes;
        this.bufferFdBytes = bufferFdBytes;
        this.uid = uid;
        this.groupAllowed = groupAllowed;
    }

    /** Processes given the descriptors so far. */
    int served() { return served.get(); }
    /** Connections refused so far. */
    int refused() { return refused.get(); }

    void start() {
        thread = Thread.ofPlatform().daemon().name("vbuf-fd-server-" + pool).start(this::acceptLoop);
    }

    private void acceptLoop() {
        while (!closing) {
            try {
                if (!Sockets.awaitReadable(listenFd, 200)) continue;
                int conn = Sockets.accept(listenFd);
                if (conn < 0) continue; // EAGAIN, ECONNABORTED: the peer left before we took it
                if (active.incrementAndGet() > MAX_CONNECTIONS) {
                    active.decrementAndGet();
                    refuse(conn, "too many processes are attaching at once (" + MAX_CONNECTIONS + "); try again");
                    FileIo.close(conn);
                    continue;
                }
                Thread.ofPlatform().daemon().name("vbuf-fd-peer-" + pool).start(() -> {
                    try {
                        serve(conn);
                    } catch (RuntimeException e) {
                        LOG.log(System.Logger.Level.WARNING, "shared pool '" + pool + "': a peer's attach failed: " + e.getMessage());
                    } finally {
                        closeQuietly(conn);
                        active.decrementAndGet();
                    }
                });
            } catch (RuntimeException e) {
                if (!closing) LOG.log(System.Logger.Level.WARNING, "shared pool '" + pool + "': socket: " + e.getMessage());
            }
        }
    }

    private void serve(int conn) {
        Sockets.PeerCred cred = Sockets.peerCred(conn);
        if (cred.uid() != uid && !(groupAllowed >= 0 && cred.gid() == groupAllowed)) {
            refuse(conn, "process " + cred.pid() + " runs as uid " + cred.uid() + " (gid " + cred.gid() + "); this pool serves uid "
                    + uid + (groupAllowed >= 0 ? " and gid " + groupAllowed : " only (create it with --shared-mode 660 to admit its group)"));
            return;
        }
        if (!Sockets.awaitReadable(conn, FdProtocol.TIMEOUT_MS)) {
            refused.incrementAndGet();
            LOG.log(System.Logger.Level.WARNING, "shared pool '" + pool + "': process " + cred.pid() + " sent no request within "
                    + FdProtocol.TIMEOUT_MS + " ms; dropped");
            return;
        }
        Sockets.Received r = Sockets.receive(conn, FdProtocol.REQUEST_BYTES + 1, 1);
        for (int fd : r.fds()) closeQuietly(fd); // a request carries no descriptor: whatever came is closed
        if (r.bytes() <= 0) return; // it left
        String wrong = r.fds().length > 0 ? "a request carrying " + r.fds().length + " descriptor(s) (none expected; closed)"
                : FdProtocol.checkRequest(r.data(), r.bytes(), r.truncated());
        if (wrong != null) {
            refuse(conn, "process " + cred.pid() + " sent " + wrong);
            return;
        }
        int here = Math.min(fds.length, FdProtocol.FDS_PER_MESSAGE);
        check(conn, Sockets.send(conn, FdProtocol.reply(kind, fds.length, here, fd0Bytes, bufferFdBytes), Arrays.copyOf(fds, here)), cred);
        for (int first = here; first < fds.length; first += here) {
            here = Math.min(fds.length - first, FdProtocol.FDS_PER_MESSAGE);
            check(conn, Sockets.send(conn, FdProtocol.more(first, here), Arrays.copyOfRange(fds, first, first + here)), cred);
        }
        served.incrementAndGet();
    }

    private void check(int conn, int sendResult, Sockets.PeerCred cred) {
        if (sendResult != 0) {
            throw new IllegalStateException("sending the descriptors to process " + cred.pid() + " failed: "
                    + dev.vbuf.sys.Errno.describe(-sendResult));
        }
    }

    private void refuse(int conn, String why) {
        refused.incrementAndGet();
        LOG.log(System.Logger.Level.WARNING, "shared pool '" + pool + "': refused a peer: " + why);
        Sockets.send(conn, FdProtocol.refusal(why), new int[0]); // best effort: it may be gone
    }

    /** Stops answering and closes the listening socket (the descriptors stay the pool's). */
    void stop() {
        closing = true;
        Thread t = thread;
        if (t != null) {
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        closeQuietly(listenFd);
    }

    static void closeQuietly(int fd) {
        try {
            FileIo.close(fd);
        } catch (NativeException ignored) {
            // already closed
        }
    }

    static final int S_IFSOCK = 0140000;
    static boolean isSocketMode(int mode) { return (mode & 0170000) == S_IFSOCK; }
}
