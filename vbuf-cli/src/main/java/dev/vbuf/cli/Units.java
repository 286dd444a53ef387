package dev.vbuf.cli;

import java.util.Locale;

/** Number formatting shared by the commands. */
final class Units {
    private Units() {
    }

    /** Bytes in binary units: "12.4 MiB", "1.47 GiB", "512 B". */
    static String bytes(long n) {
        if (n >= 1L << 40) return String.format(Locale.ROOT, "%.2f TiB", n / (double) (1L << 40));
        if (n >= 1L << 30) return String.format(Locale.ROOT, "%.2f GiB", n / (double) (1L << 30));
        if (n >= 1L << 20) return String.format(Locale.ROOT, "%.1f MiB", n / (double) (1L << 20));
        if (n >= 1L << 10) return String.format(Locale.ROOT, "%.1f KiB", n / (double) (1L << 10));
        return n + " B";
    }

    /** A number with thousands separators: "49,766,400". */
    static String grouped(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    /** A decimal as typed: 60 for 60.0, 59.94 for 59.94. */
    static String plain(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }

    /** Nanoseconds as microseconds with one decimal. */
    static String micros(long nanos) {
        return String.format(Locale.ROOT, "%.1f", nanos / 1000.0);
    }
}
