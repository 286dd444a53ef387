package dev.vbuf.sizing;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Short duration strings as typed on a command line: {@code 16ms}, {@code 2.5ms}, {@code 1s},
 * {@code 500us}, {@code 250ns}; and exact conversions used by {@link PoolSizer}.
 */
public final class Durations {

    private static final Pattern FORM = Pattern.compile("([0-9]+(?:\\.[0-9]+)?|\\.[0-9]+)\\s*(ns|us|µs|ms|s)");
    private static final String EXPECTED = "expected a non-negative number followed by a unit ns, us (or µs), ms or s,"
            + " e.g. 16ms, 2.5ms, 1s, 500us, 250ns";

    private Durations() {
    }

    /**
     * Parses a duration such as {@code "16ms"}, {@code "2.5ms"}, {@code "1s"}, {@code "500us"},
     * {@code "250ns"}. A space between number and unit and surrounding spaces are allowed; the
     * unit is case-insensitive. The value must be a whole number of nanoseconds.
     *
     * @param text the text to parse
     * @return the duration, never negative
     * @throws IllegalArgumentException naming the input and the expected form if it cannot be parsed,
     *                                  is negative, is finer than 1 ns or is too long for a Duration
     */
    public static Duration parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("Duration is missing (null): " + EXPECTED);
        }
        String t = text.strip().toLowerCase(Locale.ROOT);
        if (t.startsWith("-")) {
            throw new IllegalArgumentException("Duration '" + text + "' is negative; latencies are ≥ 0: " + EXPECTED);
        }
        Matcher m = FORM.matcher(t);
        if (!m.matches()) {
            throw new IllegalArgumentException("Cannot parse duration '" + text + "': " + EXPECTED);
        }
        BigDecimal number = new BigDecimal(m.group(1));
        long unitNanos = switch (m.group(2)) {
            case "ns" -> 1L;
            case "us", "µs" -> 1_000L;
            case "ms" -> 1_000_000L;
            default -> 1_000_000_000L;
        };
        BigDecimal nanos = number.multiply(BigDecimal.valueOf(unitNanos));
        BigInteger whole;
        try {
            whole = nanos.toBigIntegerExact();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("Duration '" + text + "' is " + nanos.stripTrailingZeros().toPlainString()
                    + " ns, which is not a whole number of nanoseconds; give at most "
                    + "9 decimals of s, 6 of ms, 3 of us and none of ns");
        }
        if (whole.bitLength() > 63) {
            throw new IllegalArgumentException("Duration '" + text + "' is too long: at most " + Long.MAX_VALUE + " ns");
        }
        return Duration.ofNanos(whole.longValueExact());
    }

    /**
     * The exact length of a duration in seconds.
     *
     * @param d a duration
     * @return seconds, exact to the nanosecond (e.g. 0.016 for 16 ms)
     */
    public static BigDecimal seconds(Duration d) {
        return new BigDecimal(d.getSeconds()).add(BigDecimal.valueOf(d.getNano(), 9)).stripTrailingZeros();
    }

    /**
     * Formats a duration in the largest unit in which it is at least 1, exactly, e.g.
     * {@code "16 ms"}, {@code "2.5 ms"}, {@code "1 s"}, {@code "500 us"}, {@code "250 ns"},
     * {@code "0 ms"}. The result parses back with {@link #parse(String)}.
     *
     * @param d a duration
     * @return the text
     */
    public static String format(Duration d) {
        BigDecimal s = seconds(d);
        if (s.signum() == 0) {
            return "0 ms";
        }
        BigDecimal abs = s.abs();
        String unit;
        BigDecimal value;
        if (abs.compareTo(BigDecimal.ONE) >= 0) {
            unit = "s";
            value = s;
        } else if (abs.compareTo(new BigDecimal("0.001")) >= 0) {
            unit = "ms";
            value = s.movePointRight(3);
        } else if (abs.compareTo(new BigDecimal("0.000001")) >= 0) {
            unit = "us";
            value = s.movePointRight(6);
        } else {
            unit = "ns";
            value = s.movePointRight(9);
        }
        return value.stripTrailingZeros().toPlainString() + " " + unit;
    }
}
