package dev.vbuf.media.file;

import dev.vbuf.format.PixelFormat;
import dev.vbuf.media.Geometry;
import dev.vbuf.media.MediaCounters;
import dev.vbuf.media.Sink;
import dev.vbuf.media.StreamInfo;
import dev.vbuf.pool.Frame;
import dev.vbuf.sys.Abi;
import dev.vbuf.sys.Errno;
import dev.vbuf.sys.FileIo;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;

/**
 * Writes pictures to a Y4M or raw file straight out of pool buffers: one {@code pwritev} per
 * picture whose iovecs point at the visible rows of each plane in the pool buffer (the kernel
 * copies from there; no user-space copy, stride padding skipped). A raw file whose pictures are
 * packed and a multiple of 4 KiB is written with {@code O_DIRECT} straight from the buffer.
 *
 * <h2>Order</h2>
 * Pictures are written in presentation order, by their pts (the picture number). A source
 * that delivers in order (one reader thread; FFmpeg's decoder, which hands pictures over in
 * presentation order) has each written as it arrives. A source that may deliver out of order
 * says how far in its stream metadata ({@link #REORDER}: several reader threads); the sink then
 * holds up to that many pictures (its {@link #maxHeldFrames()}, so the pool is sized for them)
 * and writes each as soon as every earlier one was written. A picture that never comes is not
 * waited for: when the window is full the earliest held picture is written and the missing
 * numbers are a counted warning ({@link MediaCounters#warn}); so is a picture arriving after a
 * later one was written (out of the window), which is not written. Behind by more than twice
 * the window, the pass's first picture number starts a new pass (a looping source); any other
 * is late all the same.
 */
public final class FileSink implements Sink {
    private static final int IOV_MAX = 1024;

    private final String name;
    private final boolean y4m;
    private final MediaCounters counters;
    private final Arena arena = Arena.ofShared();
    private int fd = -1;
    private boolean direct;
    private Geometry g;
    private MemorySegment iov;
    private MemorySegment frameLine;
    private MemorySegment st;
    private long pos;
    private long frames;
    /** Stream metadata key: how many places out of picture order the source may deliver. */
    public static final String REORDER = "reorder";
    private int window;
    private Frame[] held;
    private long next;
    /** The first picture number of this pass (-1 before the first): a source that loops starts again there. */
    private long passStart = -1;
    private long skipped, late;

    public FileSink(String name, MediaCounters counters) {
        this.name = name;
        this.y4m = name.toLowerCase(Locale.ROOT).endsWith(".y4m");
        this.counters = counters;
    }

    /** The Y4M header line for a stream (chroma from the format, rate as a fraction, X tags kept). */
    static String y4mHeader(StreamInfo info) {
        PixelFormat f = info.layout().format();
        String chroma = switch (f) {
            case I420 -> info.metadata().getOrDefault("chroma", "420jpeg").startsWith("420")
                    ? info.metadata().getOrDefault("chroma", "420jpeg") : "420jpeg";
            case GRAY8 -> "mono";
            case GRAY16 -> "mono16";
            case I422 -> "422";
            case I444 -> "444";
            case I010 -> "420p10";
            case I210 -> "422p10";
            case I410 -> "444p10";
            default -> throw new IllegalArgumentException("Y4M holds planar YUV (I420, I422, I444, I010, I210, I410) and"
                    + " gray pictures; " + f + " has no Y4M chroma tag. Use --format i420, or write a raw file (.yuv) or .mkv");
        };
        double fps = info.fps() > 0 ? info.fps() : 25;
        String rate = info.metadata().getOrDefault("frameRate",
                fps == Math.rint(fps) ? (long) fps + ":1" : Math.round(fps * 1001) + ":1001");
        var b = new StringBuilder("YUV4MPEG2 W").append(info.width()).append(" H").append(info.height())
                .append(" F").append(rate).append(" I").append(info.metadata().getOrDefault("interlace", "p"))
                .append(" A").append(info.metadata().getOrDefault("aspect", "1:1")).append(" C").append(chroma);
        for (Map.Entry<String, String> e : info.metadata().entrySet()) {
            if (e.getKey().equals(e.getKey().toUpperCase(Locale.ROOT)) && !e.getKey().isEmpty()) {
                b.append(" X").append(e.getKey()).append(e.getValue().isEmpty() ? "" : "=" + e.getValue());
            }
        }
        return b.append('\n').toString();
    }

