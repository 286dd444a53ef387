package dev.vbuf.media.v4l2;

import dev.vbuf.pool.PoolBuilder;
import dev.vbuf.format.FrameLayout;
import dev.vbuf.memory.AlignedAllocator;
import dev.vbuf.memory.Allocator;
import dev.vbuf.memory.BufferAllocationException;
import dev.vbuf.memory.BufferHandle;
import dev.vbuf.memory.BufferValidationException;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import dev.vbuf.pool.Overflow;
import dev.vbuf.memory.Allocation;
import dev.vbuf.sys.Abi;
import dev.vbuf.sys.DmaBufIo;
import dev.vbuf.sys.Errno;
import dev.vbuf.sys.FileIo;
import dev.vbuf.sys.Ioctl;
import dev.vbuf.sys.Mman;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

import static dev.vbuf.media.v4l2.V4l2Abi.*;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * V4L2 streaming capture straight into a {@link FramePool}: the driver writes every picture
 * into a pool buffer, and the pool's overflow policy decides what happens when consumers fall
 * behind. No pixel is copied by the CPU.
 *
 * <h2>Memory types</h2>
 * <ul>
 *   <li>{@link Memory#MMAP}: REQBUFS allocates the buffers in the driver; each is mmapped
 *       (QUERYBUF offset) and the pool is built over the mappings as EXTERNAL buffers with
 *       handles that unmap them.</li>
 *   <li>{@link Memory#EXPBUF}: as MMAP, but each driver buffer is exported as a DMA-BUF
 *       (VIDIOC_EXPBUF) and the pool is built over mappings of the DMA-BUF descriptors, which
 *       the frames carry as {@code fd()}: the DMA-BUF import path on a real exporter.</li>
 *   <li>{@link Memory#USERPTR}: the pool allocates (any {@link Allocator}); each buffer is
 *       validated (page-aligned start, at least sizeimage bytes, seed 003) and handed to the
 *       driver by address with every QBUF.</li>
 *   <li>{@link Memory#DMABUF}: the pool's memory is DMA-BUFs ({@link DmaBufAllocator}: DMA-BUF
 *       heap or udmabuf) and QBUF passes their descriptors.</li>
 * </ul>
 *
 * <h2>Counts</h2>
 * The count asked for is first cut to what the memory budget holds ({@link #negotiate}), then
 * REQBUFS may grant a different count (a driver minimum, a maximum, memory): the pool is built
 * with the granted count, and V4L2 buffer index i is always pool buffer i.
 *
 * <h2>Flow</h2>
 * Buffers queued to the driver are frames the producer side holds. {@link #captureNext} queues
 * every free frame it can get without waiting (with {@link Overflow#DROP_OLDEST} that takes back
 * the oldest unread frame, so capture keeps the newest pictures), polls, DQBUFs one buffer,
 * stamps the frame with the driver's timestamp (CLOCK_MONOTONIC, the clock of
 * {@code System.nanoTime()}), bytesused and size, and submits it. Gaps in the driver's sequence
 * numbers (pictures the driver dropped because no buffer was queued) are counted.
 * {@code captureNext} allocates nothing.
 */
public final class V4l2Capture implements AutoCloseable {
    /** The smallest count streaming can run with (one in the driver, one with the consumers). */
    public static final int MIN_BUFFERS = 2;
    /** The largest count asked of a driver (vb2's default queue maximum is 32). */
    public static final int MAX_BUFFERS = 32;
    private static final long PAGE = 4096;

    /** How buffer memory is shared with the driver. */
    public enum Memory {
        MMAP(MEMORY_MMAP), USERPTR(MEMORY_USERPTR), DMABUF(MEMORY_DMABUF), EXPBUF(MEMORY_MMAP);

        final int v4l2;

        Memory(int v4l2) { this.v4l2 = v4l2; }

        /** The V4L2 memory name: EXPBUF streams MMAP buffers. */
        public String v4l2Name() { return V4l2Device.memoryName(v4l2); }

        public static Memory parse(String s) {
            for (Memory m : values()) if (m.name().equalsIgnoreCase(s.strip())) return m;
            throw new IllegalArgumentException("memory type '" + s + "' is not one of mmap, userptr, dmabuf, expbuf");
        }

        public String lower() { return name().toLowerCase(Locale.ROOT); }
    }

    /**
     * What to build.
     *
     * @param name         pool name
     * @param count        buffers asked for, 1..{@value #MAX_BUFFERS}
     * @param budgetBytes  memory the buffers may take in total (≥ 1)
     * @param groups       consumer groups
     * @param overflow     the pool's policy when no buffer is free
     * @param allocator    memory for USERPTR (null: page-aligned memory); for DMABUF a {@link DmaBufAllocator} naming its
     *                     source (any other: the default DMA-BUF source); ignored by MMAP and EXPBUF
     * @param shared       null for a pool private to this process; else the name of a shared pool the driver captures
     *                     into, which other processes attach to and receive by descriptor ({@link #sharedMemoryFor})
     * @param sharedMemory with {@code shared}: the shared pool's memory (null: what {@link #sharedMemoryFor} picks)
     */
    public record Options(String name, int count, long budgetBytes, List<String> groups, Overflow overflow, Allocator allocator,
                          String shared, PoolBuilder.SharedMemory sharedMemory) {
        public Options {
            Objects.requireNonNull(groups, "groups");
            Objects.requireNonNull(overflow, "overflow");
            if (name == null) name = "v4l2";
        }

        /** A private pool. */
        public Options(String name, int count, long budgetBytes, List<String> groups, Overflow overflow, Allocator allocator) {
            this(name, count, budgetBytes, groups, overflow, allocator, null, null);
        }

        public static Options defaults() {
            return new Options("v4l2", 4, 256L << 20, List.of("default"), Overflow.DROP_OLDEST, null);
        }

        public Options withCount(int c) { return new Options(name, c, budgetBytes, groups, overflow, allocator, shared, sharedMemory); }
        public Options withBudget(long b) { return new Options(name, count, b, groups, overflow, allocator, shared, sharedMemory); }
        public Options withGroups(List<String> g) { return new Options(name, count, budgetBytes, g, overflow, allocator, shared, sharedMemory); }
        public Options withOverflow(Overflow o) { return new Options(name, count, budgetBytes, groups, o, allocator, shared, sharedMemory); }
        public Options withName(String n) { return new Options(n, count, budgetBytes, groups, overflow, allocator, shared, sharedMemory); }
        public Options withAllocator(Allocator a) { return new Options(name, count, budgetBytes, groups, overflow, a, shared, sharedMemory); }
        /** Captures into shared pool {@code poolName} of {@code memory} (null: {@link #sharedMemoryFor}). */
        public Options withShared(String poolName, PoolBuilder.SharedMemory memory) {
            return new Options(name, count, budgetBytes, groups, overflow, allocator, poolName, memory);
        }
    }

    /**
     * The shared pool memory a capture of {@code memory} type writes into: DMABUF queues each
     * buffer's DMA-BUF descriptor, so the pool's buffers are DMA-BUFs ({@code heap}: a DMA-BUF
     * heap, else udmabuf); USERPTR hands the driver addresses inside the pool's mapping, so a
     * sealed memfd; EXPBUF exports the driver's own buffers (VIDIOC_EXPBUF) and passes those
     * DMA-BUFs. MMAP buffers have no descriptor and cannot be a shared pool's.
     *
     * @throws IllegalArgumentException for MMAP, naming the types that can
     */
    public static PoolBuilder.SharedMemory sharedMemoryFor(Memory memory, boolean heap) {
        return switch (memory) {
            case DMABUF -> heap ? PoolBuilder.SharedMemory.DMA_HEAP : PoolBuilder.SharedMemory.UDMABUF;
            case USERPTR -> PoolBuilder.SharedMemory.MEMFD;
            case EXPBUF -> PoolBuilder.SharedMemory.DEVICE_DMABUF;
            case MMAP -> throw new IllegalArgumentException("a shared pool's buffers are passed to other processes by descriptor;"
                    + " mmap buffers have none. Capture with expbuf (the driver's buffers exported as DMA-BUFs), dmabuf (the"
                    + " pool's DMA-BUFs queued by fd) or userptr (a sealed memfd pool) into a shared pool");
        };
    }

    /** What {@link #captureNext} did. */
    public static final int CAPTURED = 1, TIMEOUT = 0, NO_BUFFER = -1;

    private final V4l2Device dev;
    private final Memory memory;
    private final V4l2Format format;
    private final FrameLayout layout;
    private final int requested;
    private final int budgeted;
    private final int granted;
    private final FramePool pool;
    private final String notes;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buf;
    private final MemorySegment state;
    private final MemorySegment pollfd;
    private final Frame[] queuedFrames;
    private int queued;
    private boolean streaming;
    private boolean closed;
    // statistics, written by the capturing thread
    private long captured;
    private long driverDrops;
    private long errorFrames;
    private long lastSequence = -1;
    private long lastBytesUsed;
    private long lastTimestampNs;

    private V4l2Capture(V4l2Device dev, Memory memory, V4l2Format format, FrameLayout layout, int requested, int budgeted,
                        int granted, FramePool pool, String notes) {
        this.dev = dev;
        this.memory = memory;
        this.format = format;
        this.layout = layout;
        this.requested = requested;
        this.budgeted = budgeted;
        this.granted = granted;
        this.pool = pool;
        this.notes = notes;
        this.buf = arena.allocate(BUFFER);
        this.state = arena.allocate(Errno.CALL_STATE);
        this.pollfd = arena.allocate(FileIo.POLLFD);
        this.queuedFrames = new Frame[granted];
        pollfd.set(JAVA_INT, 0, dev.fd());
        pollfd.set(JAVA_SHORT, 4, Abi.POLLIN);
    }

    /**
     * The count the memory budget allows: {@code min(requested, budget / bufferBytes)}.
     *
     * @throws IllegalArgumentException for a count outside 1..{@value #MAX_BUFFERS} or a budget below 1
     * @throws BufferAllocationException when the budget cannot hold {@value #MIN_BUFFERS} buffers
     */
    public static int negotiate(int requested, long bufferBytes, long budgetBytes) {
        if (requested < 1 || requested > MAX_BUFFERS) {
            throw new IllegalArgumentException("capture buffer count " + requested + " is outside 1.." + MAX_BUFFERS
                    + " (vb2's queue maximum); ask for " + MIN_BUFFERS + ".." + MAX_BUFFERS);
        }
        if (budgetBytes < 1) throw new IllegalArgumentException("memory budget " + budgetBytes + " bytes is not positive");
        long fits = budgetBytes / bufferBytes;
        if (fits < MIN_BUFFERS) {
            throw new BufferAllocationException("a memory budget of " + budgetBytes + " bytes holds " + fits + " capture buffers of "
                    + bufferBytes + " bytes; streaming needs at least " + MIN_BUFFERS + " (" + MIN_BUFFERS * bufferBytes
                    + " bytes); raise the budget or capture a smaller size");
        }
        return (int) Math.max(1, Math.min(requested, fits));
    }

    /**
     * Checks that a pool buffer can be handed to the driver as a user pointer (seed 003): its
     * start is page aligned and it holds at least {@code sizeimage} bytes.
     *
     * @throws BufferValidationException naming the buffer, its address and size, and the requirement
     */
    public static void validateUserBuffer(int id, MemorySegment segment, long sizeImage) {
        if ((segment.address() & (PAGE - 1)) != 0) {
            throw new BufferValidationException("pool buffer " + id + " at 0x" + Long.toHexString(segment.address())
                    + " is not page aligned; a V4L2 USERPTR buffer must start on a " + PAGE + "-byte boundary so the"
                    + " driver can pin and map whole pages; build the pool with an alignment of at least " + PAGE);
        }
        if (segment.byteSize() < sizeImage) {
            throw new BufferValidationException("pool buffer " + id + " holds " + segment.byteSize() + " bytes but the"
                    + " device's sizeimage is " + sizeImage + "; a USERPTR buffer must hold a whole picture; build the pool"
                    + " with buffers of at least " + sizeImage + " bytes");
        }
    }

    /**
     * Requests buffers of {@code memory} for the device's current format, builds the pool over
     * them and queues every buffer. Call {@link #start()} to stream.
     */
    public static V4l2Capture open(V4l2Device dev, Memory memory, Options o) {
        V4l2Format fmt = dev.format();
        FrameLayout layout = fmt.layout().orElseThrow(() -> new V4l2Exception(dev.path() + " delivers " + fmt
                + ", which vbuf cannot describe as a frame layout (an unknown or compressed format, or strides vbuf"
                + " cannot reproduce); choose a raw format with --format (the device offers: " + dev.offered() + ")"));
        long bufferBytes = Math.max(fmt.sizeImage(), layout.frameBytes());
        long pageBytes = (bufferBytes + PAGE - 1) & -PAGE;
        int budgeted = negotiate(o.count(), pageBytes, o.budgetBytes());
        var g = dev.requestBuffers(budgeted, memory.v4l2);
        int granted = g.count();
        if (granted < MIN_BUFFERS) {
            freeQueue(dev, memory);
            throw new V4l2Exception("VIDIOC_REQBUFS on " + dev.path() + " granted " + granted + " " + memory.v4l2Name()
                    + " buffers of the " + budgeted + " asked for; streaming needs at least " + MIN_BUFFERS
                    + (granted == 0 ? "; the driver is out of buffer memory or refuses this memory type" : ""));
        }
        if (granted > MAX_BUFFERS) {
            freeQueue(dev, memory);
            throw new V4l2Exception("VIDIOC_REQBUFS on " + dev.path() + " granted " + granted + " buffers, more than vbuf's"
                    + " maximum of " + MAX_BUFFERS);
        }
        StringBuilder notes = new StringBuilder();
        if (granted != budgeted) notes.append("driver granted ").append(granted).append(" of ").append(budgeted).append(" buffers; ");
        FramePool pool;
        try {
            pool = switch (memory) {
                case MMAP, EXPBUF -> driverPool(dev, memory, o, layout, granted, notes);
                case USERPTR -> {
                    var b = builder(o, layout, granted).bufferSize(pageBytes).alignment(PAGE);
                    if (o.shared() != null) {
                        PoolBuilder.SharedMemory sm = o.sharedMemory() != null ? o.sharedMemory() : sharedMemoryFor(memory, false);
                        if (sm == PoolBuilder.SharedMemory.DMA_HEAP || sm == PoolBuilder.SharedMemory.UDMABUF) {
                            throw new IllegalArgumentException("userptr capture hands the driver addresses of pool memory it can pin;"
                                    + " a shared pool of " + sm.name().toLowerCase(Locale.ROOT) + " DMA-BUFs is captured into with dmabuf");
                        }
                        b.shared(o.shared()).sharedMemory(sm);
                    } else if (o.allocator() != null) {
                        b.allocator(o.allocator());
                    }
                    FramePool p = b.build();
                    try {
                        for (int i = 0; i < granted; i++) {
                            validateUserBuffer(i, p.getBufferById(i).orElseThrow().segment(), fmt.sizeImage());
                        }
                    } catch (RuntimeException e) {
                        p.close();
                        throw e;
                    }
                    yield p;
                }
                case DMABUF -> {
                    if (o.shared() == null) {
                        yield builder(o, layout, granted).bufferSize(pageBytes)
                                .allocator(o.allocator() instanceof DmaBufAllocator d ? d : new DmaBufAllocator()).build();
                    }
                    PoolBuilder.SharedMemory sm = o.sharedMemory() != null ? o.sharedMemory() : sharedMemoryFor(memory, false);
                    if (sm != PoolBuilder.SharedMemory.DMA_HEAP && sm != PoolBuilder.SharedMemory.UDMABUF) {
                        throw new IllegalArgumentException("dmabuf capture queues each buffer's DMA-BUF descriptor; a shared pool of "
                                + sm.name().toLowerCase(Locale.ROOT) + " has none. Use a DMA-BUF heap or udmabuf pool, or capture with userptr");
                    }
                    FramePool p = builder(o, layout, granted).bufferSize(pageBytes).shared(o.shared()).sharedMemory(sm).build();
                    for (int i = 0; i < granted; i++) {
                        if (p.getBufferById(i).orElseThrow().fd() < 0) {
                            p.close();
                            throw new IllegalStateException("shared pool '" + o.shared() + "' gave buffer " + i + " no DMA-BUF descriptor");
                        }
                    }
                    yield p;
                }
            };
        } catch (RuntimeException e) {
            freeQueue(dev, memory);
            throw e;
        }
        var cap = new V4l2Capture(dev, memory, fmt, layout, o.count(), budgeted, granted, pool, notes.toString());
        try {
            cap.fillQueue();
        } catch (RuntimeException e) {
            cap.close();
            throw e;
        }
        return cap;
    }

    private static PoolBuilder builder(Options o, FrameLayout layout, int count) {
        return FramePool.builder().name(o.name()).layout(layout).count(count).groups(o.groups()).overflow(o.overflow())
                .recordTimestamps(true);
    }

    /** MMAP / EXPBUF: the driver's buffers, mmapped (directly or through their DMA-BUF export), as pool handles. */
    private static FramePool driverPool(V4l2Device dev, Memory memory, Options o, FrameLayout layout, int count, StringBuilder notes) {
        List<BufferHandle> handles = new ArrayList<>(count);
        try {
            for (int i = 0; i < count; i++) {
                long[] ol = dev.queryBuffer(i);
                long offset = ol[0], length = ol[1];
                if (memory == Memory.MMAP) {
                    MemorySegment m = Mman.mmap(length, Abi.PROT_READ | Abi.PROT_WRITE, Abi.MAP_SHARED, dev.fd(), offset);
                    handles.add(new BufferHandle(m, 0, Mman::munmap));
                } else {
                    int dfd = dev.exportBuffer(i);
                    MemorySegment m;
                    try {
                        m = Mman.mmap(length, Abi.PROT_READ | Abi.PROT_WRITE, Abi.MAP_SHARED, dfd, 0);
                    } catch (RuntimeException e) {
                        FileIo.close(dfd);
                        throw e;
                    }
                    handles.add(new BufferHandle(m, 0, dfd, seg -> {
                        Mman.munmap(seg);
                        FileIo.close(dfd);
                    }));
                    if (i == 0) notes.append(verifyExport(dev, offset, length, m));
                }
            }
            if (o.shared() != null) {
                if (memory != Memory.EXPBUF || (o.sharedMemory() != null && o.sharedMemory() != PoolBuilder.SharedMemory.DEVICE_DMABUF)) {
                    throw new IllegalArgumentException("a shared pool of the driver's buffers is made of their DMA-BUF exports:"
                            + " capture with expbuf into SharedMemory.DEVICE_DMABUF");
                }
                var exported = List.copyOf(handles);
                handles.clear(); // the pool owns them from here, and closes them if the build fails
                long bytes = exported.stream().mapToLong(BufferHandle::size).min().orElse(0);
                return FramePool.builder().name(o.name()).layout(layout).bufferSize(bytes).count(count).groups(o.groups())
                        .overflow(o.overflow()).recordTimestamps(true).shared(o.shared())
                        .sharedBuffers(new ExportedBuffers(dev.path() + " (VIDIOC_EXPBUF)", exported)).build();
            }
            PoolBuilder b = FramePool.builder().name(o.name()).layout(layout).handles(handles).groups(o.groups())
                    .overflow(o.overflow()).recordTimestamps(true);
            return b.build();
        } catch (RuntimeException e) {
            for (BufferHandle h : handles) h.close();
            throw e;
        }
    }

    /** The driver's buffers exported as DMA-BUFs, as a shared pool's buffers: mapped, with their descriptors. */
    private record ExportedBuffers(String what, List<BufferHandle> handles) implements Allocation {
        @Override public int count() { return handles.size(); }
        @Override public MemorySegment buffer(int i) { return handles.get(i).segment(); }
        @Override public int fd(int i) { return handles.get(i).fd(); }
        @Override public void syncCpu(int i, int access, boolean begin) { DmaBufIo.sync(handles.get(i).fd(), access, begin); }
        @Override public String backing() { return handles.size() + " DMA-BUFs exported by " + what; }
        @Override public void close() { for (BufferHandle h : handles) h.close(); }
    }

    /** Proves the DMA-BUF is the driver's buffer: bytes written through the MMAP mapping are read through the DMA-BUF mapping. */
    private static String verifyExport(V4l2Device dev, long offset, long length, MemorySegment viaDmabuf) {
        MemorySegment direct = Mman.mmap(length, Abi.PROT_READ | Abi.PROT_WRITE, Abi.MAP_SHARED, dev.fd(), offset);
        try {
            long stamp = 0x76627566_45585042L ^ System.nanoTime();
            direct.set(JAVA_LONG, 0, stamp);
            direct.set(JAVA_LONG, length - 8, ~stamp);
            if (viaDmabuf.get(JAVA_LONG, 0) != stamp || viaDmabuf.get(JAVA_LONG, length - 8) != ~stamp) {
                throw new V4l2Exception("VIDIOC_EXPBUF of buffer 0 on " + dev.path() + " gave a DMA-BUF whose mapping does not"
                        + " show the driver buffer's bytes; the exporter is broken");
            }
            return "EXPBUF buffer 0: bytes written through the MMAP mapping read back through the DMA-BUF mapping; ";
        } finally {
            Mman.munmap(direct);
        }
    }

    private static void freeQueue(V4l2Device dev, Memory memory) {
        try {
            dev.requestBuffers(0, memory.v4l2);
        } catch (RuntimeException ignored) {
            // best effort: the device is closed next anyway
        }
    }

    /** Queues every free frame the pool gives without waiting (up to the granted count). */
    private void fillQueue() {
        while (queued < granted) {
            Frame f = pool.tryAcquireFree();
            if (f == null) return;
            int r = qbuf(f);
            if (r < 0) {
                f.close();
                throw new V4l2Exception("VIDIOC_QBUF of buffer " + f.id() + " (" + memory + ") on " + dev.path() + " failed: "
                        + Errno.describe(-r) + qbufHint(-r));
            }
        }
    }

    private String qbufHint(int errno) {
        return switch (memory) {
            case USERPTR -> errno == 14 || errno == 22 ? "; the driver refused the user pointer (its allocator may need"
                    + " physically contiguous memory: use mmap or dmabuf)" : "";
            case DMABUF -> errno == 22 || errno == 9 ? "; the driver refused the DMA-BUF (it may need contiguous memory"
                    + " or a different exporter: use mmap or expbuf)" : "";
            default -> "";
        };
    }

    private int qbuf(Frame f) {
        int id = f.id();
        buf.fill((byte) 0);
        buf.set(JAVA_INT, BUF_INDEX, id);
        buf.set(JAVA_INT, BUF_TYPE, BUF_TYPE_VIDEO_CAPTURE);
        buf.set(JAVA_INT, BUF_MEMORY, memory.v4l2);
        buf.set(JAVA_INT, BUF_FIELD, FIELD_ANY);
        if (memory == Memory.USERPTR) {
            MemorySegment s = f.segment();
            buf.set(JAVA_LONG, BUF_M, s.address());
            buf.set(JAVA_INT, BUF_LENGTH, (int) s.byteSize());
        } else if (memory == Memory.DMABUF) {
            buf.set(JAVA_INT, BUF_M, f.fd());
            buf.set(JAVA_INT, BUF_LENGTH, (int) f.size());
        }
        int r = Ioctl.ioctlNoThrow(state, dev.fd(), VIDIOC_QBUF, buf);
        if (r >= 0) {
            queuedFrames[id] = f;
            queued++;
        }
        return r;
    }

    /** STREAMON. */
    public void start() {
        if (queued == 0) fillQueue();
        dev.streamOn();
        streaming = true;
    }

    /**
     * Waits up to {@code timeoutMs} for the next picture and submits it into the pool with
     * {@code pts}. Allocates nothing.
     *
     * @return {@link #CAPTURED}, {@link #TIMEOUT} (nothing within the time), or
     *         {@link #NO_BUFFER} (every frame is with the consumers and the policy gave none back)
     * @throws V4l2Exception when the device fails (unplugged, I/O error)
     */
    public int captureNext(long pts, int timeoutMs) {
        if (!streaming) throw new IllegalStateException("capture on " + dev.path() + " is not started; call start() first");
        refill();
        if (queued == 0) {
            Frame f = pool.acquireFree(timeoutMs, java.util.concurrent.TimeUnit.MILLISECONDS);
            if (f == null) return NO_BUFFER;
            int r = qbuf(f);
            if (r < 0) {
                f.close();
                throw deviceFailed("VIDIOC_QBUF", -r);
            }
        }
        int p = FileIo.poll(state, pollfd, timeoutMs);
        if (p == -Abi.EINTR || p == 0) return TIMEOUT;
        if (p < 0) throw deviceFailed("poll", -p);
        short rev = pollfd.get(JAVA_SHORT, 6);
        if ((rev & Abi.POLLIN) == 0) {
            if ((rev & (Abi.POLLERR | Abi.POLLHUP)) != 0) {
                throw new V4l2Exception("poll on " + dev.path() + " reported " + ((rev & Abi.POLLHUP) != 0 ? "POLLHUP" : "POLLERR")
                        + " with " + queued + " buffers queued; the device stopped streaming or was removed");
            }
            return TIMEOUT;
        }
        buf.fill((byte) 0);
        buf.set(JAVA_INT, BUF_TYPE, BUF_TYPE_VIDEO_CAPTURE);
        buf.set(JAVA_INT, BUF_MEMORY, memory.v4l2);
        int r = Ioctl.ioctlNoThrow(state, dev.fd(), VIDIOC_DQBUF, buf);
        if (r == -Abi.EAGAIN) return TIMEOUT;
        if (r < 0) throw deviceFailed("VIDIOC_DQBUF", -r);
        int index = buf.get(JAVA_INT, BUF_INDEX);
        Frame f = index >= 0 && index < granted ? queuedFrames[index] : null;
        if (f == null) {
            throw new V4l2Exception("VIDIOC_DQBUF on " + dev.path() + " returned buffer index " + index
                    + ", which vbuf had not queued (0.." + (granted - 1) + "); the driver's answer is inconsistent");
        }
        queuedFrames[index] = null;
        queued--;
        long seq = Integer.toUnsignedLong(buf.get(JAVA_INT, BUF_SEQUENCE));
        int flags = buf.get(JAVA_INT, BUF_FLAGS);
        long bytes = Integer.toUnsignedLong(buf.get(JAVA_INT, BUF_BYTESUSED));
        long ts = buf.get(JAVA_LONG, BUF_TV_SEC) * 1_000_000_000L + buf.get(JAVA_LONG, BUF_TV_USEC) * 1_000L;
        if (lastSequence >= 0 && seq > lastSequence + 1) driverDrops += seq - lastSequence - 1;
        lastSequence = seq;
        lastBytesUsed = bytes;
        lastTimestampNs = ts;
        int vflags = Frame.FLAG_KEY_FRAME;
        if ((flags & BUF_FLAG_ERROR) != 0) {
            vflags |= Frame.FLAG_CORRUPT;
            errorFrames++;
        }
        f.pts(pts).captureTimeNs(ts).payloadSize(Math.min(bytes, f.size())).flags(vflags);
        f.submit();
        captured++;
        refill();
        return CAPTURED;
    }

    /** Queues free frames, without waiting, until the driver has all its buffers again. */
    private void refill() {
        while (queued < granted) {
            Frame f = pool.tryAcquireFree();
            if (f == null) return;
            int r = qbuf(f);
            if (r < 0) {
                f.close();
                throw deviceFailed("VIDIOC_QBUF", -r);
            }
        }
    }

    private V4l2Exception deviceFailed(String call, int errno) {
        return new V4l2Exception(call + " on " + dev.path() + " failed while streaming " + memory + ": " + Errno.describe(errno)
                + (errno == 19 ? "; the device was removed" : "") + qbufHint(errno));
    }

    public FramePool pool() { return pool; }
    public V4l2Device device() { return dev; }
    public Memory memory() { return memory; }
    public V4l2Format format() { return format; }
    public FrameLayout layout() { return layout; }
    /** Buffers asked for, after the budget cut, granted by REQBUFS. */
    public int requestedCount() { return requested; }
    public int budgetedCount() { return budgeted; }
    public int grantedCount() { return granted; }
    public long captured() { return captured; }
    /** Pictures the driver skipped (gaps in its sequence numbers). */
    public long driverDrops() { return driverDrops; }
    public long errorFrames() { return errorFrames; }
    public long lastSequence() { return lastSequence; }
    public long lastBytesUsed() { return lastBytesUsed; }
    public long lastTimestampNs() { return lastTimestampNs; }
    /** Buffers the driver holds now. */
    public int queuedCount() { return queued; }
    public String notes() { return notes; }

    /** One line: device, format, memory, counts. */
    public String describe() {
        return dev.path() + " " + format + ", " + memory + ": asked " + requested + ", budget allows " + budgeted + ", granted "
                + granted + "; pool " + pool.backing();
    }

    /**
     * STREAMOFF (the driver gives every buffer back) and aborts the frames that were queued, so
     * the pool has every buffer the consumers do not hold. The pool stays open (consumers may
     * still read); {@link #close()} closes it.
     */
    public synchronized void stop() {
        if (streaming) {
            streaming = false;
            dev.streamOff();
        }
        for (int i = 0; i < queuedFrames.length; i++) {
            if (queuedFrames[i] != null) {
                queuedFrames[i].close();
                queuedFrames[i] = null;
            }
        }
        queued = 0;
    }

    /**
     * STREAMOFF (the driver gives every buffer back), aborts the frames that were queued, closes
     * the pool (unmapping MMAP buffers, closing exported DMA-BUFs) and frees the driver's
     * buffers (REQBUFS 0). Does not close the device.
     */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        RuntimeException first = null;
        try {
            stop();
        } catch (RuntimeException e) {
            first = e;
        }
        try {
            pool.close();
        } catch (RuntimeException e) {
            if (first == null) first = e;
        }
        freeQueue(dev, memory);
        arena.close();
        if (first != null) throw first;
    }
}
