package dev.vbuf.bench.harness;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Locale;

/**
 * The ways a frame can go from a producer process to a consumer process that {@code vbuf bench}
 * compares. Each gives the producer a frame to write in ({@link Sender#claim}) and hands it over
 * ({@link Sender#send}); the consumer gets a whole frame ({@link Receiver#receive}) and gives it
 * back ({@link Receiver#done}). What is written and read is the same for all ({@link FrameWork}).
 */
public enum Transport {
    /** vbuf's pool shared between processes (/dev/shm), both sides spinning: the frame is handed over in place. */
    VBUF_SHM("vbuf-shm", true, "vbuf shared pool (/dev/shm, cross-process), both sides busy-spinning"),
    /** The same with the futex wait strategy: spin 200 times, then sleep in the kernel until woken. */
    VBUF_SHM_FUTEX("vbuf-shm-futex", true, "vbuf shared pool, futex wait strategy (spin, then sleep in the kernel)"),
    /** vbuf's in-process pool, producer and consumer threads in one JVM: the floor of the hand-off. */
    VBUF_THREADS("vbuf-threads", false, "vbuf in-process pool, producer and consumer threads in one JVM"),
    TCP("tcp", false, "TCP over loopback (java.nio SocketChannel, TCP_NODELAY, default buffers)"),
    UDS("uds", false, "Unix-domain stream socket (java.nio SocketChannel, UnixDomainSocketAddress)"),
    AERON("aeron", false, "Aeron IPC, embedded media driver in the consumer process, term-length=128m, mtu=64k");

    /** The name on the command line ({@code --transports}). */
    public final String id;
    /** True when the producer must be started first (it creates what the consumer attaches to). */
    final boolean producerFirst;
    final String description;

    Transport(String id, boolean producerFirst, String description) {
        this.id = id;
        this.producerFirst = producerFirst;
        this.description = description;
    }

    /** True for transports that run producer and consumer in one process. */
    boolean singleProcess() { return this == VBUF_THREADS; }

    /**
     * The floor this transport's hand-off is a multiple of: the cache-line ping-pong for the
     * spinning shared pool, the bare futex wake for the futex one; null for the others (one JVM,
     * or a copy of the whole frame in the hand-off).
     */
    Floor floor() {
        return this == VBUF_SHM ? Floor.CACHE_LINE : this == VBUF_SHM_FUTEX ? Floor.FUTEX_WAKE : null;
    }

    /** True for transports that are vbuf itself (the reference of the ratios). */
    boolean isVbuf() { return this == VBUF_SHM || this == VBUF_SHM_FUTEX || this == VBUF_THREADS; }

    /** The transport named {@code text} (its {@link #id}); an error lists the accepted names. */
    public static Transport parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        for (Transport x : values()) if (x.id.equals(t)) return x;
        throw new IllegalArgumentException("transport '" + text + "' is not one of "
                + Arrays.stream(values()).map(x -> x.id).toList());
    }

    /** The producer side of one transport, for one frame size. */
    interface Sender extends AutoCloseable {
        /** A frame of at least HEADER + payload bytes to write into; waits for one if needed. */
        MemorySegment claim() throws Exception;

        /** Hands {@code frameBytes} bytes of {@code frame} over to the consumer. */
        void send(MemorySegment frame, long frameBytes) throws Exception;

        @Override
        void close() throws Exception;
    }

    /** The consumer side of one transport, for one frame size. */
    interface Receiver extends AutoCloseable {
        /** What the other side needs to find this one (a port, a path, a directory, a name). */
        String endpoint();

        /** Waits for the next whole frame and returns it (header at 0, payload after). */
        MemorySegment receive() throws Exception;

        /** Gives the frame last received back. */
        void done();

        @Override
        void close() throws Exception;
    }
}
