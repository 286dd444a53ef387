package dev.vbuf.cli;

import dev.vbuf.pool.FramePool;
import dev.vbuf.pool.Overflow;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The pool a command builds: {@code --pool} (frames), {@code --policy}, {@code --wait}. */
final class PoolOptions {
    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--pool", paramLabel = "N",
            description = "Pool size in frames, 1..65536 (default: the sizer's plan, at least what the stream's readers need).")
    Integer frames;

    @Option(names = "--policy", converter = Converters.Policy.class, defaultValue = "block",
            description = "When no buffer is free: block (wait), fail (skip the frame), drop-oldest (take back the oldest"
                    + " frame nobody holds) or adaptive. Default: ${DEFAULT-VALUE}.")
    Overflow policy;

    @Option(names = "--wait", converter = Converters.WaitConverter.class, defaultValue = "park",
            description = "How waiting threads wait: spin, yield, park or futex (sleep in the kernel). Default: ${DEFAULT-VALUE}.")
    Converters.Wait wait;

    /** {@code --pool}, checked, or null when not given. */
    Integer frames() {
        if (frames != null) Flags.range(spec, "--pool", frames, 1, FramePool.MAX_BUFFERS);
        return frames;
    }

    /** The policy as the flag spells it. */
    String policyName() {
        return Converters.Policy.name(policy);
    }
}
