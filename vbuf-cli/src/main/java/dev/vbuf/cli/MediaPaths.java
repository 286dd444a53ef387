package dev.vbuf.cli;

import dev.vbuf.media.Media;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks {@code --input} and {@code --output} before anything runs: a file that is not there, a
 * directory that does not exist or cannot be written, a name no writer takes. Each failure is a
 * usage error (exit 2) that names the path and says what is accepted. Which names a reader or
 * writer takes is the providers' business ({@link Media}); this class checks what is generic to
 * every file: that it can be read, or created.
 */
final class MediaPaths {
    static final String INPUTS = "testsrc, a .y4m or raw (.yuv with --size/--format) file, a file FFmpeg reads"
            + " (.mkv, .mp4, .ts ...) or /dev/videoN";
    static final String OUTPUTS = "null, checksum, a .y4m or raw (.yuv) file, a file FFmpeg writes"
            + " (.mkv, .mp4, .nut, .mov ...) or /dev/fbN";

    private MediaPaths() {
    }

    static void checkInput(CommandSpec spec, String input) {
        if (input.equals("testsrc")) return;
        Path p = Path.of(input);
        if (Media.isVideoDevice(input)) {
            if (!Files.exists(p)) {
                throw Flags.bad(spec, "--input " + input + ": no such device ('vbuf devices' lists the V4L2 devices);"
                        + " accepted: " + INPUTS);
            }
            return;
        }
        if (!Files.exists(p)) {
            throw Flags.bad(spec, "--input " + input + ": no such file; accepted: " + INPUTS);
        }
        if (Files.isDirectory(p)) throw Flags.bad(spec, "--input " + input + " is a directory; accepted: " + INPUTS);
        if (!Files.isReadable(p)) throw Flags.bad(spec, "--input " + input + " is not readable by this user (check its permissions)");
    }

    static void checkOutput(CommandSpec spec, String output) {
        if (output.equals("null") || output.equals("checksum")) return;
        Path p = Path.of(output);
        if (Media.isFramebuffer(output)) {
            if (!Files.exists(p)) {
                throw Flags.bad(spec, "--output " + output + ": no such framebuffer ('vbuf devices' lists them); accepted: " + OUTPUTS);
            }
            return;
        }
        if (Files.isDirectory(p)) {
            throw Flags.bad(spec, "--output " + output + " is a directory; give a file name in it (e.g. " + p.resolve("out.y4m")
                    + "); accepted: " + OUTPUTS);
        }
        Path dir = p.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw Flags.bad(spec, "--output " + output + ": directory " + (dir == null ? "/" : dir) + " does not exist;"
                    + " create it or give a file in an existing directory");
        }
        if (!Files.isWritable(dir) || (Files.exists(p) && !Files.isWritable(p))) {
            throw Flags.bad(spec, "--output " + output + ": " + (Files.exists(p) ? "the file" : "directory " + dir)
                    + " is not writable by this user");
        }
    }

    /** Opens the input; a name no reader takes, or a part this build lacks, is a usage error. */
    static dev.vbuf.media.Source openSource(CommandSpec spec, String input, dev.vbuf.media.SourceOptions o)
            throws java.io.IOException {
        try {
            return Media.openSource(input, o);
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            throw Flags.bad(spec, "--input " + input + ": " + Main.describe(e));
        }
    }

    /** Makes the output's sink (it opens the file later, before the first frame). */
    static dev.vbuf.media.Sink openSink(CommandSpec spec, String output, dev.vbuf.media.MediaCounters c)
            throws java.io.IOException {
        try {
            return Media.openSink(output, c);
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            throw Flags.bad(spec, "--output " + output + ": " + Main.describe(e));
        } catch (java.io.IOException e) { // a writer that checks the name when it is made (no frame yet)
            throw cannotOpen(spec, output, e);
        }
    }

    /** A sink that failed to open its output before the first frame: a usage error naming the output. */
    static ParameterException cannotOpen(CommandSpec spec, String output, Throwable why) {
        String reason = why instanceof NullPointerException || why == null
                ? "no writer in this build could open it"
                : Main.describe(why);
        if (reason.startsWith(output + ": ")) reason = reason.substring(output.length() + 2); // said once, in front
        return Flags.bad(spec, "--output " + output + " cannot be written: " + reason + "; accepted: " + OUTPUTS);
    }
}
