package dev.vbuf.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs {@code vbuf} in-process and captures what it prints. */
record Cli(int exit, String out, String err) {
    static Cli run(String... args) {
        var out = new StringWriter();
        var err = new StringWriter();
        int exit = Main.commandLine().setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true)).execute(args);
        return new Cli(exit, out.toString(), err.toString());
    }

    /** A number field of a JSON object: the first {@code "key":number} after {@code scope} (or from the start). */
    long number(String scope, String key) {
        int from = scope == null ? 0 : out.indexOf("\"" + scope + "\":{");
        if (from < 0) throw new AssertionError("no object \"" + scope + "\" in " + out);
        Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\":(-?[0-9]+)(?:\\.[0-9]+)?").matcher(out);
        if (!m.find(from)) throw new AssertionError("no number \"" + key + "\" after \"" + scope + "\" in " + out);
        return Long.parseLong(m.group(1));
    }

    long number(String key) {
        return number(null, key);
    }

    @Override
    public String toString() {
        return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
}
