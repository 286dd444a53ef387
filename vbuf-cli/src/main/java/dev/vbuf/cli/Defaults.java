package dev.vbuf.cli;

import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.util.Map;

/**
 * Per-command defaults of the shared options ({@link FrameOptions}, {@link PoolOptions}): one
 * table instead of one copy of each option per command. A default not listed here is the
 * option's own ({@code defaultValue}) or none.
 */
final class Defaults implements IDefaultValueProvider {
    private static final Map<String, String> TABLE = Map.ofEntries(
            Map.entry("run --size", "3840x2160"), Map.entry("run --format", "nv12"), Map.entry("run --fps", "60"),
            Map.entry("plan --size", "3840x2160"), Map.entry("plan --format", "nv12"), Map.entry("plan --fps", "60"),
            Map.entry("consume --wait", "futex"));

    @Override
    public String defaultValue(ArgSpec arg) {
        if (!(arg instanceof OptionSpec o) || arg.command() == null) return null;
        return TABLE.get(arg.command().name() + " " + o.longestName());
    }
}
