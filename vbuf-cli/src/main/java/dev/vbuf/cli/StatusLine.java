package dev.vbuf.cli;

import java.io.PrintWriter;

/**
 * A status line that is redrawn in place on a terminal ({@code '\r'}, the text, then ANSI
 * erase-to-end-of-line) and printed as ordinary lines otherwise (a pipe, a file, a test).
 */
final class StatusLine {
    private static final String ERASE_TO_END = "\u001b[K";

    private final PrintWriter out;
    private final boolean inPlace;
    private boolean drawn;

    StatusLine(PrintWriter out, boolean inPlace) {
        this.out = out;
        this.inPlace = inPlace;
    }

    /** True when the standard streams are attached to a terminal. */
    static boolean isTerminal() {
        var console = System.console();
        return console != null && console.isTerminal();
    }

    void show(String text) {
        if (inPlace) {
            out.print('\r' + text + ERASE_TO_END);
            drawn = true;
        } else {
            out.println(text);
        }
        out.flush();
    }

    /** A line of its own (a warning, an event) between status updates; the status is redrawn by the next {@link #show}. */
    void note(String text) {
        finish();
        out.println(text);
        out.flush();
    }

    /** Ends an in-place line so that what follows starts on a fresh line. */
    void finish() {
        if (inPlace && drawn) {
            out.println();
            out.flush();
            drawn = false;
        }
    }
}
