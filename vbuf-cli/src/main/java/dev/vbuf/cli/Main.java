package dev.vbuf.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/**
 * The {@code vbuf} command. Exit codes: 0 success, 1 the run failed (a frame failed
 * verification, a group's frames do not add up, or a runtime error such as out of memory),
 * 2 bad usage (an unknown flag or a flag value out of range).
 */
@Command(name = "vbuf",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Video frame buffer pools: plan a pool's size, run a stream (synthetic, files, capture devices) through"
                + " one, share it with other processes (consume, inspect, shm), probe a video file, describe the machine's"
                + " memory (info), capture and display on devices (devices, capture, display), compare vbuf with other"
                + " transports (bench), send frames to pools on other machines and receive them (send, receive), watch every"
                + " pool live (top, serve).",
        subcommands = {PlanCommand.class, RunCommand.class, ProbeCommand.class, ConsumeCommand.class, InspectCommand.class,
                ShmCommand.class, InfoCommand.class, CaptureCommand.class, DisplayCommand.class, DevicesCommand.class,
                dev.vbuf.cli.bench.BenchCommand.class, SendCommand.class, ReceiveCommand.class, TopCommand.class,
                ServeCommand.class, RecordCommand.class, ReplayCommand.class, CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success", "1:the run failed (verification, accounting or a runtime error)",
                "2:bad usage (unknown flag, value out of range)"})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        // Private pools the commands build publish their statistics for 'vbuf top' and 'vbuf serve'
        // (-Dvbuf.publishStats=false turns it off).
        if (System.getProperty(dev.vbuf.pool.PoolBuilder.PUBLISH_STATS_PROPERTY) == null) {
            System.setProperty(dev.vbuf.pool.PoolBuilder.PUBLISH_STATS_PROPERTY, "true");
        }
        System.exit(commandLine().execute(args));
    }

    /** The configured command line: tests call {@code commandLine().setOut(..).setErr(..).execute(..)}. */
    public static CommandLine commandLine() {
        return new CommandLine(new Main())
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setDefaultValueProvider(new Defaults())
                .setParameterExceptionHandler(Main::onBadUsage)
                .setExecutionExceptionHandler(Main::onError);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "give a command: plan, run, probe, consume, inspect, shm, info, devices, capture, display, bench, send, receive, top or serve (vbuf --help)");
    }

    /** Bad usage: the message, suggestions for a mistyped flag, where to find help; exit 2. */
    private static int onBadUsage(CommandLine.ParameterException e, String[] args) {
        CommandLine cl = e.getCommandLine();
        PrintWriter err = cl.getErr();
        err.println(cl.getColorScheme().errorText(usageMessage(e.getMessage())));
        CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
        err.println("Try '" + cl.getCommandSpec().qualifiedName() + " --help' for the flags and their ranges.");
        err.flush();
        return cl.getCommandSpec().exitCodeOnInvalidInput();
    }

    private static final java.util.regex.Pattern PICOCLI_PREFIX =
            java.util.regex.Pattern.compile("^Invalid value for option '(--[a-z-]+)': (\\1 .*|\\1: .*)$", java.util.regex.Pattern.DOTALL);

    /** picocli puts "Invalid value for option '--x': " before a converter's message, which already names the flag. */
    static String usageMessage(String m) {
        if (m == null) return "bad usage";
        var matcher = PICOCLI_PREFIX.matcher(m);
        return matcher.matches() ? matcher.group(2) : m;
    }

    /** A runtime failure: one line naming it on stderr (the stack trace with -Dvbuf.trace=true), exit 1. */
    private static int onError(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        PrintWriter err = cl.getErr();
        err.println("vbuf " + cl.getCommandName() + ": " + describe(e));
        if (Boolean.getBoolean("vbuf.trace")) e.printStackTrace(err);
        err.flush();
        return 1;
    }

    /**
     * What went wrong, for a person: the exception's message (the cause's when it has none);
     * a class name only when there is no message at all (a bug: run with -Dvbuf.trace=true).
     */
    static String describe(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            String m = c.getMessage();
            if (m != null && !m.isBlank()) return m;
        }
        return "unexpected " + t.getClass().getSimpleName() + " with no message (run with -Dvbuf.trace=true for the stack trace)";
    }

    /** Version of the jar (from its manifest) and of the Java runtime. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"vbuf " + (v != null ? v : "(development build)"),
                    "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")"};
        }
    }
}
