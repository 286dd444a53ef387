package dev.vbuf.net;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Counters written by one thread (a sender's or a receiver's) and read by any: one
 * {@code long} per constant of {@code E}, stored with release and read with acquire, so a
 * reader sees each counter's latest value (counters read one after the other are not one
 * snapshot). Writing allocates nothing.
 *
 * @param <E> the counter names
 */
public final class Counters<E extends Enum<E>> {
    private final E[] names;
    private final AtomicLongArray values;

    Counters(Class<E> type) {
        this.names = type.getEnumConstants();
        this.values = new AtomicLongArray(names.length);
    }

    /** Adds one (writer thread only). */
    void inc(E c) { values.setRelease(c.ordinal(), values.getPlain(c.ordinal()) + 1); }

    /** Adds {@code n} (writer thread only). */
    void add(E c, long n) { values.setRelease(c.ordinal(), values.getPlain(c.ordinal()) + n); }

    /** The counter's value now. */
    public long get(E c) { return values.getAcquire(c.ordinal()); }

    /** Every counter by its name in camel case ({@code LOST_TIMEOUT} is {@code lostTimeout}), in declaration order. */
    public Map<String, Long> toMap() {
        var m = new LinkedHashMap<String, Long>();
        for (E e : names) m.put(camel(e.name()), get(e));
        return m;
    }

    static String camel(String name) {
        var sb = new StringBuilder();
        boolean up = false;
        for (char c : name.toLowerCase(Locale.ROOT).toCharArray()) {
            if (c == '_') { up = true; continue; }
            sb.append(up ? Character.toUpperCase(c) : c);
            up = false;
        }
        return sb.toString();
    }

    @Override
    public String toString() { return toMap().toString(); }
}
