package dev.vbuf.format;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The pixel formats a vbuf frame buffer can hold (SPEC S3.1).
 *
 * <p>Names describe the order of the components <em>in memory</em>, byte by byte, as FFmpeg
 * names do: {@link #RGBA} is the bytes R, G, B, A at increasing addresses. V4L2 is not
 * consistent about this (its {@code V4L2_PIX_FMT_RGBA32} is R,G,B,A in memory but its
 * {@code V4L2_PIX_FMT_BGRA32} is A,B,G,R in memory), so each constant records the V4L2 code
 * whose memory byte order matches the vbuf name, taken from {@code linux/videodev2.h}; see
 * the comments on the constants and docs/FORMATS.md.
 *
 * <p>Multi-byte samples ({@link #P010}, {@link #GRAY16}, {@link #RGBA64}, {@link #I010},
 * {@link #I210}, {@link #I410}) are little-endian. P010 keeps its 10 bits in the high bits of
 * each sample, the planar 10-bit formats in the low bits, as FFmpeg's p010le and yuv4xxp10le do
 * ({@link #bitDepth()}, {@link #msbAligned()}).
 *
 * <p>Geometry: {@link #planeCount()} planes; chroma is subsampled by
 * {@link #horizontalSubsampling()} across and {@link #verticalSubsampling()} down (1 for
 * formats without chroma or with full chroma); every sample takes {@link #bytesPerSample()}
 * bytes. {@link FrameLayout} turns this into exact plane offsets and strides.
 */
public enum PixelFormat {

    /** Y plane, then one plane of interleaved U,V at half width and half height (4:2:0). V4L2_PIX_FMT_NV12 'NV12'. */
    NV12("V4L2_PIX_FMT_NV12", "NV12", 2, 2, 1, true, false,
            new String[] {"nv12"},
            plane("Y", 1, 1, 1), plane("UV", 2, 2, 2)),

    /** Y plane, then one plane of interleaved V,U at half width and half height (4:2:0). V4L2_PIX_FMT_NV21 'NV21'. */
    NV21("V4L2_PIX_FMT_NV21", "NV21", 2, 2, 1, true, false,
            new String[] {"nv21"},
            plane("Y", 1, 1, 1), plane("VU", 2, 2, 2)),

    /**
     * Three planes Y, U, V; U and V at half width and half height (4:2:0), also called
     * yuv420p. V4L2 calls it V4L2_PIX_FMT_YUV420 with fourcc 'YU12' (not 'I420').
     */
    I420("V4L2_PIX_FMT_YUV420", "YU12", 2, 2, 1, true, false,
            new String[] {"i420", "yuv420p", "yuv420", "iyuv", "yu12"},
            plane("Y", 1, 1, 1), plane("U", 2, 2, 1), plane("V", 2, 2, 1)),

    /** Like {@link #I420} with the chroma planes swapped: Y, V, U. V4L2_PIX_FMT_YVU420 'YV12'. */
    YV12("V4L2_PIX_FMT_YVU420", "YV12", 2, 2, 1, true, false,
            new String[] {"yv12", "yvu420p", "yvu420"},
            plane("Y", 1, 1, 1), plane("V", 2, 2, 1), plane("U", 2, 2, 1)),

    /** Y plane, then interleaved U,V at half width and full height (4:2:2). V4L2_PIX_FMT_NV16 'NV16'. */
    NV16("V4L2_PIX_FMT_NV16", "NV16", 2, 1, 1, true, false,
            new String[] {"nv16"},
            plane("Y", 1, 1, 1), plane("UV", 2, 1, 2)),

    /**
     * 10-bit HDR 4:2:0 in the NV12 arrangement with 16-bit little-endian samples, the 10 bits in
     * the high bits of each sample. V4L2_PIX_FMT_P010 'P010'.
     */
    P010("V4L2_PIX_FMT_P010", "P010", 2, 2, 2, true, false,
            new String[] {"p010", "p010le"},
            plane("Y", 1, 1, 2), plane("UV", 2, 2, 4)),

    /** Packed 4:2:2, bytes Y0 U Y1 V for each pair of pixels. V4L2_PIX_FMT_YUYV 'YUYV' (also known as YUY2). */
    YUYV("V4L2_PIX_FMT_YUYV", "YUYV", 2, 1, 1, true, false,
            new String[] {"yuyv", "yuy2", "yuyv422"},
            plane("YUYV", 2, 1, 4)),

    /** Packed 4:2:2, bytes U Y0 V Y1 for each pair of pixels. V4L2_PIX_FMT_UYVY 'UYVY'. */
    UYVY("V4L2_PIX_FMT_UYVY", "UYVY", 2, 1, 1, true, false,
            new String[] {"uyvy", "uyvy422"},
            plane("UYVY", 2, 1, 4)),

    /** Packed bytes R, G, B. V4L2_PIX_FMT_RGB24 'RGB3'. */
    RGB24("V4L2_PIX_FMT_RGB24", "RGB3", 1, 1, 1, false, false,
            new String[] {"rgb24", "rgb"},
            plane("RGB", 1, 1, 3)),

    /** Packed bytes B, G, R. V4L2_PIX_FMT_BGR24 'BGR3'. */
    BGR24("V4L2_PIX_FMT_BGR24", "BGR3", 1, 1, 1, false, false,
            new String[] {"bgr24", "bgr"},
            plane("BGR", 1, 1, 3)),

    /**
     * Packed bytes R, G, B, A. V4L2 code: V4L2_PIX_FMT_RGBA32 'AB24' (whose memory order is
     * R,G,B,A; the fourcc is named after the little-endian 32-bit word A:B:G:R).
     */
    RGBA("V4L2_PIX_FMT_RGBA32", "AB24", 1, 1, 1, false, true,
            new String[] {"rgba"},
            plane("RGBA", 1, 1, 4)),

    /**
     * Packed bytes B, G, R, A. V4L2 code: V4L2_PIX_FMT_ABGR32 'AR24' (memory order B,G,R,A
     * despite the macro name). Not V4L2_PIX_FMT_BGRA32 'RA24', which is A,B,G,R in memory.
     */
    BGRA("V4L2_PIX_FMT_ABGR32", "AR24", 1, 1, 1, false, true,
            new String[] {"bgra"},
            plane("BGRA", 1, 1, 4)),

    /** Packed bytes A, R, G, B. V4L2 code: V4L2_PIX_FMT_ARGB32 'BA24' (memory order A,R,G,B). */
    ARGB("V4L2_PIX_FMT_ARGB32", "BA24", 1, 1, 1, false, true,
            new String[] {"argb"},
            plane("ARGB", 1, 1, 4)),

    /**
     * Packed R, G, B, A with 16-bit little-endian components (8 bytes per pixel). V4L2 (as of
     * Linux 6.1's videodev2.h) defines no fourcc for this format, so {@link #v4l2Fourcc()} is
     * empty; vbuf does not invent one.
     */
    RGBA64(null, null, 1, 1, 2, false, true,
            new String[] {"rgba64", "rgba64le"},
            plane("RGBA", 1, 1, 8)),

    /** 8-bit luma only. V4L2_PIX_FMT_GREY 'GREY'. */
    GRAY8("V4L2_PIX_FMT_GREY", "GREY", 1, 1, 1, false, false,
            new String[] {"gray8", "gray", "grey", "grey8", "y8", "y800"},
            plane("Y", 1, 1, 1)),

    /** 16-bit little-endian luma only. V4L2_PIX_FMT_Y16 'Y16 ' (the fourcc ends in a space). */
    GRAY16("V4L2_PIX_FMT_Y16", "Y16 ", 1, 1, 2, false, false,
            new String[] {"gray16", "gray16le", "grey16", "y16"},
            plane("Y", 1, 1, 2)),

    // Formats added after the first sixteen: a shared pool's header stores ordinal + 1, so new
    // formats only ever go at the end (include/vbuf_shm.h has the same table).

    /**
     * Three planes Y, U, V; U and V at half width and full height (planar 4:2:2), FFmpeg's
     * yuv422p. V4L2_PIX_FMT_YUV422P '422P'.
     */
    I422("V4L2_PIX_FMT_YUV422P", "422P", 2, 1, 1, true, false,
            new String[] {"i422", "yuv422p", "yuv422"},
            plane("Y", 1, 1, 1), plane("U", 2, 1, 1), plane("V", 2, 1, 1)),

    /**
     * Three planes Y, U, V at full resolution (planar 4:4:4), FFmpeg's yuv444p. V4L2 has it only
     * as a multi-planar format (V4L2_PIX_FMT_YUV444M, one buffer per plane), not in one buffer,
     * so {@link #v4l2Fourcc()} is empty.
     */
    I444(null, null, 1, 1, 1, true, false,
            new String[] {"i444", "yuv444p", "yuv444"},
            plane("Y", 1, 1, 1), plane("U", 1, 1, 1), plane("V", 1, 1, 1)),

    /**
     * 10-bit planar 4:2:0: three planes Y, U, V as {@link #I420} with 16-bit little-endian
     * samples holding the value in the <em>low</em> 10 bits (0..1023; unlike {@link #P010}),
     * FFmpeg's yuv420p10le. No V4L2 fourcc.
     */
    I010(null, null, 2, 2, 2, true, false,
            new String[] {"i010", "yuv420p10le", "yuv420p10"},
            plane("Y", 1, 1, 2), plane("U", 2, 2, 2), plane("V", 2, 2, 2)),

    /** 10-bit planar 4:2:2 (low 10 bits of 16-bit little-endian samples), FFmpeg's yuv422p10le. No V4L2 fourcc. */
    I210(null, null, 2, 1, 2, true, false,
            new String[] {"i210", "yuv422p10le", "yuv422p10"},
            plane("Y", 1, 1, 2), plane("U", 2, 1, 2), plane("V", 2, 1, 2)),

    /** 10-bit planar 4:4:4 (low 10 bits of 16-bit little-endian samples), FFmpeg's yuv444p10le. No V4L2 fourcc. */
    I410(null, null, 1, 1, 2, true, false,
            new String[] {"i410", "yuv444p10le", "yuv444p10"},
            plane("Y", 1, 1, 2), plane("U", 1, 1, 2), plane("V", 1, 1, 2));

    /** The geometry of one plane: row bytes = (width / hDiv) × unitBytes, rows = height / vDiv. */
    record PlaneSpec(String name, int hDiv, int vDiv, int unitBytes) {
    }

    private static PlaneSpec plane(String name, int hDiv, int vDiv, int unitBytes) {
        return new PlaneSpec(name, hDiv, vDiv, unitBytes);
    }

    private final String v4l2Macro;
    private final String fourccString;
    private final int fourcc;
    private final int hSub;
    private final int vSub;
    private final int bytesPerSample;
    private final boolean yuv;
    private final boolean alpha;
    private final List<String> aliases;
    private final PlaneSpec[] planes;

    PixelFormat(String v4l2Macro, String fourccString, int hSub, int vSub, int bytesPerSample,
                boolean yuv, boolean alpha, String[] aliases, PlaneSpec... planes) {
        this.v4l2Macro = v4l2Macro;
        this.fourccString = fourccString;
        this.fourcc = fourccString == null ? 0 : fourccOf(fourccString);
        this.hSub = hSub;
        this.vSub = vSub;
        this.bytesPerSample = bytesPerSample;
        this.yuv = yuv;
        this.alpha = alpha;
        this.aliases = List.of(aliases);
        this.planes = planes;
    }

    /**
     * Packs four ASCII characters the way V4L2's {@code v4l2_fourcc(a, b, c, d)} macro does:
     * {@code a | b << 8 | c << 16 | d << 24}.
     *
     * @param fourcc exactly four characters in the range 0x20..0x7e
     * @return the packed code
     * @throws IllegalArgumentException if the string is not four printable ASCII characters
     */
    public static int fourccOf(String fourcc) {
        if (fourcc == null || fourcc.length() != 4) {
            throw new IllegalArgumentException("A fourcc is exactly 4 characters, got "
                    + (fourcc == null ? "null" : "'" + fourcc + "' (" + fourcc.length() + " characters)")
                    + "; pad short codes with spaces, as in 'Y16 '");
        }
        int code = 0;
        for (int i = 0; i < 4; i++) {
            char c = fourcc.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                throw new IllegalArgumentException("A fourcc holds printable ASCII characters only; '"
                        + fourcc + "' has character U+" + String.format("%04X", (int) c) + " at index " + i);
            }
            code |= c << (8 * i);
        }
        return code;
    }

    /**
     * The four characters of a packed fourcc code, lowest byte first.
     *
     * @param code a code packed as by {@link #fourccOf(String)}
     * @return the 4-character string, with non-printable bytes shown as {@code '?'}
     */
    public static String fourccToString(int code) {
        char[] chars = new char[4];
        for (int i = 0; i < 4; i++) {
            int b = (code >>> (8 * i)) & 0xff;
            chars[i] = b >= 0x20 && b <= 0x7e ? (char) b : '?';
        }
        return new String(chars);
    }

    /**
     * The V4L2 fourcc ({@code V4L2_PIX_FMT_*} value) whose memory layout matches this format.
     *
     * @return the code, or an empty OptionalInt for formats V4L2 has no single-buffer code for
     *         ({@link #RGBA64}, {@link #I444}, {@link #I010}, {@link #I210}, {@link #I410}); vbuf
     *         never invents a code
     */
    public OptionalInt v4l2Fourcc() {
        return fourccString == null ? OptionalInt.empty() : OptionalInt.of(fourcc);
    }

    /**
     * The name of the V4L2 macro for {@link #v4l2Fourcc()}, e.g. {@code "V4L2_PIX_FMT_RGBA32"}.
     *
     * @return the macro name, empty when V4L2 has no code for this format
     */
    public Optional<String> v4l2MacroName() {
        return Optional.ofNullable(v4l2Macro);
    }

    /**
     * The fourcc as four characters, e.g. {@code "NV12"}, {@code "AB24"}, {@code "Y16 "}.
     *
     * @return the four characters, or {@code "none"} when V4L2 has no code for this format
     */
    public String fourccString() {
        return fourccString == null ? "none" : fourccString;
    }

    /** @return the number of planes: 1 for packed formats, 2 for NV12/NV21/NV16/P010, 3 for I420/YV12/I422/I444/I010/I210/I410 */
    public int planeCount() {
        return planes.length;
    }

    /**
     * The name of one plane, e.g. "Y", "UV", "U", "V", or the component order for packed formats.
     *
     * @param plane plane index, 0 ≤ plane &lt; {@link #planeCount()}
     * @return the plane's name
     * @throws IndexOutOfBoundsException for an index outside the planes
     */
    public String planeName(int plane) {
        return spec(plane).name();
    }

    /**
     * Horizontal chroma subsampling factor: 2 for 4:2:0 and 4:2:2 formats, 1 for formats with
     * full-resolution chroma or no chroma at all (RGB, gray).
     *
     * @return 1 or 2
     */
    public int horizontalSubsampling() {
        return hSub;
    }

    /**
     * Vertical chroma subsampling factor: 2 for 4:2:0 formats, 1 otherwise.
     *
     * @return 1 or 2
     */
    public int verticalSubsampling() {
        return vSub;
    }

    /** @return the bytes one sample (one component of one pixel) takes: 2 for P010, GRAY16, RGBA64, else 1 */
    public int bytesPerSample() {
        return bytesPerSample;
    }

    /**
     * Average storage per pixel over all planes, without stride padding: 12 for NV12, 16 for
     * YUYV, 24 for RGB24 and P010, 32 for RGBA, 64 for RGBA64.
     *
     * @return bits per pixel
     */
    public int bitsPerPixel() {
        int bits = 0;
        for (PlaneSpec p : planes) {
            bits += 8 * p.unitBytes() / (p.hDiv() * p.vDiv());
        }
        return bits;
    }

    /**
     * Significant bits per sample: 8 for one-byte samples, 10 for {@link #P010} and the planar
     * 10-bit formats, 16 for {@link #GRAY16} and {@link #RGBA64}.
     *
     * @return 8, 10 or 16
     */
    public int bitDepth() {
        if (bytesPerSample == 1) return 8;
        return switch (this) {
            case P010, I010, I210, I410 -> 10;
            default -> 16;
        };
    }

    /**
     * True when a sample of more than 8 but fewer than 16 bits sits in the high bits of its
     * 16-bit word (P010), false when it sits in the low bits (I010, I210, I410) or fills it.
     *
     * @return true only for {@link #P010}
     */
    public boolean msbAligned() {
        return this == P010;
    }

    /** @return true for the Y'CbCr formats, false for RGB and gray */
    public boolean isYuv() {
        return yuv;
    }

    /** @return true for formats with an alpha component (RGBA, BGRA, ARGB, RGBA64) */
    public boolean hasAlpha() {
        return alpha;
    }

    /**
     * The width must be a multiple of this for the layout to be exact (2 for chroma-subsampled
     * formats, else 1).
     *
     * @return 1 or 2
     */
    public int widthMultiple() {
        return hSub;
    }

    /**
     * The height must be a multiple of this for the layout to be exact (2 for 4:2:0, else 1).
     *
     * @return 1 or 2
     */
    public int heightMultiple() {
        return vSub;
    }

    /**
     * The names {@link #parse(String)} accepts for this format besides its fourcc, lower case,
     * the first being the canonical one.
     *
     * @return the aliases, unmodifiable
     */
    public List<String> aliases() {
        return aliases;
    }

    PlaneSpec spec(int plane) {
        if (plane < 0 || plane >= planes.length) {
            throw new IndexOutOfBoundsException("plane " + plane + " does not exist in " + name()
                    + ", which has " + planes.length + " plane(s) (0.." + (planes.length - 1) + ")");
        }
        return planes[plane];
    }

    /**
     * Finds the format for a V4L2 fourcc.
     *
     * @param fourcc a {@code V4L2_PIX_FMT_*} value
     * @return the matching format, empty if vbuf does not support that code
     */
    public static Optional<PixelFormat> fromV4l2Fourcc(int fourcc) {
        for (PixelFormat f : VALUES) {
            if (f.fourccString != null && f.fourcc == fourcc) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }

    private static final PixelFormat[] VALUES = values();

    /**
     * Parses a format name, an alias or a fourcc.
     *
     * <p>Names and aliases are matched ignoring case, surrounding spaces, '-' and '_':
     * {@code "nv12"}, {@code "I420"}, {@code "yuv420p"}, {@code "yv12"}, {@code "gray"},
     * {@code "y8"}, {@code "p010"}, {@code "rgba"}, {@code "yuy2"} ... (see {@link #aliases()}).
     * Otherwise a four-character V4L2 fourcc is accepted, exactly ({@code "AB24"}, {@code "YU12"},
     * {@code "Y16 "}) or, when that is unambiguous, ignoring case.
     *
     * @param text the name to parse
     * @return the format
     * @throws IllegalArgumentException naming the input and listing every accepted format, when
     *                                  the text matches no format
     */
    public static PixelFormat parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("Pixel format is missing (null). " + acceptedFormats());
        }
        String key = normalise(text);
        for (PixelFormat f : VALUES) {
            if (normalise(f.name()).equals(key)) {
                return f;
            }
            for (String alias : f.aliases) {
                if (normalise(alias).equals(key)) {
                    return f;
                }
            }
        }
        if (text.length() == 4) {
            for (PixelFormat f : VALUES) {
                if (text.equals(f.fourccString)) {
                    return f;
                }
            }
            PixelFormat found = null;
            int matches = 0;
            for (PixelFormat f : VALUES) {
                if (f.fourccString != null && text.equalsIgnoreCase(f.fourccString)) {
                    found = f;
                    matches++;
                }
            }
            if (matches == 1) {
                return found;
            }
        }
        throw new IllegalArgumentException("Unknown pixel format '" + text + "'. " + acceptedFormats());
    }

    private static String normalise(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '-' && c != '_' && !Character.isWhitespace(c)) {
                b.append(c);
            }
        }
        return b.toString().toLowerCase(Locale.ROOT);
    }

    /**
     * A one-line list of every accepted format with its aliases and fourcc, for error messages
     * and help text.
     *
     * @return e.g. "Accepted formats: NV12 (nv12; fourcc 'NV12'), ..."
     */
    public static String acceptedFormats() {
        List<String> parts = new ArrayList<>();
        for (PixelFormat f : VALUES) {
            List<String> names = new ArrayList<>(f.aliases);
            Collections.sort(names.subList(1, names.size()));
            parts.add(f.name() + " (" + String.join(", ", names) + "; fourcc "
                    + (f.fourccString == null ? "none" : "'" + f.fourccString + "'") + ")");
        }
        return "Accepted formats (names ignore case; a V4L2 fourcc also works): " + String.join(", ", parts) + ".";
    }
}
