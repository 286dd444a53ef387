package dev.vbuf.net;

import dev.vbuf.format.PixelFormat;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Pixel formats on the wire: a format's V4L2 fourcc where it has one, else the fourcc of the
 * first four letters of its name (for RGBA64, "RGBA", which no V4L2 format uses). Codes are
 * stable across vbuf versions, unlike the enum's order. 0 means "no format".
 */
public final class WireFormat {
    private static final Map<Integer, PixelFormat> BY_CODE = new HashMap<>();
    private static final int[] CODES = new int[PixelFormat.values().length];

    static {
        for (PixelFormat f : PixelFormat.values()) {
            int code = f.v4l2Fourcc().orElseGet(() -> {
                String n = (f.name().toUpperCase(Locale.ROOT) + "    ").substring(0, 4);
                return PixelFormat.fourccOf(n);
            });
            PixelFormat clash = BY_CODE.put(code, f);
            if (clash != null) throw new ExceptionInInitializerError("pixel formats " + clash + " and " + f + " share the wire code "
                    + PixelFormat.fourccToString(code));
            CODES[f.ordinal()] = code;
        }
    }

    private WireFormat() {}

    /** The wire code of a format; 0 for null. */
    public static int code(PixelFormat f) { return f == null ? 0 : CODES[f.ordinal()]; }

    /** The format of a wire code, or null for 0 or a code no format has. */
    public static PixelFormat format(int code) { return BY_CODE.get(code); }
}
