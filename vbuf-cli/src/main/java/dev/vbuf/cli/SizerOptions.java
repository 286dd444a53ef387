package dev.vbuf.cli;

import dev.vbuf.sizing.PoolSizer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.time.Duration;

/** The sizer's inputs ({@code docs/SIZING.md}): {@code --latency}, {@code --transfer}, {@code --decode}. */
final class SizerOptions {
    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--latency", defaultValue = "16ms",
            description = "Longest time a submitted frame is held downstream, greater than 0 and at most 60s. Default: ${DEFAULT-VALUE}.")
    String latency;

    @Option(names = "--transfer", defaultValue = "2ms", description = "Bus transfer time per frame, 0..60s. Default: ${DEFAULT-VALUE}.")
    String transfer;

    @Option(names = "--decode", defaultValue = "3ms", description = "Decoder latency per frame, 0..60s. Default: ${DEFAULT-VALUE}.")
    String decode;

    Duration latency() {
        return Flags.duration(spec, "--latency", latency, Duration.ZERO, true, PoolSizer.MAX_LATENCY);
    }

    Duration transfer() {
        return Flags.duration(spec, "--transfer", transfer, Duration.ZERO, false, PoolSizer.MAX_LATENCY);
    }

    Duration decode() {
        return Flags.duration(spec, "--decode", decode, Duration.ZERO, false, PoolSizer.MAX_LATENCY);
    }
}
