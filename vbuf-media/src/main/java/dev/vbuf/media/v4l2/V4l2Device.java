package dev.vbuf.media.v4l2;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.memory.NativeException;
import dev.vbuf.sys.Abi;
import dev.vbuf.sys.Errno;
import dev.vbuf.sys.FileIo;
import dev.vbuf.sys.Ioctl;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static dev.vbuf.media.v4l2.V4l2Abi.*;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * One open V4L2 video capture device: capabilities, formats, and the buffer ioctls
 * (REQBUFS, QUERYBUF, EXPBUF, STREAMON/OFF) through the native layer ({@code dev.vbuf.sys.Ioctl}). Set-up only;
 * the per-frame QBUF/DQBUF path is {@link V4l2Capture}'s.
 *
 * <p>{@link #open(Path)} refuses, with a message that names the path, what was found and what
 * to do: a path that does not exist (listing the V4L2 devices present), a file that is not a
 * V4L2 device (VIDIOC_QUERYCAP fails with ENOTTY, e.g. /dev/null), and a V4L2 device that
 * cannot capture video with streaming I/O (e.g. an output or metadata node).
 */
public final class V4l2Device implements AutoCloseable {
    private final Path path;
    private final int fd;
    private final Capability cap;
    private boolean closed;

    /** VIDIOC_QUERYCAP's answer. */
    public record Capability(String driver, String card, String busInfo, int version, int capabilities, int deviceCaps) {
        public boolean canCapture() { return (deviceCaps & CAP_VIDEO_CAPTURE) != 0; }
        public boolean canStream() { return (deviceCaps & CAP_STREAMING) != 0; }
        public String versionString() { return (version >>> 16) + "." + ((version >>> 8) & 0xff) + "." + (version & 0xff); }
        public String capsString() {
            List<String> s = new ArrayList<>();
            if ((deviceCaps & CAP_VIDEO_CAPTURE) != 0) s.add("video-capture");
            if ((deviceCaps & CAP_VIDEO_CAPTURE_MPLANE) != 0) s.add("video-capture-mplane");
            if ((deviceCaps & CAP_VIDEO_OUTPUT) != 0) s.add("video-output");
            if ((deviceCaps & CAP_VIDEO_M2M) != 0) s.add("m2m");
            if ((deviceCaps & CAP_META_CAPTURE) != 0) s.add("meta-capture");
            if ((deviceCaps & CAP_READWRITE) != 0) s.add("read/write");
            if ((deviceCaps & CAP_STREAMING) != 0) s.add("streaming");
            return String.join(",", s);
        }
    }

    /** One VIDIOC_ENUM_FMT entry. */
    public record FormatDesc(int index, int fourcc, String description, int flags) {
        public String fourccString() { return PixelFormat.fourccToString(fourcc); }
    }

    /** One VIDIOC_ENUM_FRAMESIZES entry: discrete (min = max) or a stepwise/continuous range. */
    public record FrameSizes(int type, int minWidth, int maxWidth, int stepWidth, int minHeight, int maxHeight, int stepHeight) {
        @Override
        public String toString() {
            if (type == FRMSIZE_TYPE_DISCRETE) return minWidth + "x" + minHeight;
            return minWidth + "x" + minHeight + ".." + maxWidth + "x" + maxHeight + " step " + stepWidth + "x" + stepHeight;
        }
    }

    /** What REQBUFS granted: the count and the memory types the queue supports. */
    public record Granted(int count, int bufCapabilities) {}

    private V4l2Device(Path path, int fd, Capability cap) {
        this.path = path;
        this.fd = fd;
        this.cap = cap;
    }

    /**
     * Opens a V4L2 capture device (O_RDWR | O_NONBLOCK | O_CLOEXEC) and checks it with
     * VIDIOC_QUERYCAP.
     *
     * @throws V4l2Exception when the path is missing, not a V4L2 device, or cannot capture
     */
    public static V4l2Device open(Path path) {
        String p = path.toString();
        if (!Files.exists(path)) {
            throw new V4l2Exception(p + " does not exist; devices present: " + describeDevices()
                    + "; connect a camera or load a V4L2 driver (for a test device: modprobe vivid), then pass one of"
                    + " the devices present ('vbuf devices' lists them)");
        }
        int fd;
        try {
            fd = FileIo.open(p, Abi.O_RDWR | Abi.O_NONBLOCK | Abi.O_CLOEXEC);
        } catch (NativeException e) {
            String what = e.errno() == 13 ? "; add your user to the 'video' group or run with access to it" : "";
            throw new V4l2Exception("cannot open " + p + ": " + e.getMessage() + what, e);
        }
        try {
            Capability cap = queryCap(fd, p);
            if (!cap.canCapture()) {
                throw new V4l2Exception(p + " (" + cap.driver() + ", '" + cap.card() + "') is a V4L2 device but not a"
                        + " single-planar video capture device (device caps: " + cap.capsString() + "); vbuf captures from"
                        + " video-capture nodes; devices present: " + describeDevices());
            }
            if (!cap.canStream()) {
                throw new V4l2Exception(p + " (" + cap.driver() + ") does not support streaming I/O (device caps: "
                        + cap.capsString() + "); vbuf needs VIDIOC_REQBUFS/QBUF/DQBUF");
            }
            return new V4l2Device(path, fd, cap);
        } catch (RuntimeException e) {
            FileIo.close(fd);
            throw e;
        }
    }

    private static Capability queryCap(int fd, String p) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment c = a.allocate(CAPABILITY);
            try {
                Ioctl.ioctl(fd, VIDIOC_QUERYCAP, "VIDIOC_QUERYCAP", c, null);
            } catch (NativeException e) {
                if (e.errno() == Abi.ENOTTY || e.errno() == Abi.EINVAL) {
                    throw new V4l2Exception(p + " is not a V4L2 device (VIDIOC_QUERYCAP failed: "
                            + Errno.describe(e.errno()) + "); V4L2 devices present: " + describeDevices()
                            + "; pass a /dev/videoN capture node", e);
                }
                throw new V4l2Exception("VIDIOC_QUERYCAP on " + p + " failed: " + e.getMessage(), e);
            }
            int caps = c.get(JAVA_INT, off(CAPABILITY, "capabilities"));
            int dcaps = c.get(JAVA_INT, off(CAPABILITY, "device_caps"));
            return new Capability(cstr(c, off(CAPABILITY, "driver"), 16), cstr(c, off(CAPABILITY, "card"), 32),
                    cstr(c, off(CAPABILITY, "bus_info"), 32), c.get(JAVA_INT, off(CAPABILITY, "version")), caps,
                    (caps & CAP_DEVICE_CAPS) != 0 ? dcaps : caps);
        }
    }

    /** The /dev/video* nodes present, sorted; empty when there are none. */
    public static List<Path> devicePaths() {
        try (Stream<Path> s = Files.list(Path.of("/dev"))) {
            return s.filter(x -> x.getFileName().toString().matches("video\\d+")).sorted((x, y) -> {
                int a = Integer.parseInt(x.getFileName().toString().substring(5));
                int b = Integer.parseInt(y.getFileName().toString().substring(5));
                return Integer.compare(a, b);
            }).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** "none" or "/dev/video0 (vivid, 'vivid-000-vid-cap'), /dev/video1 (...)". */
    public static String describeDevices() {
        List<Path> ps = devicePaths();
        if (ps.isEmpty()) return "none";
        List<String> out = new ArrayList<>();
        for (Path d : ps) {
            try {
                int fd = FileIo.open(d.toString(), Abi.O_RDWR | Abi.O_NONBLOCK | Abi.O_CLOEXEC);
                try {
                    Capability c = queryCap(fd, d.toString());
                    out.add(d + " (" + c.driver() + ", '" + c.card() + "', " + c.capsString() + ")");
                } finally {
                    FileIo.close(fd);
                }
            } catch (RuntimeException e) {
                out.add(d + " (cannot query: " + e.getMessage() + ")");
            }
        }
        return String.join(", ", out);
    }

    public Path path() { return path; }
    public int fd() { return fd; }
    public Capability capability() { return cap; }

    /** VIDIOC_ENUM_FMT over the capture queue. */
    public List<FormatDesc> formats() {
        List<FormatDesc> out = new ArrayList<>();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment d = a.allocate(FMTDESC);
            for (int i = 0; i < 256; i++) {
                d.fill((byte) 0);
                d.set(JAVA_INT, off(FMTDESC, "index"), i);
                d.set(JAVA_INT, off(FMTDESC, "type"), BUF_TYPE_VIDEO_CAPTURE);
                try {
                    Ioctl.ioctl(fd, VIDIOC_ENUM_FMT, "VIDIOC_ENUM_FMT", d, null);
                } catch (NativeException e) {
                    if (e.errno() == Abi.EINVAL) break;
                    throw new V4l2Exception("VIDIOC_ENUM_FMT index " + i + " on " + path + " failed: " + e.getMessage(), e);
                }
                out.add(new FormatDesc(i, d.get(JAVA_INT, off(FMTDESC, "pixelformat")),
                        cstr(d, off(FMTDESC, "description"), 32), d.get(JAVA_INT, off(FMTDESC, "flags"))));
            }
        }
        return out;
    }

    /** VIDIOC_ENUM_FRAMESIZES for one fourcc; empty when the driver does not enumerate sizes. */
    public List<FrameSizes> frameSizes(int fourcc) {
        List<FrameSizes> out = new ArrayList<>();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment d = a.allocate(FRMSIZEENUM);
            long u = off(FRMSIZEENUM, "u");
            for (int i = 0; i < 64; i++) {
                d.fill((byte) 0);
                d.set(JAVA_INT, off(FRMSIZEENUM, "index"), i);
                d.set(JAVA_INT, off(FRMSIZEENUM, "pixel_format"), fourcc);
                try {
                    Ioctl.ioctl(fd, VIDIOC_ENUM_FRAMESIZES, "VIDIOC_ENUM_FRAMESIZES", d, null);
                } catch (NativeException e) {
                    break;
                }
                int type = d.get(JAVA_INT, off(FRMSIZEENUM, "type"));
                if (type == FRMSIZE_TYPE_DISCRETE) {
                    int w = d.get(JAVA_INT, u), h = d.get(JAVA_INT, u + 4);
                    out.add(new FrameSizes(type, w, w, 1, h, h, 1));
                } else {
                    out.add(new FrameSizes(type, d.get(JAVA_INT, u), d.get(JAVA_INT, u + 4), d.get(JAVA_INT, u + 8),
                            d.get(JAVA_INT, u + 12), d.get(JAVA_INT, u + 16), d.get(JAVA_INT, u + 20)));
                    break;
                }
            }
        }
        return out;
    }

    /** VIDIOC_G_FMT: the current capture format. */
    public V4l2Format format() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment f = a.allocate(FORMAT);
            f.set(JAVA_INT, FMT_TYPE, BUF_TYPE_VIDEO_CAPTURE);
            ioctl(VIDIOC_G_FMT, "VIDIOC_G_FMT", f, null);
            return readPix(f);
        }
    }

    /**
     * Requests a format with VIDIOC_S_FMT and returns what the driver granted. Drivers adjust
     * silently; vbuf refuses a different pixel format (naming what the device offers) and
     * accepts an adjusted size (the caller sees it in the result).
     *
     * @throws IllegalArgumentException for a format V4L2 has no code for or a size out of range
     * @throws V4l2Exception            when the device does not offer the format
     */
    public V4l2Format setFormat(PixelFormat format, int width, int height) {
        int fourcc = checkRequest(format, width, height);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment f = a.allocate(FORMAT);
            f.set(JAVA_INT, FMT_TYPE, BUF_TYPE_VIDEO_CAPTURE);
            long pix = FMT_PIX;
            f.set(JAVA_INT, pix + off(PIX_FORMAT, "width"), width);
            f.set(JAVA_INT, pix + off(PIX_FORMAT, "height"), height);
            f.set(JAVA_INT, pix + off(PIX_FORMAT, "pixelformat"), fourcc);
            f.set(JAVA_INT, pix + off(PIX_FORMAT, "field"), FIELD_NONE);
            try {
                Ioctl.ioctl(fd, VIDIOC_S_FMT, "VIDIOC_S_FMT", f, null);
            } catch (NativeException e) {
                if (e.errno() == 16) {
                    throw new V4l2Exception("VIDIOC_S_FMT on " + path + " failed: the device is busy (EBUSY): another"
                            + " process is streaming from it or holds its buffers; stop that process and retry", e);
                }
                throw new V4l2Exception("VIDIOC_S_FMT " + format + " " + width + "x" + height + " on " + path + " failed: "
                        + e.getMessage() + "; the device offers: " + offered(), e);
            }
            V4l2Format got = readPix(f);
            checkGranted(path.toString(), format, width, height, got, offered());
            return got;
        }
    }

    /**
     * Validates a format request before any ioctl: the format must have a V4L2 code and the size
     * must be within vbuf's limits.
     *
     * @return the fourcc to request
     */
    public static int checkRequest(PixelFormat format, int width, int height) {
        if (format == null) throw new IllegalArgumentException("pixel format is missing; " + PixelFormat.acceptedFormats());
        if (format.v4l2Fourcc().isEmpty()) {
            throw new IllegalArgumentException("pixel format " + format + " has no V4L2 code (videodev2.h defines none), so"
                    + " no V4L2 device can deliver it; choose a format with a fourcc, e.g. YUYV, NV12 or RGB24");
        }
        for (int v : new int[] {width, height}) {
            if (v < FrameLayout.MIN_DIMENSION || v > FrameLayout.MAX_DIMENSION) {
                throw new IllegalArgumentException("capture size " + width + "x" + height + " is outside "
                        + FrameLayout.MIN_DIMENSION + ".." + FrameLayout.MAX_DIMENSION + " pixels per side; give a size"
                        + " the device offers ('vbuf devices' lists them)");
            }
        }
        return format.v4l2Fourcc().getAsInt();
    }

    /**
     * The driver's answer to S_FMT, judged: a different pixel format is refused (drivers
     * substitute one they have rather than fail), a zero sizeimage or a bytesperline smaller
     * than a row is refused as a driver error.
     */
    public static void checkGranted(String device, PixelFormat asked, int width, int height, V4l2Format got, String offered) {
        int want = asked.v4l2Fourcc().orElseThrow();
        if (got.fourcc() != want) {
            throw new V4l2Exception(device + " does not offer pixel format " + asked + " ('" + asked.fourccString().strip()
                    + "'): VIDIOC_S_FMT answered with '" + got.fourccString().strip() + "' instead; the device offers: "
                    + offered + "; choose one of those");
        }
        if (got.sizeImage() <= 0 || got.bytesPerLine() <= 0) {
            throw new V4l2Exception(device + " granted " + got + " with a zero bytesperline or sizeimage; the driver's"
                    + " answer is unusable");
        }
        var layout = FrameLayout.of(asked, got.width(), got.height(), 1);
        if (got.bytesPerLine() < layout.plane(0).rowBytes() || got.sizeImage() < layout.dataBytes()) {
            throw new V4l2Exception(device + " granted " + got + ": bytesperline or sizeimage is smaller than "
                    + got.width() + "x" + got.height() + " " + asked + " needs (" + layout.plane(0).rowBytes()
                    + " bytes per row, " + layout.dataBytes() + " bytes); the driver's answer is inconsistent");
        }
    }

    /** "YUYV (YUYV 4:2:2), RGB3 (24-bit RGB 8-8-8), ..." */
    public String offered() {
        List<String> s = new ArrayList<>();
        for (FormatDesc d : formats()) {
            s.add(d.fourccString().strip() + " (" + d.description()
                    + V4l2Format.pixelFormatOf(d.fourcc()).map(p -> ", vbuf " + p).orElse("") + ")");
        }
        return s.isEmpty() ? "no formats" : String.join(", ", s);
    }

    /**
     * VIDIOC_REQBUFS: asks for {@code count} buffers of {@code memory}; the driver may grant a
     * different count (more for its minimum, fewer for its maximum or memory). Count 0 frees
     * the queue's buffers.
     */
    public Granted requestBuffers(int count, int memory) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment r = a.allocate(REQUESTBUFFERS);
            r.set(JAVA_INT, off(REQUESTBUFFERS, "count"), count);
            r.set(JAVA_INT, off(REQUESTBUFFERS, "type"), BUF_TYPE_VIDEO_CAPTURE);
            r.set(JAVA_INT, off(REQUESTBUFFERS, "memory"), memory);
            try {
                Ioctl.ioctl(fd, VIDIOC_REQBUFS, "VIDIOC_REQBUFS", r, null);
            } catch (NativeException e) {
                String m = memoryName(memory);
                if (e.errno() == Abi.EINVAL) {
                    throw new V4l2Exception(path + " does not support " + m + " buffers (VIDIOC_REQBUFS count " + count
                            + " memory " + m + ": EINVAL); try another --memory (mmap is always supported)", e);
                }
                if (e.errno() == 16) {
                    throw new V4l2Exception(path + " is busy (VIDIOC_REQBUFS: EBUSY): its buffers are still mapped or"
                            + " another process streams from it; close that process and retry", e);
                }
                throw new V4l2Exception("VIDIOC_REQBUFS count " + count + " memory " + m + " on " + path + " failed: "
                        + e.getMessage() + (e.errno() == 12 ? "; ask for fewer or smaller buffers" : ""), e);
            }
            return new Granted(r.get(JAVA_INT, off(REQUESTBUFFERS, "count")), r.get(JAVA_INT, off(REQUESTBUFFERS, "capabilities")));
        }
    }

    /** VIDIOC_QUERYBUF of an MMAP buffer: {offset for mmap, length}. */
    public long[] queryBuffer(int index) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment b = a.allocate(BUFFER);
            b.set(JAVA_INT, BUF_INDEX, index);
            b.set(JAVA_INT, BUF_TYPE, BUF_TYPE_VIDEO_CAPTURE);
            b.set(JAVA_INT, BUF_MEMORY, MEMORY_MMAP);
            ioctl(VIDIOC_QUERYBUF, "VIDIOC_QUERYBUF index " + index, b, null);
            return new long[] {Integer.toUnsignedLong(b.get(JAVA_INT, BUF_M)), Integer.toUnsignedLong(b.get(JAVA_INT, BUF_LENGTH))};
        }
    }

    /** VIDIOC_EXPBUF: buffer {@code index} of the MMAP queue as a DMA-BUF file descriptor (O_RDWR | O_CLOEXEC). */
    public int exportBuffer(int index) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment e = a.allocate(EXPORTBUFFER);
            e.set(JAVA_INT, off(EXPORTBUFFER, "type"), BUF_TYPE_VIDEO_CAPTURE);
            e.set(JAVA_INT, off(EXPORTBUFFER, "index"), index);
            e.set(JAVA_INT, off(EXPORTBUFFER, "flags"), EXPBUF_FLAGS);
            ioctl(VIDIOC_EXPBUF, "VIDIOC_EXPBUF index " + index, e,
                    "the driver's buffers must be MMAP buffers of an allocator that can export (vb2 vmalloc, dma-contig or dma-sg)");
            return e.get(JAVA_INT, off(EXPORTBUFFER, "fd"));
        }
    }

    public void streamOn() { stream(VIDIOC_STREAMON, "VIDIOC_STREAMON"); }
    public void streamOff() { stream(VIDIOC_STREAMOFF, "VIDIOC_STREAMOFF"); }

    private void stream(long req, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment t = a.allocate(JAVA_INT);
            t.set(JAVA_INT, 0, BUF_TYPE_VIDEO_CAPTURE);
            ioctl(req, name, t, null);
        }
    }

    private void ioctl(long req, String name, MemorySegment arg, String hint) {
        try {
            Ioctl.ioctl(fd, req, name, arg, hint);
        } catch (NativeException e) {
            throw new V4l2Exception(name + " on " + path + " failed: " + e.getMessage(), e);
        }
    }

    static V4l2Format readPix(MemorySegment f) {
        long p = FMT_PIX;
        return new V4l2Format(f.get(JAVA_INT, p + off(PIX_FORMAT, "pixelformat")), f.get(JAVA_INT, p + off(PIX_FORMAT, "width")),
                f.get(JAVA_INT, p + off(PIX_FORMAT, "height")), f.get(JAVA_INT, p + off(PIX_FORMAT, "field")),
                f.get(JAVA_INT, p + off(PIX_FORMAT, "bytesperline")), f.get(JAVA_INT, p + off(PIX_FORMAT, "sizeimage")),
                f.get(JAVA_INT, p + off(PIX_FORMAT, "colorspace")));
    }

    static String cstr(MemorySegment s, long offset, int max) {
        byte[] b = s.asSlice(offset, max).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        int n = 0;
        while (n < b.length && b[n] != 0) n++;
        return new String(b, 0, n, StandardCharsets.UTF_8);
    }

    public static String memoryName(int memory) {
        return switch (memory) {
            case MEMORY_MMAP -> "MMAP";
            case MEMORY_USERPTR -> "USERPTR";
            case MEMORY_DMABUF -> "DMABUF";
            default -> "memory " + memory;
        };
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        FileIo.close(fd);
    }

    @Override
    public String toString() {
        return path + " (" + cap.driver() + ", '" + cap.card() + "', " + cap.capsString() + ")";
    }
}
