package dev.vbuf.bench.harness;

/**
 * A minimal JSON writer for every {@code --json} output of the vbuf commands (the benchmark
 * harness and the CLI, which sits above it): objects, strings, numbers and booleans, written in
 * order, on one line; keys and string values escaped per RFC 8259.
 */
public final class Json {
    private final StringBuilder out = new StringBuilder();
    private boolean needComma;

    public Json begin() {
        comma();
        out.append('{');
        needComma = false;
        return this;
    }

    public Json begin(String key) {
        key(key);
        out.append('{');
        needComma = false;
        return this;
    }

    public Json end() {
        out.append('}');
        needComma = true;
        return this;
    }

    public Json put(String key, String value) {
        key(key);
        if (value == null) out.append("null");
        else string(value);
        needComma = true;
        return this;
    }

    public Json put(String key, long value) {
        key(key);
        out.append(value);
        needComma = true;
        return this;
    }

    /** A finite double as a JSON number (NaN and infinities become null). */
    public Json put(String key, double value) {
        key(key);
        if (Double.isFinite(value)) {
            out.append(value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value)
                    : Double.toString(value));
        } else {
            out.append("null");
        }
        needComma = true;
        return this;
    }

    /** A double rounded to {@code decimals} places, in plain notation; NaN and infinities become null. */
    public Json put(String key, double value, int decimals) {
        key(key);
        if (Double.isFinite(value)) {
            out.append(java.math.BigDecimal.valueOf(value).setScale(decimals, java.math.RoundingMode.HALF_UP)
                    .stripTrailingZeros().toPlainString());
        } else {
            out.append("null");
        }
        needComma = true;
        return this;
    }

    /** Starts an array of objects under {@code key}; each element is a {@link #begin()} ... {@link #end()}. */
    public Json array(String key) {
        key(key);
        out.append('[');
        needComma = false;
        return this;
    }

    public Json endArray() {
        out.append(']');
        needComma = true;
        return this;
    }

    public Json put(String key, boolean value) {
        key(key);
        out.append(value);
        needComma = true;
        return this;
    }

    private void key(String key) {
        comma();
        string(key);
        out.append(':');
    }

    private void comma() {
        if (needComma) out.append(',');
    }

    private void string(String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
                    else out.append(c);
                }
            }
        }
        out.append('"');
    }

    @Override
    public String toString() {
        return out.toString();
    }
}