    @Override
    public int maxHeldFrames() {
        return window;
    }

    @Override
    public void open(StreamInfo info) throws IOException {
        g = Geometry.of(info);
        try {
            window = Math.max(0, Math.min(1024, Integer.parseInt(info.metadata().getOrDefault(REORDER, "0"))));
        } catch (NumberFormatException e) {
            window = 0;
        }
        held = new Frame[window];
        st = Errno.newCallState(arena);
        int rows = 0;
        for (int p = 0; p < g.planes(); p++) rows += g.rows(p);
        iov = arena.allocate(16L * (rows + 1), 8);
        direct = !y4m && g.isPacked() && g.pictureBytes() % FileSource.BLOCK == 0 && info.layout().frameBytes() >= FileSource.BLOCK;
        int flags = Abi.O_WRONLY | Abi.O_CREAT | Abi.O_TRUNC | Abi.O_CLOEXEC;
        if (direct) {
            try {
                fd = FileIo.open(name, flags | Abi.O_DIRECT, 0644);
            } catch (RuntimeException e) {
                direct = false; // file system without O_DIRECT (tmpfs): buffered
            }
        }
        if (fd < 0) fd = FileIo.open(name, flags, 0644);
        frameLine = arena.allocateFrom("FRAME\n").asSlice(0, 6);
        if (y4m) {
            byte[] h = y4mHeader(info).getBytes(StandardCharsets.US_ASCII);
            MemorySegment hs = arena.allocate(h.length);
            hs.copyFrom(MemorySegment.ofArray(h));
            write(hs, h.length);
        }
    }

    private void write(MemorySegment seg, long len) throws IOException {
        long r = FileIo.pwrite(st, fd, seg, len, pos);
        if (r != len) throw new IOException(name + ": write of " + len + " bytes at offset " + pos + " failed: "
                + (r < 0 ? Errno.describe((int) -r) : "wrote " + r + " bytes (disk full?)"));
        pos += len;
    }

    @Override
    public void accept(Frame frame) throws IOException {
        long n = frame.pts();
        if (n < 0) { // no picture number: arrival order
            write(frame);
            return;
        }
        if (passStart < 0) passStart = n;
        if (n < next && (window == 0 || (n == passStart && next - n > 2L * window))) {
            // the source started again (--loop restarts the picture numbers at the pass's first),
            // or an in-order source repeated a number: what is held goes out first, then a new
            // pass. With reader threads, any other picture far behind is late (its thread was
            // held up), not a new pass: it is not written out of order.
            finish();
            write(frame);
            next = n + 1;
            return;
        }
        if (n < next) {
            late++;
            counters.warn(name + ": picture " + n + " arrived after picture " + (next - 1) + " was written"
                    + (window == 0 ? "" : ", more than " + window + " places late") + "; it is not written");
            frame.close();
            return;
        }
        if (n == next) {
            write(frame);
            next = n + 1;
            writeReady();
            return;
        }
        if (window == 0) { // a source that delivers in order skipped pictures: write on, counted
            gap(n);
            write(frame);
            next = n + 1;
            return;
        }
        int free = -1;
        for (int i = 0; i < held.length; i++) if (held[i] == null) { free = i; break; }
        if (free < 0) { // full: the earliest held picture goes out, the ones before it never came
            int min = earliest();
            Frame f = held[min];
            held[min] = null;
            long m = f.pts();
            gap(m);
            write(f);
            next = m + 1;
            writeReady();
            if (n == next) {
                write(frame);
                next = n + 1;
                writeReady();
                return;
            }
            for (int i = 0; i < held.length; i++) if (held[i] == null) { free = i; break; }
        }
        held[free] = frame;
    }

    /** Picture numbers written without: they had not come when the window was full (or at the end). */
    public long skipped() {
        return skipped;
    }

