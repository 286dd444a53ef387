package dev.vbuf.monitor;

import java.util.Locale;

/** A small streaming JSON writer (objects, arrays, strings, numbers, booleans, null). */
final class JsonWriter {
    private final StringBuilder sb = new StringBuilder(1024);
    private boolean first = true;

    private void sep() {
        if (!first) sb.append(',');
        first = false;
    }

    private void key(String k) {
        sep();
        str(k);
        sb.append(':');
    }

    JsonWriter begin() { sep(); sb.append('{'); first = true; return this; }
    JsonWriter begin(String k) { key(k); sb.append('{'); first = true; return this; }
    JsonWriter end() { sb.append('}'); first = false; return this; }
    JsonWriter array(String k) { key(k); sb.append('['); first = true; return this; }
    JsonWriter array() { sep(); sb.append('['); first = true; return this; }
    JsonWriter endArray() { sb.append(']'); first = false; return this; }

    JsonWriter put(String k, String v) { key(k); if (v == null) sb.append("null"); else str(v); return this; }
    JsonWriter put(String k, long v) { key(k); sb.append(v); return this; }
    JsonWriter put(String k, boolean v) { key(k); sb.append(v); return this; }
    JsonWriter put(String k, double v) { key(k); num(v); return this; }
    JsonWriter value(long v) { sep(); sb.append(v); return this; }
    JsonWriter raw(String json) { sep(); sb.append(json); return this; }

    private void num(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) sb.append("null");
        else if (v == Math.rint(v) && Math.abs(v) < 1e15) sb.append((long) v);
        else sb.append(String.format(Locale.ROOT, "%.3f", v));
    }

    private void str(String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '<' -> sb.append("\\u003c"); // safe inside a page, too
                default -> {
                    if (c < 0x20) sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }

    @Override
    public String toString() { return sb.toString(); }
}
