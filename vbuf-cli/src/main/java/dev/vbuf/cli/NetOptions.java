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
        return link(0);
    }

    /**
     * As {@link #link()}, with an embedded driver that drops the fraction {@code loss} of the data
     * packets arriving (Aeron's debug receive endpoint); 0 for none.
     */
    NetLink link(double loss) {
        Flags.range(spec, "--stream", stream, 1, Integer.MAX_VALUE);
        if (loss != 0 && aeronDir != null) {
            throw Flags.bad(spec, "--simulate-loss needs this process's own media driver: leave --aeron-dir out"
                    + " (an external driver gets loss from its own aeron.debug.receive.data.loss.rate setting)");
        }
        try {
            return aeronDir != null ? NetLink.external(aeronDir) : NetLink.embedded(loss, 0);
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
