package dev.vbuf.cli;

import dev.vbuf.sizing.Durations;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

import java.time.Duration;

/**
 * Validation of flag values. Every failure is a picocli {@link ParameterException} (exit code 2)
 * whose message names the flag, the value given and what is accepted.
 */
final class Flags {
    private Flags() {
    }

    static ParameterException bad(CommandSpec spec, String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    static long range(CommandSpec spec, String flag, long value, long min, long max) {
        if (value < min || value > max) throw bad(spec, flag + " " + value + " is outside " + min + ".." + max);
        return value;
    }

    static double fps(CommandSpec spec, double value, boolean zeroAllowed, double max, String zeroMeaning) {
        boolean ok = zeroAllowed ? value >= 0 : value > 0;
        if (!ok || value > max || Double.isNaN(value)) {
            throw bad(spec, "--fps " + Units.plain(value) + " is outside " + (zeroAllowed ? "0" : "(0")
                    + ".." + Units.plain(max) + (zeroAllowed ? " (" + zeroMeaning + ")" : " (greater than 0)"));
        }
        return value;
    }

    /** A duration flag; {@code min} is exclusive when {@code minExclusive}. */
    static Duration duration(CommandSpec spec, String flag, String text, Duration min, boolean minExclusive, Duration max) {
        Duration d;
        try {
            d = Durations.parse(text);
        } catch (IllegalArgumentException e) {
            throw bad(spec, flag + " " + text + " is not a duration: " + e.getMessage());
        }
        boolean low = minExclusive ? d.compareTo(min) <= 0 : d.compareTo(min) < 0;
        if (low || d.compareTo(max) > 0) {
            String lo = Durations.format(min), hi = Durations.format(max);
            throw bad(spec, flag + " " + text + " is outside " + (minExclusive ? "(" + lo + ", " + hi + "]" : lo + ".." + hi)
                    + "; give a duration " + (minExclusive ? "greater than " : "of at least ") + lo + " and at most " + hi
                    + " (e.g. 500ms, 10s)");
        }
        return d;
    }
}
