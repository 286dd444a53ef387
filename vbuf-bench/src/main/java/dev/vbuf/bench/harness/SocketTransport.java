package dev.vbuf.bench.harness;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * TCP over loopback and Unix-domain stream sockets, both through java.nio blocking channels —
 * what a Java engineer reaches for first. Each side owns one frame buffer (off-heap, so the
 * channel reads and writes it directly); the kernel copies every byte twice (into the socket
 * buffer and out of it). TCP_NODELAY is on; buffer sizes are the system's defaults.
 */
final class SocketTransport {
    private SocketTransport() {}

    static Transport.Receiver receiver(boolean unix, long frameBytes) throws IOException {
        return new Receiver(unix, frameBytes);
    }

    static Transport.Sender sender(boolean unix, String endpoint, long frameBytes) throws IOException {
        return new Sender(unix, endpoint, frameBytes);
    }

    private static final class Receiver implements Transport.Receiver {
        private final Arena arena = Arena.ofShared();
        private final ServerSocketChannel server;
        private final Path socketPath;
        private final MemorySegment frame;
        private final ByteBuffer buf;
        private SocketChannel channel;

        Receiver(boolean unix, long frameBytes) throws IOException {
            frame = arena.allocate(frameBytes, 4096);
            buf = frame.asByteBuffer();
            if (unix) {
                socketPath = Files.createTempFile("vbuf-bench-", ".sock");
                Files.delete(socketPath);
                server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                server.bind(UnixDomainSocketAddress.of(socketPath));
            } else {
                socketPath = null;
                server = ServerSocketChannel.open();
                server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            }
        }

        @Override
        public String endpoint() {
            if (socketPath != null) return socketPath.toString();
            try {
                return Integer.toString(((InetSocketAddress) server.getLocalAddress()).getPort());
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public MemorySegment receive() throws IOException {
            if (channel == null) {
                channel = server.accept();
                if (socketPath == null) channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            }
            buf.clear().limit(FrameWork.HEADER);
            fill();
            long payload = FrameWork.get(frame, FrameWork.O_PAYLOAD);
            if (payload < 0 || FrameWork.HEADER + payload > frame.byteSize()) {
                throw new IOException("frame header says " + payload + " payload bytes; the buffer holds "
                        + (frame.byteSize() - FrameWork.HEADER));
            }
            buf.limit((int) (FrameWork.HEADER + payload));
            fill();
            return frame;
        }

        private void fill() throws IOException {
            while (buf.hasRemaining()) {
                if (channel.read(buf) < 0) throw new EOFException("the producer closed the connection");
            }
        }

        @Override
        public void done() {}

        @Override
        public void close() throws IOException {
            try {
                if (channel != null) channel.close();
                server.close();
                if (socketPath != null) Files.deleteIfExists(socketPath);
            } finally {
                arena.close();
            }
        }
    }

    private static final class Sender implements Transport.Sender {
        private final Arena arena = Arena.ofShared();
        private final SocketChannel channel;
        private final MemorySegment frame;
        private final ByteBuffer buf;

        Sender(boolean unix, String endpoint, long frameBytes) throws IOException {
            frame = arena.allocate(frameBytes, 4096);
            buf = frame.asByteBuffer();
            SocketAddress address = unix ? UnixDomainSocketAddress.of(endpoint)
                    : new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(endpoint));
            channel = SocketChannel.open(address);
            if (!unix) channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        }

        @Override
        public MemorySegment claim() { return frame; }

        @Override
        public void send(MemorySegment f, long frameBytes) throws IOException {
            buf.clear().limit((int) frameBytes);
            while (buf.hasRemaining()) channel.write(buf);
        }

        @Override
        public void close() throws IOException {
            try {
                channel.close();
            } finally {
                arena.close();
            }
        }
    }
}
