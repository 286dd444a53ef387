package dev.vbuf.cli;

import dev.vbuf.net.NetLink;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The Aeron side of {@code vbuf send} and {@code vbuf receive}: {@code --stream}, {@code --aeron-dir}. */
final class NetOptions {
    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--stream", paramLabel = "ID", defaultValue = "1001",
            description = "Aeron stream id, 1..2147483647; sender and receiver must agree. Default: ${DEFAULT-VALUE}.")
    int stream;

    @Option(names = "--aeron-dir", paramLabel = "DIR",
            description = "Use the Aeron media driver running in DIR (a deployment's own) instead of one inside this process.")
    String aeronDir;

    /** Checks the flags and connects: to the driver of --aeron-dir, or to a new embedded one. */
    NetLink link() {
        Flags.range(spec, "--stream", stream, 1, Integer.MAX_VALUE);
        try {
            return aeronDir != null ? NetLink.external(aeronDir) : NetLink.embedded();
        } catch (IllegalArgumentException e) {
            throw Flags.bad(spec, e.getMessage());
        }
    }

    /** A channel flag, checked before the driver is started. */
    String channel(String flag, String channel) {
        try {
            return NetLink.checkChannel(channel, flag);
        } catch (IllegalArgumentException e) {
            throw Flags.bad(spec, e.getMessage());
        }
    }
}
