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
                + " transports (bench).",
        subcommands = {PlanCommand.class, RunCommand.class, ProbeCommand.class, ConsumeCommand.class, InspectCommand.class,
                ShmCommand.class, InfoCommand.class, CaptureCommand.class, DisplayCommand.class, DevicesCommand.class,
                dev.vbuf.cli.bench.BenchCommand.class, CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success", "1:the run failed (verification, accounting or a runtime error)",
                "2:bad usage (unknown flag, value out of range)"})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line: tests call {@code commandLine().setOut(..).setErr(..).execute(..)}. */
    public static CommandLine commandLine() {
        return new CommandLine(new Main())
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setParameterExceptionHandler(Main::onBadUsage)
                .setExecutionExceptionHandler(Main::onError);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "give a command: plan, run, consume, inspect, shm, info or bench (vbuf --help)");
    }

    /** Bad usage: the message, suggestions for a mistyped flag, where to find help; exit 2. */
    private static int onBadUsage(CommandLine.ParameterException e, String[] args) {
        CommandLine cl = e.getCommandLine();
        PrintWriter err = cl.getErr();
        err.println(cl.getColorScheme().errorText(e.getMessage()));
        CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
        err.println("Try '" + cl.getCommandSpec().qualifiedName() + " --help' for the flags and their ranges.");
        err.flush();
        return cl.getCommandSpec().exitCodeOnInvalidInput();
    }

    /** A runtime failure: one line naming it on stderr (the stack trace with -Dvbuf.trace=true), exit 1. */
    private static int onError(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        PrintWriter err = cl.getErr();
        err.println("vbuf " + cl.getCommandName() + ": " + e.getClass().getSimpleName() + ": " + e.getMessage());
        if (Boolean.getBoolean("vbuf.trace")) e.printStackTrace(err);
        err.flush();
        return 1;
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
