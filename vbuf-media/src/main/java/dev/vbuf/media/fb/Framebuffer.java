package dev.vbuf.media.fb;

import dev.vbuf.pool.PoolBuilder;
import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.media.v4l2.DeviceIo;
import dev.vbuf.memory.ExternalBuffer;
import dev.vbuf.memory.Native;
import dev.vbuf.memory.NativeException;
import dev.vbuf.pool.FramePool;
import dev.vbuf.pool.Overflow;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static dev.vbuf.media.fb.FbAbi.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * A Linux framebuffer device used as a pool of display pages (seed 001 scenario 2): the
 * virtual height is set to N × the visible height, the framebuffer memory is mapped once and
 * each page (N in all) becomes an EXTERNAL pool buffer, and {@link #flip(int)} shows page
 * {@code id} with {@code FBIOPAN_DISPLAY} — the buffer id is the page number, so a consumer
 * displays a frame by its {@code id()} with no copy.
 *
 * <p>The page segments belong to an arena this object closes before unmapping, so a pool built
 * over them never touches a page after {@link #close()} (its buffers are retired).
 */
public final class Framebuffer implements AutoCloseable {
    /** What FBIOGET_VSCREENINFO / FSCREENINFO say. */
    public record Info(String id, int xres, int yres, int xresVirtual, int yresVirtual, int xoffset, int yoffset,
                       int bitsPerPixel, int grayscale, int redOffset, int greenOffset, int blueOffset, int transpLength,
                       long smemStart, long smemLen, int lineLength, int visual, int ypanstep) {
        /** The vbuf pixel format of the pixels, when there is one. */
        public Optional<PixelFormat> pixelFormat() {
            if (bitsPerPixel == 32 && redOffset == 0 && greenOffset == 8 && blueOffset == 16) return Optional.of(PixelFormat.RGBA);
            if (bitsPerPixel == 32 && redOffset == 16 && greenOffset == 8 && blueOffset == 0) return Optional.of(PixelFormat.BGRA);
            if (bitsPerPixel == 24 && redOffset == 0 && greenOffset == 8 && blueOffset == 16) return Optional.of(PixelFormat.RGB24);
            if (bitsPerPixel == 24 && redOffset == 16 && greenOffset == 8 && blueOffset == 0) return Optional.of(PixelFormat.BGR24);
            if (bitsPerPixel == 8 && grayscale == 1) return Optional.of(PixelFormat.GRAY8);
            return Optional.empty();
        }

        /** Pages of the visible size the memory holds. */
        public int maxPages() {
            long page = (long) lineLength * yres;
            return page == 0 ? 0 : (int) Math.min(Integer.MAX_VALUE, smemLen / page);
        }

        public long pageBytes() { return (long) lineLength * yres; }

        @Override
        public String toString() {
            return "'" + id + "' " + xres + "x" + yres + " (virtual " + xresVirtual + "x" + yresVirtual + ", offset " + xoffset
                    + "," + yoffset + "), " + bitsPerPixel + " bpp" + pixelFormat().map(p -> " " + p).orElse("")
                    + ", line " + lineLength + " bytes, memory " + smemLen + " bytes (" + maxPages() + " pages), ypanstep " + ypanstep;
        }
    }

    private final Path path;
    private final int fd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment var;       // the pan argument, reused on every flip
    private final MemorySegment state;
    private final MemorySegment readBack;
    private Info info;
    private MemorySegment mapping;         // the whole framebuffer memory, as mmap returned it
    private int pages = 1;
    private boolean closed;

    private Framebuffer(Path path, int fd) {
        this.path = path;
        this.fd = fd;
        this.var = arena.allocate(VAR);
        this.readBack = arena.allocate(VAR);
        this.state = arena.allocate(DeviceIo.CALL_STATE);
    }

    /**
     * Opens a framebuffer device and reads its screen information.
     *
     * @throws FramebufferException when the path is missing (listing the framebuffers present) or not a framebuffer
     */
    public static Framebuffer open(Path path) {
        String p = path.toString();
        if (!Files.exists(path)) {
            throw new FramebufferException(p + " does not exist; framebuffers present: " + describeDevices()
                    + "; this machine has no framebuffer device: load a framebuffer driver (for a virtual one: modprobe vfb"
                    + " vfb_enable=1 videomemorysize=33554432) or pass one of the devices present ('vbuf devices' lists them)");
        }
        int fd;
        try {
            fd = DeviceIo.open(p, DeviceIo.O_RDWR | DeviceIo.O_CLOEXEC);
        } catch (NativeException e) {
            throw new FramebufferException("cannot open " + p + ": " + e.getMessage()
                    + (e.errno() == 13 ? "; add your user to the 'video' group or run with access to it" : ""), e);
        }
        Framebuffer fb = new Framebuffer(path, fd);
        try {
            fb.info = fb.readInfo(true);
            return fb;
        } catch (RuntimeException e) {
            fb.close();
            throw e;
        }
    }

    /** The /dev/fb* nodes present. */
    public static List<Path> devicePaths() {
        try (Stream<Path> s = Files.list(Path.of("/dev"))) {
            return s.filter(x -> x.getFileName().toString().matches("fb\\d+")).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    public static String describeDevices() {
        List<Path> ps = devicePaths();
        if (ps.isEmpty()) return "none";
        List<String> out = new ArrayList<>();
        for (Path d : ps) {
            try (Framebuffer fb = open(d)) {
                out.add(d + " (" + fb.info().id() + ", " + fb.info().xres() + "x" + fb.info().yres() + " " + fb.info().bitsPerPixel() + " bpp)");
            } catch (RuntimeException e) {
                out.add(d + " (cannot query: " + e.getMessage() + ")");
            }
        }
        return String.join(", ", out);
    }

    private Info readInfo(boolean first) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(VAR);
            MemorySegment f = a.allocate(FIX);
            try {
                DeviceIo.ioctl(fd, FBIOGET_VSCREENINFO, "FBIOGET_VSCREENINFO", v, null);
                DeviceIo.ioctl(fd, FBIOGET_FSCREENINFO, "FBIOGET_FSCREENINFO", f, null);
            } catch (NativeException e) {
                if (first && (e.errno() == DeviceIo.ENOTTY || e.errno() == DeviceIo.EINVAL)) {
                    throw new FramebufferException(path + " is not a framebuffer device (" + e.getMessage().replaceFirst("^ioctl\\(", "ioctl(")
                            + "); framebuffers present: " + describeDevices() + "; pass a /dev/fbN device", e);
                }
                throw new FramebufferException("reading the screen information of " + path + " failed: " + e.getMessage(), e);
            }
            var.copyFrom(v);
            byte[] id = f.asSlice(0, 16).toArray(JAVA_BYTE);
            int n = 0;
            while (n < 16 && id[n] != 0) n++;
            return new Info(new String(id, 0, n, StandardCharsets.US_ASCII), v.get(JAVA_INT, V_XRES), v.get(JAVA_INT, V_YRES),
                    v.get(JAVA_INT, V_XRES_VIRTUAL), v.get(JAVA_INT, V_YRES_VIRTUAL), v.get(JAVA_INT, V_XOFFSET),
                    v.get(JAVA_INT, V_YOFFSET), v.get(JAVA_INT, V_BPP), v.get(JAVA_INT, V_GRAYSCALE), v.get(JAVA_INT, V_RED),
                    v.get(JAVA_INT, V_GREEN), v.get(JAVA_INT, V_BLUE), v.get(JAVA_INT, V_TRANSP + 4),
                    f.get(JAVA_LONG, F_SMEM_START), Integer.toUnsignedLong(f.get(JAVA_INT, F_SMEM_LEN)), f.get(JAVA_INT, F_LINE_LENGTH),
                    f.get(JAVA_INT, F_VISUAL), Short.toUnsignedInt(f.get(JAVA_SHORT, F_YPANSTEP)));
        }
    }

    public Path path() { return path; }
    public Info info() { return info; }
    public int pages() { return pages; }

    /**
     * Sets the mode for {@code pages} display pages: virtual height = pages × visible height
     * (FBIOPUT_VSCREENINFO), optionally a new colour depth, and reads back what the driver set.
     *
     * @param bitsPerPixel 0 to keep the current depth
     * @throws IllegalArgumentException when the memory cannot hold that many pages (the message gives the maximum)
     * @throws FramebufferException     when the driver refuses or sets something else
     */
    public Info configure(int pages, int bitsPerPixel) {
        checkOpen();
        if (mapping != null) throw new IllegalStateException(path + " is mapped; configure before pool()");
        if (bitsPerPixel < 0 || bitsPerPixel > 32 || bitsPerPixel % 8 != 0) {
            throw new IllegalArgumentException("bits per pixel " + bitsPerPixel + " is not 0 (keep), 8, 16, 24 or 32");
        }
        int bpp = bitsPerPixel == 0 ? info.bitsPerPixel() : bitsPerPixel;
        long line = (long) info.xres() * bpp / 8;
        long max = line == 0 ? 0 : info.smemLen() / (line * info.yres());
        if (pages < 1 || pages > max) {
            throw new IllegalArgumentException(pages + " pages of " + info.xres() + "x" + info.yres() + " at " + bpp
                    + " bpp do not fit " + path + "'s " + info.smemLen() + " bytes of memory: 1.." + max + " pages fit;"
                    + " ask for fewer pages or a lower depth (for vfb, raise videomemorysize)");
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(VAR);
            v.copyFrom(var);
            v.set(JAVA_INT, V_XRES_VIRTUAL, info.xres());
            v.set(JAVA_INT, V_YRES_VIRTUAL, pages * info.yres());
            v.set(JAVA_INT, V_XOFFSET, 0);
            v.set(JAVA_INT, V_YOFFSET, 0);
            v.set(JAVA_INT, V_BPP, bpp);
            v.set(JAVA_INT, V_ACTIVATE, FB_ACTIVATE_NOW);
            try {
                DeviceIo.ioctl(fd, FBIOPUT_VSCREENINFO, "FBIOPUT_VSCREENINFO", v, null);
            } catch (NativeException e) {
                throw new FramebufferException(path + " refused virtual size " + info.xres() + "x" + (pages * info.yres())
                        + " at " + bpp + " bpp (FBIOPUT_VSCREENINFO: " + DeviceIo.describe(e.errno()) + "); the driver may not"
                        + " support a larger virtual height (no panning): use 1 page", e);
            }
        }
        info = readInfo(false);
        if (info.yresVirtual() < pages * info.yres()) {
            throw new FramebufferException(path + " set virtual height " + info.yresVirtual() + " instead of " + pages * info.yres()
                    + " (" + pages + " pages of " + info.yres() + " lines); the driver cannot pan over that many pages");
        }
        this.pages = pages;
        return info;
    }

    /**
     * Maps the framebuffer memory and builds a pool with one EXTERNAL buffer per page; buffer
     * id = page number. The layout is the framebuffer's pixel format at its line length when
     * vbuf knows the format, else the pool has raw pages.
     */
    public FramePool pool(String name, List<String> groups, Overflow overflow) {
        List<ExternalBuffer> bufs = new ArrayList<>(pages);
        for (int i = 0; i < pages; i++) bufs.add(ExternalBuffer.of(page(i)));
        PoolBuilder b = FramePool.builder().name(name).external(bufs).groups(groups).overflow(overflow);
        layout().ifPresent(b::layout);
        return b.build();
    }

    /**
     * Page {@code i} of the framebuffer memory (mapped on first use), valid until {@link #close()}:
     * {@code pageBytes} bytes at y offset i × yres.
     */
    public MemorySegment page(int i) {
        checkOpen();
        if (i < 0 || i >= pages) throw new IllegalArgumentException("page " + i + " is outside 0.." + (pages - 1) + " of " + path);
        if (mapping == null) {
            mapping = Native.mmap(info.smemLen(), Native.PROT_READ | Native.PROT_WRITE, Native.MAP_SHARED, fd, 0);
        }
        long pageBytes = info.pageBytes();
        return mapping.asSlice(i * pageBytes, pageBytes).reinterpret(arena, null);
    }

    /** The page layout when vbuf knows the pixel format and its stride reproduces the line length. */
    public Optional<FrameLayout> layout() {
        Optional<PixelFormat> pf = info.pixelFormat();
        if (pf.isEmpty()) return Optional.empty();
        for (int align = FrameLayout.MAX_STRIDE_ALIGN; align >= 1; align >>= 1) {
            FrameLayout l = FrameLayout.of(pf.get(), info.xres(), info.yres(), align);
            if (l.plane(0).stride() == info.lineLength()) return Optional.of(l);
        }
        return Optional.empty();
    }

    /**
     * Shows page {@code page} (a pool buffer id) with FBIOPAN_DISPLAY at y offset page × yres.
     * Allocates nothing.
     *
     * @return 0, or {@code -errno} when the driver refused the pan
     */
    public int flip(int page) {
        if (page < 0 || page >= pages) {
            throw new IllegalArgumentException("page " + page + " is outside 0.." + (pages - 1) + " of " + path);
        }
        var.set(JAVA_INT, V_XOFFSET, 0);
        var.set(JAVA_INT, V_YOFFSET, page * info.yres());
        int r = DeviceIo.ioctlNoThrow(state, fd, FBIOPAN_DISPLAY, var);
        return Math.min(r, 0);
    }

    /** The page on screen now, read back from the driver (FBIOGET_VSCREENINFO's yoffset / yres). Allocates nothing. */
    public int displayedPage() {
        int r = DeviceIo.ioctlNoThrow(state, fd, FBIOGET_VSCREENINFO, readBack);
        if (r < 0) throw new FramebufferException("FBIOGET_VSCREENINFO on " + path + " failed: " + DeviceIo.describe(-r));
        return readBack.get(JAVA_INT, V_YOFFSET) / info.yres();
    }

    /** The y offset the driver reports now. */
    public int yoffset() {
        int r = DeviceIo.ioctlNoThrow(state, fd, FBIOGET_VSCREENINFO, readBack);
        if (r < 0) throw new FramebufferException("FBIOGET_VSCREENINFO on " + path + " failed: " + DeviceIo.describe(-r));
        return readBack.get(JAVA_INT, V_YOFFSET);
    }

    /** KDSETMODE and its arguments (linux/kd.h). */
    public static final long KDSETMODE = 0x4B3A;
    public static final int KD_TEXT = 0, KD_GRAPHICS = 1;

    /**
     * Stops the text console drawing into the framebuffer (its cursor blink and messages would
     * overwrite the page on screen): KDSETMODE KD_GRAPHICS on {@code tty} (normally /dev/tty0,
     * the current virtual terminal), as X servers and DRM applications do. Closing the returned
     * handle puts the console back in text mode.
     *
     * @throws FramebufferException when the terminal cannot be opened or switched (not root, no VT)
     */
    public static AutoCloseable consoleGraphicsMode(Path tty) {
        int t;
        try {
            t = DeviceIo.open(tty.toString(), DeviceIo.O_RDWR | DeviceIo.O_CLOEXEC);
        } catch (NativeException e) {
            throw new FramebufferException("cannot open " + tty + " to stop the text console drawing over the framebuffer: "
                    + e.getMessage() + "; run as root or from the console, or unbind the console (echo 0 > /sys/class/vtconsole/vtcon1/bind)", e);
        }
        try {
            DeviceIo.ioctlValue(t, KDSETMODE, "KDSETMODE KD_GRAPHICS", KD_GRAPHICS, null);
        } catch (NativeException e) {
            Native.close(t);
            throw new FramebufferException("KDSETMODE KD_GRAPHICS on " + tty + " failed: " + e.getMessage(), e);
        }
        return () -> {
            try {
                DeviceIo.ioctlValue(t, KDSETMODE, "KDSETMODE KD_TEXT", KD_TEXT, null);
            } finally {
                Native.close(t);
            }
        };
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException(path + " is closed");
    }

    /** Retires the page segments (closing their arena), unmaps the memory and closes the device. Close the pool first. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        arena.close();
        if (mapping != null) Native.munmap(mapping);
        Native.close(fd);
    }
}
