package dev.vbuf.cli;

import dev.vbuf.format.FrameLayout;
import picocli.CommandLine;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses {@code --size WxH} ({@code 3840x2160}, also {@code 3840X2160}; aliases 720p, 1080p,
 * 4k, 8k). Each dimension must be 1..{@value FrameLayout#MAX_DIMENSION}; whether the size fits
 * the pixel format (even width for 4:2:0) is checked by the command, which knows the format.
 */
public class SizeConverter implements CommandLine.ITypeConverter<FrameSize> {
    /** The flag named in errors. */
    String flag() { return "--size"; }

    /** The same values for {@code vbuf consume --create}, whose errors name that flag. */
    public static final class Create extends SizeConverter {
        @Override String flag() { return "--create"; }
    }

    private static final Pattern FORM = Pattern.compile("\\s*(\\d{1,9})\\s*[xX]\\s*(\\d{1,9})\\s*");

    @Override
    public FrameSize convert(String text) {
        String alias = switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "720p" -> "1280x720";
            case "1080p" -> "1920x1080";
            case "4k", "2160p" -> "3840x2160";
            case "8k", "4320p" -> "7680x4320";
            default -> text;
        };
        Matcher m = FORM.matcher(alias);
        if (!m.matches()) {
            throw new CommandLine.TypeConversionException(flag() + " " + text
                    + " is not WIDTHxHEIGHT (e.g. 3840x2160, or 720p, 1080p, 4k, 8k)");
        }
        int w = Integer.parseInt(m.group(1));
        int h = Integer.parseInt(m.group(2));
        check(text, "width", w);
        check(text, "height", h);
        return new FrameSize(w, h);
    }

    private void check(String text, String what, int value) {
        if (value < FrameLayout.MIN_DIMENSION || value > FrameLayout.MAX_DIMENSION) {
            throw new CommandLine.TypeConversionException(flag() + " " + text + ": " + what + " " + value + " is outside "
                    + FrameLayout.MIN_DIMENSION + ".." + FrameLayout.MAX_DIMENSION + " pixels");
        }
    }
}
