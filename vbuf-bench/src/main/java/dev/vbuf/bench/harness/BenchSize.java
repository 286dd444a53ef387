package dev.vbuf.bench.harness;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A frame size and format of {@code vbuf bench}: a preset (1080p, 4k, 8k, 8k-rgba) or WxH[:format]. */
public record BenchSize(String label, int width, int height, PixelFormat format, long payloadBytes) {
    private static final Pattern WXH = Pattern.compile("(\\d{1,5})x(\\d{1,5})(?::([a-z0-9]+))?");

    /** A preset name or WxH[:format]; an error names the input and the accepted forms. */
    public static BenchSize parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        return switch (t) {
            case "1080p" -> of("1080p NV12", 1920, 1080, PixelFormat.NV12);
            case "4k" -> of("4K NV12", 3840, 2160, PixelFormat.NV12);
            case "8k" -> of("8K NV12", 7680, 4320, PixelFormat.NV12);
            case "8k-rgba" -> of("8K RGBA", 7680, 4320, PixelFormat.RGBA);
            default -> {
                Matcher m = WXH.matcher(t);
                if (!m.matches()) {
                    throw new IllegalArgumentException("size '" + text + "' is not 1080p, 4k, 8k, 8k-rgba or WxH[:format]"
                            + " (e.g. 640x480 or 1280x720:rgba)");
                }
                int w = Integer.parseInt(m.group(1));
                int h = Integer.parseInt(m.group(2));
                if (w < 16 || h < 16 || w > FrameLayout.MAX_DIMENSION || h > FrameLayout.MAX_DIMENSION) {
                    throw new IllegalArgumentException("size '" + text + "': width and height must be 16.."
                            + FrameLayout.MAX_DIMENSION);
                }
                PixelFormat f = m.group(3) == null ? PixelFormat.NV12 : PixelFormat.parse(m.group(3));
                yield of(w + "x" + h + " " + f.name(), w, h, f);
            }
        };
    }

    private static BenchSize of(String label, int w, int h, PixelFormat f) {
        return new BenchSize(label, w, h, f, FrameLayout.of(f, w, h).frameBytes());
    }
}
