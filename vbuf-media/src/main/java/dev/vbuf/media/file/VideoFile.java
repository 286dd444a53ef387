package dev.vbuf.media.file;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.media.MediaException;
import dev.vbuf.media.SourceOptions;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A raw or YUV4MPEG2 video file, opened and checked: its picture layout and the byte offset of
 * every picture's pixels, so that readers can read picture {@code n} with one positioned read.
 *
 * <h2>YUV4MPEG2</h2>
 * A header line {@code YUV4MPEG2 W<w> H<h> F<n>:<d> I<p|t|b|m> A<n>:<d> C<chroma> X<ext>\n}, then
 * for each picture a line {@code FRAME[ params]\n} and the planes back to back without padding
 * (Y, then Cb, then Cr). vbuf reads {@code C420jpeg}, {@code C420mpeg2}, {@code C420paldv} and
 * {@code C420} (all I420, the siting kept as metadata; no tag means 420jpeg), {@code C422}
 * (I422), {@code C444} (I444), {@code C420p10}, {@code C422p10}, {@code C444p10} (I010, I210,
 * I410: 16-bit little-endian samples), {@code Cmono} (GRAY8) and {@code Cmono16} (GRAY16).
 * Other valid tags (4:1:1, alpha, 9/12/14/16 bits) are refused by name, with the format to
 * convert to: vbuf's {@link PixelFormat} has no such format. {@code X} tags
 * (e.g. {@code XCOLORRANGE=LIMITED}) and {@code I}, {@code A} are kept as metadata.
 *
 * <h2>Checks at open</h2>
 * Every picture's {@code FRAME} line is read and checked where the header's size says it must
 * be. A file whose last picture is short ("truncated"), whose header states a size that does
 * not match the data ("no FRAME marker where picture n should start"), or an unknown tag is a
 * {@link MediaException} naming the file, the picture number and the byte offset.
 *
 * <h2>Raw files</h2>
 * Pictures back to back in the layout {@code FrameLayout.of(format, w, h, 1)} (no padding);
 * size and format from the options (the CLI's --size and --format). A file that is not a whole
 * number of pictures is refused with the offset of the partial picture.
 */
public final class VideoFile {
    /** Size of a "FRAME\n" line without parameters. */
    static final int FRAME_LINE = 6;
    private static final int MAX_HEADER = 4096;

    private final Path path;
    private final boolean y4m;
    private final FrameLayout layout;
    private final double fps;
    private final long[] offsets;
    private final Map<String, String> metadata;
    private final long fileBytes;
    private final int headerBytes;

    private VideoFile(Path path, boolean y4m, FrameLayout layout, double fps, long[] offsets, Map<String, String> metadata,
                      long fileBytes, int headerBytes) {
        this.path = path;
        this.y4m = y4m;
        this.layout = layout;
        this.fps = fps;
        this.offsets = offsets;
        this.metadata = Map.copyOf(metadata);
        this.fileBytes = fileBytes;
        this.headerBytes = headerBytes;
    }

    /** True for names this class reads: *.y4m and raw *.yuv, *.raw, *.nv12, *.i420, *.gray ... */
    public static boolean handles(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.endsWith(".y4m") || n.endsWith(".yuv") || n.endsWith(".raw") || n.endsWith(".nv12")
                || n.endsWith(".i420") || n.endsWith(".rgba") || n.endsWith(".gray");
    }

    /** Opens and checks a file (see the class comment). */
    public static VideoFile open(Path path, SourceOptions options) throws IOException {
        String name = path.toString();
        if (!Files.exists(path)) throw new NoSuchFileException(name, null, "no such file; give an existing .y4m or raw file");
        if (Files.isDirectory(path)) throw new MediaException(name, -1, -1, "is a directory, not a video file");
        boolean y4m = name.toLowerCase(Locale.ROOT).endsWith(".y4m") || startsWithY4m(path);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            return y4m ? openY4m(path, ch) : openRaw(path, ch, options);
        }
    }

    private static boolean startsWithY4m(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(10);
            ch.read(b, 0);
            return new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII).equals("YUV4MPEG2 ");
        }
    }

    private static VideoFile openRaw(Path path, FileChannel ch, SourceOptions o) throws IOException {
        String name = path.toString();
        if (o.width() <= 0 || o.height() <= 0) {
            throw new MediaException(name, -1, -1, "a raw file does not say its picture size; give --size WxH"
                    + " (and --format, default i420), or use a .y4m file");
        }
        PixelFormat f = o.format() != null ? o.format() : PixelFormat.I420;
        FrameLayout layout;
        try {
            layout = FrameLayout.of(f, o.width(), o.height(), 1);
        } catch (IllegalArgumentException e) {
            throw new MediaException(name, -1, -1, e.getMessage());
        }
        long size = ch.size();
        long fb = layout.frameBytes();
        long n = size / fb;
        if (n == 0 || size % fb != 0) {
            throw new MediaException(name, n, n * fb, "truncated: the file holds " + size + " bytes, not a whole number of "
                    + fb + "-byte pictures (" + o.width() + "x" + o.height() + " " + f + "); picture " + n + " has "
                    + (size - n * fb) + " of " + fb + " bytes. Check --size and --format, or cut the file at byte " + n * fb);
        }
        if (n > Integer.MAX_VALUE) throw new MediaException(name, -1, -1, "more than 2^31 pictures");
        long[] offsets = new long[(int) n];
        for (int i = 0; i < n; i++) offsets[i] = i * fb;
        var meta = new LinkedHashMap<String, String>();
        meta.put("container", "raw");
        return new VideoFile(path, false, layout, o.fps(), offsets, meta, size, 0);
    }

    private static VideoFile openY4m(Path path, FileChannel ch) throws IOException {
        String name = path.toString();
        long size = ch.size();
        ByteBuffer hb = ByteBuffer.allocate((int) Math.min(MAX_HEADER, size));
        ch.read(hb, 0);
        String head = new String(hb.array(), 0, hb.position(), StandardCharsets.ISO_8859_1);
        int nl = head.indexOf('\n');
        if (!head.startsWith("YUV4MPEG2 ") || nl < 0) {
            throw new MediaException(name, -1, 0, nl < 0 ? "no YUV4MPEG2 header line within " + MAX_HEADER + " bytes"
                    : "does not start with 'YUV4MPEG2 ' (found '" + printable(head.substring(0, Math.min(10, head.length())))
                    + "'); it is not a Y4M file");
        }
        int headerBytes = nl + 1;
        int w = -1, h = -1;
        double fps = 0;
        String chroma = "420jpeg";
        final String SUPPORTED = "C420jpeg, C420mpeg2, C420paldv, C420, C422, C444, C420p10, C422p10, C444p10, Cmono, Cmono16";
        var meta = new LinkedHashMap<String, String>();
        meta.put("container", "y4m");
        int pos = "YUV4MPEG2 ".length();
        for (String tok : head.substring(pos, nl).split(" ")) {
            if (tok.isEmpty()) continue;
            long at = head.indexOf(tok, pos);
            String v = tok.substring(1);
            try {
                switch (tok.charAt(0)) {
                    case 'W' -> w = Integer.parseInt(v);
                    case 'H' -> h = Integer.parseInt(v);
                    case 'F' -> {
                        String[] nd = v.split(":");
                        long num = Long.parseLong(nd[0]), den = Long.parseLong(nd[1]);
                        if (num <= 0 || den <= 0) throw new NumberFormatException();
                        fps = (double) num / den;
                        meta.put("frameRate", v);
                    }
                    case 'C' -> chroma = v;
                    case 'I' -> meta.put("interlace", v);
                    case 'A' -> meta.put("aspect", v);
                    case 'X' -> {
                        int eq = v.indexOf('=');
                        if (eq > 0) meta.put(v.substring(0, eq), v.substring(eq + 1));
                        else meta.put(v, "");
                    }
                    default -> throw new MediaException(name, -1, at, "unknown header tag '" + tok
                            + "'; a Y4M header has W, H, F, I, A, C and X tags");
                }
            } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
                throw new MediaException(name, -1, at, "bad header value '" + tok + "' (W and H are positive integers,"
                        + " F is num:den)");
            }
            pos = (int) at + tok.length();
        }
        if (w <= 0 || h <= 0) {
            throw new MediaException(name, -1, 0, "the header gives no " + (w <= 0 ? "width (W)" : "height (H)"));
        }
        PixelFormat f = switch (chroma) {
            case "420jpeg", "420mpeg2", "420paldv", "420" -> PixelFormat.I420;
            case "mono" -> PixelFormat.GRAY8;
            case "mono16" -> PixelFormat.GRAY16;
            case "422" -> PixelFormat.I422;
            case "444" -> PixelFormat.I444;
            case "420p10" -> PixelFormat.I010;
            case "422p10" -> PixelFormat.I210;
            case "444p10" -> PixelFormat.I410;
            case "444alpha", "411", "420p9", "422p9", "444p9", "420p12", "422p12", "444p12", "420p14", "422p14", "444p14",
                 "420p16", "422p16", "444p16", "mono9", "mono10", "mono12" -> throw new MediaException(name, -1,
                    head.indexOf("C" + chroma), "chroma tag C" + chroma + " is valid Y4M but vbuf has no pixel format for it;"
                    + " supported: " + SUPPORTED + ". Convert with: ffmpeg -i " + name + " -pix_fmt "
                    + (chroma.startsWith("444") ? "yuv444p10le" : chroma.startsWith("422") ? "yuv422p10le" : "yuv420p10le")
                    + " OUT.y4m");
            default -> throw new MediaException(name, -1, head.indexOf("C" + chroma), "unknown chroma tag C" + chroma
                    + "; supported: " + SUPPORTED);
        };
        meta.put("chroma", chroma);
        FrameLayout layout;
        try {
            layout = FrameLayout.of(f, w, h, 1);
        } catch (IllegalArgumentException e) {
            throw new MediaException(name, -1, 0, "header " + w + "x" + h + " C" + chroma + ": " + e.getMessage());
        }
        long fb = layout.frameBytes();
        // walk the FRAME lines
        var offs = new java.util.ArrayList<Long>();
        long at = headerBytes;
        ByteBuffer line = ByteBuffer.allocate(256);
        while (at < size) {
            int frame = offs.size();
            line.clear();
            int got = ch.read(line, at);
            String s = new String(line.array(), 0, Math.max(0, got), StandardCharsets.ISO_8859_1);
            int end = s.indexOf('\n');
            if (!s.startsWith("FRAME") || end < 0 || (end > 5 && s.charAt(5) != ' ')) {
                throw new MediaException(name, frame, at, "no FRAME marker where picture " + frame + " should start (found '"
                        + printable(s.substring(0, Math.min(12, s.length()))) + "'): the header says " + w + "x" + h + " C"
                        + chroma + " = " + fb + " bytes per picture, which does not match the data; the header lies"
                        + " about the size or the file is corrupt");
            }
            long data = at + end + 1;
            if (data + fb > size) {
                throw new MediaException(name, frame, data, "truncated: picture " + frame + " has " + (size - data)
                        + " of its " + fb + " bytes (" + w + "x" + h + " " + f + "); the file ends at byte " + size
                        + ". Cut it at byte " + at + " to keep the " + frame + " whole pictures");
            }
            offs.add(data);
            at = data + fb;
        }
        long[] offsets = offs.stream().mapToLong(Long::longValue).toArray();
        if (offsets.length == 0) throw new MediaException(name, 0, headerBytes, "holds no picture after its header");
        return new VideoFile(path, true, layout, fps, offsets, meta, size, headerBytes);
    }

    private static String printable(String s) {
        var b = new StringBuilder();
        for (char c : s.toCharArray()) b.append(c >= 0x20 && c < 0x7f ? c : '?');
        return b.toString();
    }

    public Path path() { return path; }
    public boolean isY4m() { return y4m; }
    /** The pictures' layout as stored: planes back to back, stride = row bytes. */
    public FrameLayout layout() { return layout; }
    public double fps() { return fps; }
    public int frameCount() { return offsets.length; }
    /** Byte offset of picture {@code n}'s pixels. */
    public long offset(int n) { return offsets[n]; }
    public Map<String, String> metadata() { return metadata; }
    public long fileBytes() { return fileBytes; }
    public int headerBytes() { return headerBytes; }

    @Override
    public String toString() {
        return (y4m ? "Y4M " : "raw ") + layout.width() + "x" + layout.height() + " " + layout.format()
                + (fps > 0 ? " " + fps + " fps" : "") + ", " + offsets.length + " pictures of " + layout.frameBytes() + " bytes";
    }
}
