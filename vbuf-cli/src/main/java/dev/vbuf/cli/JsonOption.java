package dev.vbuf.cli;

import picocli.CommandLine.Option;

/** {@code --json}: the result as one JSON object on stdout; progress lines go to stderr. */
final class JsonOption {
    @Option(names = "--json", description = "Print the result as one JSON object on stdout (status lines go to stderr).")
    boolean json;
}
