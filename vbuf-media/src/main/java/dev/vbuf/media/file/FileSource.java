package dev.vbuf.media.file;

import dev.vbuf.media.MediaCounters;
import dev.vbuf.media.MediaException;
import dev.vbuf.media.Source;
import dev.vbuf.media.SourceOptions;
import dev.vbuf.media.StreamInfo;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import dev.vbuf.sys.Abi;
import dev.vbuf.sys.Errno;
import dev.vbuf.sys.FileIo;
import dev.vbuf.sys.Mman;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;

/**
 * Seed 001's VideoProducer: raw and Y4M pictures read into pool buffers by one or more producer
 * threads, optionally looping, with one of three readers.
 *
 * <ul>
 *   <li><b>mmap</b>: the file is mapped once ({@code mmap(PROT_READ, MAP_SHARED)}) and each
 *       picture is copied from the mapping into the pool buffer: one CPU copy per picture,
 *       counted in {@link MediaCounters#copies} (seed 001's memcpy reader).</li>
 *   <li><b>direct</b>: the file is opened with {@code O_DIRECT}; the kernel DMAs straight into
 *       the 4 KiB-aligned pool buffer. O_DIRECT needs the file offset, the address and the length
 *       aligned to the block size, so the reader reads the aligned span around the picture
 *       (start rounded down to 4 KiB, length rounded up): when the picture starts on a 4 KiB
 *       boundary (raw files whose picture size is a multiple of 4 KiB) it lands in place with no
 *       copy; otherwise it lands {@code offset mod 4096} bytes in and is moved down once
 *       (counted). Pool buffers have 8 KiB of room for the span.</li>
 *   <li><b>io_uring</b>: one ring per thread with {@code queueDepth} reads in flight, each
 *       {@code IORING_OP_READ} straight into a free pool buffer (the kernel copies from the page
 *       cache into the buffer, as read() does; no user-space copy). Pictures are submitted to
 *       the pool in the order they were claimed even when reads complete out of order.</li>
 * </ul>
 * Picture numbers are claimed from {@link MediaCounters#claim()}; picture {@code n} of the run is
 * picture {@code n mod count} of the file and carries that as its pts. With several threads the
 * pictures reach the pool roughly but not strictly in order.
 *
 * <p>Errors (the file shrank under us, a read error) name the file, the picture and the offset;
 * every frame a thread holds is aborted before the error leaves, so the pool gets every slot back.
 */
