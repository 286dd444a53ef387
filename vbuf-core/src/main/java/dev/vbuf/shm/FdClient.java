package dev.vbuf.shm;

import dev.vbuf.sys.Abi;
import dev.vbuf.sys.FileIo;
import dev.vbuf.sys.Sockets;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * The attaching side of a descriptor-passing pool: connects to the pool's socket, checks that
 * the process serving it runs as this user ({@code SO_PEERCRED}), sends the request and
 * receives and checks the reply and every descriptor ({@link FdProtocol}). Never waits more
 * than {@link FdProtocol#TIMEOUT_MS} for a message; on any refusal every descriptor received
 * is closed before the error is thrown, so a hostile peer leaks nothing into this process.
 */
final class FdClient {
    private FdClient() {}

    /** What an attach received: the checked reply and its descriptors, in order (the caller owns them). */
    record Received(FdProtocol.Reply reply, int[] fds) {}

    static Received receive(String pool, Path socket) {
        int s = Sockets.socket(Abi.SOCK_SEQPACKET);
        int[] fds = new int[0];
        try {
            int c = Sockets.connect(s, socket.toString());
            if (c == -Abi.ECONNREFUSED) {
                throw new IllegalStateException("shared pool '" + pool + "' (" + socket + "): no process serves its socket any"
                        + " more (its creator is gone); remove it with 'vbuf shm rm " + pool + "' and start the producer again");
            }
            if (c == -Abi.EACCES || c == -Abi.EPERM) {
                throw new SecurityException(socket + " may not be opened by this user (" + dev.vbuf.sys.Errno.describe(-c)
                        + "); a pool is attached by its owner's processes (or its group's when created with --shared-mode 660)");
            }
            if (c < 0) {
                throw new IllegalStateException("cannot connect to shared pool '" + pool + "' at " + socket + ": "
                        + dev.vbuf.sys.Errno.describe(-c) + "; check it with 'vbuf shm ls'");
            }
            Sockets.PeerCred server = Sockets.peerCred(s);
            int uid = FileIo.getuid();
            if (server.uid() != uid) {
                throw new SecurityException("shared pool '" + pool + "' (" + socket + ") is served by process " + server.pid()
                        + " of uid " + server.uid() + ", not of this user (uid " + uid + "); refusing its descriptors."
                        + " Remove it ('vbuf shm rm " + pool + "') if it is not yours");
            }
            int sent = Sockets.send(s, FdProtocol.request(), new int[0]);
            if (sent != 0) throw violation(pool, socket, "the request could not be sent (" + dev.vbuf.sys.Errno.describe(-sent) + ")");
            Sockets.Received m = next(pool, socket, s, FdProtocol.REPLY_BYTES + FdProtocol.MAX_TEXT_BYTES, FdProtocol.FDS_PER_MESSAGE + 1);
            fds = m.fds();
            FdProtocol.Reply reply;
            try {
                reply = FdProtocol.checkReply(m.data(), m.bytes(), m.truncated(), m.fds().length, pool);
            } catch (FdProtocol.Violation v) {
                throw violation(pool, socket, "a reply with " + v.getMessage());
            }
            while (fds.length < reply.totalFds()) {
                m = next(pool, socket, s, FdProtocol.MORE_BYTES + 1, FdProtocol.FDS_PER_MESSAGE + 1);
                int[] more = Arrays.copyOf(fds, fds.length + m.fds().length);
                System.arraycopy(m.fds(), 0, more, fds.length, m.fds().length);
                int first = fds.length;
                fds = more;
                try {
                    FdProtocol.checkMore(m.data(), m.bytes(), m.truncated(), m.fds().length, first, reply.totalFds());
                } catch (FdProtocol.Violation v) {
                    throw violation(pool, socket, "a continuation with " + v.getMessage());
                }
            }
            return new Received(reply, fds);
        } catch (RuntimeException | Error e) {
            for (int fd : fds) FdServer.closeQuietly(fd);
            throw e;
        } finally {
            FdServer.closeQuietly(s);
        }
    }

    private static Sockets.Received next(String pool, Path socket, int s, int maxBytes, int maxFds) {
        if (!Sockets.awaitReadable(s, FdProtocol.TIMEOUT_MS)) {
            throw new IllegalStateException("shared pool '" + pool + "' (" + socket + "): its creator sent nothing for "
                    + FdProtocol.TIMEOUT_MS + " ms; it is stuck or not a vbuf pool. Try again, or stop it and remove the pool"
                    + " ('vbuf shm rm " + pool + "')");
        }
        Sockets.Received m = Sockets.receive(s, maxBytes, maxFds);
        if (m.bytes() < 0) {
            for (int fd : m.fds()) FdServer.closeQuietly(fd);
            throw violation(pool, socket, "an error while receiving (" + dev.vbuf.sys.Errno.describe((int) -m.bytes()) + ")");
        }
        if (m.bytes() == 0 && m.fds().length == 0) {
            throw violation(pool, socket, "the connection closed before every descriptor came");
        }
        return m;
    }

    private static IllegalStateException violation(String pool, Path socket, String what) {
        return new IllegalStateException("shared pool '" + pool + "' (" + socket + "): its creator sent " + what
                + "; refused, and every descriptor received was closed. It is not a compatible vbuf; check it with"
                + " 'vbuf shm ls', or remove it ('vbuf shm rm " + pool + "') and start the producer again");
    }
}