    /** Pictures that came after a later one was written, and were not written. */
    public long late() {
        return late;
    }

    /** Pictures next .. n-1 never came: a counted warning. */
    private void gap(long n) {
        if (n <= next) return;
        skipped += n - next;
        counters.warn(name + ": picture" + (n - next == 1 ? " " + next : "s " + next + ".." + (n - 1))
                + " never came; written without " + (n - next == 1 ? "it" : "them"));
    }

    private int earliest() {
        int min = -1;
        for (int i = 0; i < held.length; i++) {
            if (held[i] != null && (min < 0 || held[i].pts() < held[min].pts())) min = i;
        }
        return min;
    }

    /** Writes held pictures while the next one is among them. */
    private void writeReady() throws IOException {
        for (boolean found = true; found; ) {
            found = false;
            for (int i = 0; i < held.length; i++) {
                if (held[i] != null && held[i].pts() == next) {
                    Frame f = held[i];
                    held[i] = null;
                    write(f);
                    next++;
                    found = true;
                }
            }
        }
    }

    private void write(Frame frame) throws IOException {
        try {
            MemorySegment buf = frame.segment();
            if (direct) {
                write(buf, g.pictureBytes());
            } else {
                int n = 0;
                long total = 0;
                if (y4m) {
                    iov.set(ValueLayout.JAVA_LONG, 0, frameLine.address());
                    iov.set(ValueLayout.JAVA_LONG, 8, 6);
                    n = 1;
                    total = 6;
                }
                for (int p = 0; p < g.planes(); p++) {
                    long base = buf.address() + g.offset(p);
                    for (int r = 0; r < g.rows(p); r++) {
                        iov.set(ValueLayout.JAVA_LONG, 16L * n, base + (long) r * g.stride(p));
                        iov.set(ValueLayout.JAVA_LONG, 16L * n + 8, g.rowBytes(p));
                        n++;
                        total += g.rowBytes(p);
                    }
                }
                // rows of one stride that follow each other are written by one pwritev per IOV_MAX rows
                long written = 0;
                for (int i = 0; i < n; i += IOV_MAX) {
                    int cnt = Math.min(IOV_MAX, n - i);
                    long want = 0;
                    for (int k = i; k < i + cnt; k++) want += iov.get(ValueLayout.JAVA_LONG, 16L * k + 8);
                    long r = FileIo.pwritev(st, fd, iov.asSlice(16L * i), cnt, pos + written);
                    if (r != want) throw new IOException(name + ": write of picture " + frames + " (" + want
                            + " bytes at offset " + (pos + written) + ") failed: "
                            + (r < 0 ? Errno.describe((int) -r) : "wrote " + r + " bytes (disk full?)"));
                    written += r;
                }
                pos += total;
            }
            frames++;
            counters.sinkFrames.increment();
            counters.bytesOut.add(g.pictureBytes());
        } finally {
            frame.close();
        }
    }

    /** Writes what is still held, in picture order (the end of the stream: nothing earlier will come). */
    @Override
    public void finish() throws IOException {
        if (held == null) return;
        for (int i = earliest(); i >= 0; i = earliest()) {
            Frame f = held[i];
            held[i] = null;
            long m = f.pts();
            gap(m);
            write(f);
            next = m + 1;
        }
    }

    @Override
    public String summary() {
        return "wrote " + name + ": " + frames + " pictures, " + pos + " bytes (" + (y4m ? "Y4M" : "raw")
                + (direct ? ", O_DIRECT" : "") + (window > 0 ? ", reordered within " + window + " pictures" : "") + ")"
                + (skipped > 0 ? "; " + skipped + " picture(s) never came" : "") + (late > 0 ? "; " + late + " late, not written" : "");
    }

    @Override
    public void close() {
        if (held != null) {
            for (int i = 0; i < held.length; i++) {
                if (held[i] != null && held[i].isOpen()) held[i].close();
                held[i] = null;
            }
        }
        if (fd >= 0) {
            FileIo.close(fd);
            fd = -1;
        }
        arena.close();
    }
}