public final class FileSource implements Source {
    /** Readers by name. */
    public enum Reader { MMAP, DIRECT, IO_URING;
        public static Reader parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT).replace('-', '_')) {
                case "mmap" -> MMAP;
                case "direct", "o_direct" -> DIRECT;
                case "io_uring", "iouring", "uring" -> IO_URING;
                default -> throw new IllegalArgumentException("reader '" + s + "' is not one of mmap, direct, io_uring");
            };
        }
        public String label() { return name().toLowerCase(Locale.ROOT); }
    }

    static final long BLOCK = 4096;

    private final VideoFile file;
    private final Reader reader;
    private final int threads;
    private final int depth;
    private final boolean loop;
    private final StreamInfo info;
    private final long frameBytes;

    public FileSource(VideoFile file, SourceOptions o) {
        this.file = file;
        this.reader = Reader.parse(o.reader());
        this.threads = o.threads();
        this.depth = o.queueDepth();
        this.loop = o.loop();
        this.frameBytes = file.layout().frameBytes();
        var meta = new LinkedHashMap<>(file.metadata());
        meta.put("reader", reader.label());
        // several threads deliver pictures up to this many places out of order: ordered outputs
        // (FileSink) hold that many to write them in picture order
        if (threads > 1) meta.put(dev.vbuf.media.file.FileSink.REORDER, String.valueOf(2 * threads * (reader == Reader.IO_URING ? depth + 1 : 2)));
        long bufferBytes = reader == Reader.DIRECT ? align(frameBytes) + 2 * BLOCK : frameBytes;
        this.info = new StreamInfo("file " + file.path() + ": " + file, file.layout(), bufferBytes,
                file.layout().width(), file.layout().height(), file.fps(), file.frameCount(), meta);
    }

    static long align(long v) {
        return (v + BLOCK - 1) & -BLOCK;
    }

    public VideoFile file() { return file; }
    public Reader reader() { return reader; }

    /** Frames each producer thread may hold at once (for pool sizing). */
    public int framesHeldPerThread() {
        return reader == Reader.IO_URING ? depth : 1;
    }

    @Override
    public int maxHeldFrames() {
        return threads * framesHeldPerThread();
    }

    public int threads() {
        return threads;
    }

    @Override
    public StreamInfo info() {
        return info;
    }

    @Override
    public void produce(FramePool pool, MediaCounters c) throws IOException, InterruptedException {
        if (threads == 1) {
            runThread(pool, c);
            return;
        }
        var errors = new ArrayList<Throwable>();
        var list = new ArrayList<Thread>();
        for (int t = 0; t < threads; t++) {
            list.add(Thread.ofPlatform().name("vbuf-read-" + t).start(() -> {
                try {
                    runThread(pool, c);
                } catch (Throwable e) {
                    synchronized (errors) { errors.add(e); }
                    c.requestStop();
                }
            }));
        }
        try {
            for (Thread t : list) t.join();
        } catch (InterruptedException e) {
            list.forEach(Thread::interrupt);
            for (Thread t : list) t.join();
            throw e;
        }
        if (!errors.isEmpty()) {
            Throwable e = errors.getFirst();
            if (e instanceof IOException io) throw io;
            if (e instanceof InterruptedException ie) throw ie;
            if (e instanceof RuntimeException re) throw re;
            throw new IOException(e);
        }
    }

    /** Next picture index of the file for run picture n, or -1 when done. */
    private long picture(long n) {
        if (n < 0) return -1;
        int count = file.frameCount();
        if (n >= count && !loop) return -1;
        return n % count;
    }

    private void runThread(FramePool pool, MediaCounters c) throws IOException, InterruptedException {
        switch (reader) {
            case MMAP -> mmapLoop(pool, c);
            case DIRECT -> directLoop(pool, c);
            case IO_URING -> uringLoop(pool, c);
        }
    }

    /**
     * The picture for frame {@code f} (just taken; null when the pool's policy gave none): a
     * buffer is taken before its picture is claimed, so the pictures being read are always the
     * lowest unclaimed ones and an ordered sink waiting for picture n never waits for a reader
     * that claimed n but has no buffer for it. A frame with no picture left is aborted; a
     * picture with no frame is counted as a source drop.
     *
     * @return the picture, or -1 at the end (or on a stop)
     */
    private long claimFor(Frame f, MediaCounters c) {
        long n = picture(c.claim());
        if (n < 0) {
            if (f != null) f.close();
            return -1;
        }
        if (f == null) c.sourceDrops.increment();
        return n;
    }

    private Frame acquire(FramePool pool) throws InterruptedException {
        Frame f = pool.acquireFree();
        if (f == null) {
            if (Thread.currentThread().isInterrupted() || pool.isClosed()) {
                throw new InterruptedException(file.path() + ": interrupted waiting for a free buffer");
            }
        }
        return f;
    }

    private void finish(Frame f, long pic, MediaCounters c, long t0) {
        f.pts(pic).captureTimeNs(System.nanoTime()).flags(Frame.FLAG_KEY_FRAME).payloadSize(frameBytes);
        f.submit();
        c.frames.increment();
        c.bytesIn.add(frameBytes);
        c.produceNanos.recordValue(Math.min(System.nanoTime() - t0, 60_000_000_000L));
    }

    private void mmapLoop(FramePool pool, MediaCounters c) throws IOException, InterruptedException {
        int fd = FileIo.open(file.path().toString(), Abi.O_RDONLY | Abi.O_CLOEXEC, 0);
        MemorySegment map;
        try {
            map = Mman.mmap(file.fileBytes(), Abi.PROT_READ, Abi.MAP_SHARED, fd, 0);
        } finally {
            FileIo.close(fd);
        }
        try {
            while (!c.stopRequested()) {
                long t0 = System.nanoTime();
                Frame f = acquire(pool);
                long n = claimFor(f, c);
                if (n < 0) break;
                if (f == null) continue;
                try {
                    long off = file.offset((int) n);
                    if (off + frameBytes > map.byteSize()) {
                        throw new MediaException(file.path().toString(), n, off, "beyond the end of the mapping");
                    }
                    MemorySegment.copy(map, off, f.segment(), 0, frameBytes);
                    c.copies.increment();
                    finish(f, n, c, t0);
                } finally {
                    f.close();
                }
            }
        } finally {
            Mman.munmap(map);
        }
    }

    private void directLoop(FramePool pool, MediaCounters c) throws IOException, InterruptedException {
        int fd = FileIo.open(file.path().toString(), Abi.O_RDONLY | Abi.O_DIRECT | Abi.O_CLOEXEC, 0);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment st = Errno.newCallState(arena);
            while (!c.stopRequested()) {
                long t0 = System.nanoTime();
                Frame f = acquire(pool);
                long n = claimFor(f, c);
                if (n < 0) break;
                if (f == null) continue;
                try {
                    long off = file.offset((int) n);
                    long start = off & -BLOCK;
                    int delta = (int) (off - start);
                    long len = align(delta + frameBytes);
                    MemorySegment buf = f.segment();
                    long got = 0;
                    while (got < delta + frameBytes) {
                        long r = FileIo.pread(st, fd, buf.asSlice(got), len - got, start + got);
                        if (r < 0) throw Errno.failure("pread", file.path() + " (O_DIRECT), picture " + n + ", offset "
                                + (start + got) + ", length " + (len - got), (int) -r, null);
                        if (r == 0) throw new MediaException(file.path().toString(), n, start + got,
                                "the file ended inside the picture (it shrank after it was opened)");
                        got += r;
                    }
                    if (delta != 0) {
                        MemorySegment.copy(buf, delta, buf, 0, frameBytes);
                        c.copies.increment();
                    }
                    finish(f, n, c, t0);
                } finally {
                    f.close();
                }
            }
        } finally {
            FileIo.close(fd);
        }
    }

    private void uringLoop(FramePool pool, MediaCounters c) throws IOException, InterruptedException {
        int fd = FileIo.open(file.path().toString(), Abi.O_RDONLY | Abi.O_CLOEXEC, 0);
        Frame[] frames = new Frame[depth];
        long[] pics = new long[depth];
        long[] starts = new long[depth];
        int[] result = new int[depth];
        boolean[] done = new boolean[depth];
        long head = 0, tail = 0; // claim order window [head, tail)
        try (IoUring ring = new IoUring(depth); Arena arena = Arena.ofConfined()) {
            MemorySegment st = Errno.newCallState(arena);
            boolean more = true;
            while (true) {
                int queued = 0;
                while (more && tail - head < depth) {
                    long t0 = System.nanoTime();
                    // never wait for a buffer while holding pictures not yet read: an ordered sink
                    // may be waiting for one of them, and the pool may be full of pictures after it
                    Frame f = head == tail ? acquire(pool) : pool.tryAcquireFree();
                    if (f == null && head != tail) break;
                    long n = claimFor(f, c);
                    if (n < 0) { more = false; break; }
                    if (f == null) continue;
                    int i = (int) (tail % depth);
                    frames[i] = f;
                    pics[i] = n;
                    starts[i] = t0;
                    done[i] = false;
                    ring.queue(Abi.IORING_OP_READ, fd, f.segment(), (int) frameBytes, file.offset((int) n), i);
                    tail++;
                    queued++;
                }
                if (head == tail) break;
                ring.submit(queued, 1);
                while (ring.reap()) {
                    int i = (int) ring.cqeUserData;
                    result[i] = ring.cqeResult;
                    done[i] = true;
                }
                while (head < tail && done[(int) (head % depth)]) {
                    int i = (int) (head % depth);
                    Frame f = frames[i];
                    long n = pics[i];
                    int r = result[i];
                    if (r < 0) throw Errno.failure("io_uring read", file.path() + ", picture " + n + ", offset "
                            + file.offset((int) n) + ", length " + frameBytes, -r, null);
                    if (r < frameBytes) completeShortRead(st, fd, f, n, r);
                    frames[i] = null;
                    head++;
                    finish(f, n, c, starts[i]);
                }
            }
        } finally {
            // abort what is still held; the kernel may still write into buffers of reads in flight
            // only if the ring was not closed: closing the ring (above) cancels and waits for them
            for (Frame f : frames) if (f != null) f.close();
            FileIo.close(fd);
        }
    }

    /** A buffered read may return short; finish it with pread. */
    private void completeShortRead(MemorySegment st, int fd, Frame f, long n, int got) throws IOException {
        long off = file.offset((int) n);
        long have = got;
        MemorySegment buf = f.segment();
        while (have < frameBytes) {
            long r = FileIo.pread(st, fd, buf.asSlice(have), frameBytes - have, off + have);
            if (r < 0) throw Errno.failure("pread", file.path() + ", picture " + n + ", offset " + (off + have), (int) -r, null);
            if (r == 0) throw new MediaException(file.path().toString(), n, off + have,
                    "the file ended inside the picture (it shrank after it was opened)");
            have += r;
        }
    }

    @Override
    public void close() {
    }

    /** Pictures in the file. */
    public List<Long> offsets() {
        var l = new ArrayList<Long>();
        for (int i = 0; i < file.frameCount(); i++) l.add(file.offset(i));
        return l;
    }
}
