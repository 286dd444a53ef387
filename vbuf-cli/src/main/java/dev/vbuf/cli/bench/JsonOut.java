package dev.vbuf.cli.bench;

/** A one-line JSON writer: objects, arrays of objects, strings, numbers, booleans, in order. */
final class JsonOut {
    private final StringBuilder out = new StringBuilder();
    private boolean comma;

    JsonOut begin() {
        sep();
        out.append('{');
        comma = false;
        return this;
    }

    JsonOut begin(String key) {
        key(key);
        out.append('{');
        comma = false;
        return this;
    }

    JsonOut end() {
        out.append('}');
        comma = true;
        return this;
    }

    JsonOut array(String key) {
        key(key);
        out.append('[');
        comma = false;
        return this;
    }

    JsonOut endArray() {
        out.append(']');
        comma = true;
        return this;
    }

    JsonOut put(String key, String v) {
        key(key);
        string(v);
        comma = true;
        return this;
    }

    JsonOut put(String key, long v) {
        key(key);
        out.append(v);
        comma = true;
        return this;
    }

    JsonOut put(String key, boolean v) {
        key(key);
        out.append(v);
        comma = true;
        return this;
    }

    /** A double rounded to {@code decimals} places; NaN and infinities become null. */
    JsonOut put(String key, double v, int decimals) {
        key(key);
        if (Double.isFinite(v)) out.append(java.math.BigDecimal.valueOf(v).setScale(decimals, java.math.RoundingMode.HALF_UP)
                .stripTrailingZeros().toPlainString());
        else out.append("null");
        comma = true;
        return this;
    }

    private void key(String k) {
        sep();
        string(k);
        out.append(':');
    }

    private void sep() {
        if (comma) out.append(',');
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
    public String toString() { return out.toString(); }
}
