package dev.vbuf.monitor;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The text screen of {@code vbuf top}: one line per pool (like {@code pw-top}: state, name,
 * kind, buffers, bytes, fps in and out, HOT/WARM/COLD, the largest group lag, drops by cause,
 * producer waits, processes), and for an expanded pool its groups (lag, fps, drops, held, the
 * oldest frame held, sampled latency p50/p99), its processes (pid, role, frames) and its slot
 * grid. Holds the interactive state: sort column and order, the selected pool, the expanded ones.
 */
public final class TopView {
    /** The columns pools can be sorted by. */
    public enum Sort {
        NAME(Comparator.comparing(PoolView::id)),
        FPS(Comparator.comparingDouble(PoolView::fpsIn)),
        DROPS(Comparator.comparingLong(PoolView::drops)),
        LAG(Comparator.comparingLong(PoolView::maxLag)),
        BYTES(Comparator.comparingLong(PoolView::bytes));

        final Comparator<PoolView> order;

        Sort(Comparator<PoolView> order) { this.order = order; }
    }

    private Sort sort = Sort.NAME;
    private boolean reverse;
    private int selected;
    private final Set<String> expanded = new HashSet<>();
    private List<PoolView> shown = List.of();

    public Sort sort() { return sort; }
    public void sort(Sort s) { this.sort = s; }
    /** Next sort column (key 's'). */
    public void nextSort() { sort = Sort.values()[(sort.ordinal() + 1) % Sort.values().length]; }
    /** Reverses the order (key 'r'). */
    public void reverse() { reverse = !reverse; }
    public void up() { selected = Math.max(0, selected - 1); }
    public void down() { selected = Math.min(Math.max(0, shown.size() - 1), selected + 1); }
    /** Expands or collapses the selected pool (Enter, 'e'). */
    public void toggle() {
        if (selected < shown.size()) {
            String id = shown.get(selected).id();
            if (!expanded.remove(id)) expanded.add(id);
        }
    }
    /** Expands every pool ('a'), or collapses all when all are expanded. */
    public void toggleAll() {
        if (expanded.size() >= shown.size()) expanded.clear();
        else for (PoolView v : shown) expanded.add(v.id());
    }
    public void expandAll(boolean on) {
        expanded.clear();
        if (on) for (PoolView v : shown) expanded.add(v.id());
    }

    /** Sorts {@code pools} as the view shows them. */
    public List<PoolView> order(List<PoolView> pools) {
        Comparator<PoolView> c = sort.order.thenComparing(PoolView::id);
        if (reverse ^ (sort != Sort.NAME)) c = c.reversed(); // numbers: largest first
        var l = new ArrayList<>(pools);
        l.sort(c);
        return l;
    }

    /** The screen for {@code pools}, at most {@code width} columns (0: no limit); {@code interactive} adds the selection marker. */
    public String render(List<PoolView> pools, Map<String, String> problems, int width, boolean interactive, boolean expandAll) {
        shown = order(pools);
        if (selected >= shown.size()) selected = Math.max(0, shown.size() - 1);
        var b = new StringBuilder();
        long live = shown.stream().filter(v -> !v.stale()).count();
        line(b, width, String.format(Locale.ROOT, "vbuf top: %d pools (%d live, %d stale), sorted by %s%s%s",
                shown.size(), live, shown.size() - live, sort.name().toLowerCase(Locale.ROOT), reverse ? " (reversed)" : "",
                interactive ? "   keys: up/down select, enter expand, a all, s sort, r reverse, q quit" : ""));
        line(b, width, "HOT = being filled or read, WARM = queued, COLD = free; drops: ovf = taken back by the overflow policy,"
                + " full = queue full, crash = holder died");
        line(b, width, String.format(Locale.ROOT, "  %-5s %-28s %-7s %5s %9s %7s %7s %4s %4s %4s %6s %8s %5s %5s %7s %5s",
                "STATE", "POOL", "KIND", "BUFS", "BYTES", "IN/s", "OUT/s", "HOT", "WARM", "COLD", "LAG", "DROPS", "OVF", "FULL",
                "WAITS", "PROCS"));
        for (int i = 0; i < shown.size(); i++) {
            PoolView v = shown.get(i);
            String mark = interactive && i == selected ? ">" : " ";
            long full = 0;
            for (PoolView.GroupView g : v.groups()) full += g.queueFull();
            long alive = v.processes().stream().filter(PoolView.ProcessView::alive).count();
            line(b, width, String.format(Locale.ROOT, "%s %-5s %-28s %-7s %5d %9s %7.1f %7.1f %4d %4d %4d %6d %8d %5d %5d %7d %5s",
                    mark, v.stale() ? "STALE" : v.endOfStream() ? "EOS" : "live", cut(v.id(), 28), v.kind(), v.buffers(),
                    bytes(v.bytes()), v.fpsIn(), v.fpsOut(), v.hot(), v.warm(), v.cold(), v.maxLag(), v.drops(), v.reclaims(), full,
                    v.acquireWaits(), alive + "/" + v.processes().size()));
            if (!(expandAll || expanded.contains(v.id()))) continue;
            if (v.stale()) line(b, width, "      stale: " + v.staleReason());
            line(b, width, "      " + (v.layout() == null ? "no layout" : v.layout()) + ", " + v.backing()
                    + ", file " + v.file());
            line(b, width, String.format(Locale.ROOT, "      %-16s %6s %7s %9s %8s %5s %5s %5s %9s %8s %8s", "GROUP", "LAG", "FPS",
                    "TAKEN", "DROPS", "FULL", "CRASH", "HELD", "OLDEST ms", "P50 ms", "P99 ms"));
            for (PoolView.GroupView g : v.groups()) {
                line(b, width, String.format(Locale.ROOT, "      %-16s %6d %7.1f %9d %8d %5d %5d %5d %9s %8s %8s", cut(g.name(), 16),
                        g.lag(), g.fps(), g.taken(), g.dropped(), g.queueFull(), g.lostToCrash(), g.held(),
                        ms(g.oldestHeldMs()), ms(g.latencyP50Ms()), ms(g.latencyP99Ms())));
            }
            line(b, width, String.format(Locale.ROOT, "      %-8s %-9s %-6s %6s %7s %7s", "PID", "ROLE", "ALIVE", "FRAMES", "FILLING",
                    "HOLDING"));
            for (PoolView.ProcessView p : v.processes()) {
                line(b, width, String.format(Locale.ROOT, "      %-8d %-9s %-6s %6d %7d %7d", p.pid(), p.role(), p.alive() ? "yes" : "NO",
                        p.frames(), p.filling(), p.holding()));
            }
            line(b, width, "      slots: " + grid(v) + "   (P filling, C read, Q queued, D kept by the decoder, . free, R retired)");
        }
        if (shown.isEmpty()) line(b, width, "  (no pools: no shared pool or private pool statistics file in /dev/shm)");
        for (var e : problems.entrySet()) line(b, width, "  not read: " + e.getKey() + ": " + e.getValue());
        return b.toString();
    }

    static String grid(PoolView v) {
        var sb = new StringBuilder(v.slots().size());
        for (PoolView.SlotView s : v.slots()) {
            sb.append(switch (s.state()) {
                case IDLE -> '.';
                case LOCKED_BY_PRODUCER -> 'P';
                case READY_FOR_CONSUME -> 'Q';
                case LOCKED_BY_CONSUMER -> 'C';
                case RETIRED -> 'R';
                case HELD_BY_DECODER -> 'D';
            });
        }
        return sb.toString();
    }

    private static void line(StringBuilder b, int width, String s) {
        b.append(width > 0 && s.length() > width ? s.substring(0, width) : s).append('\n');
    }

    private static String cut(String s, int n) { return s.length() <= n ? s : s.substring(0, n - 1) + "~"; }

    private static String ms(double v) { return v < 0 ? "-" : String.format(Locale.ROOT, "%.1f", v); }

    static String bytes(long b) {
        if (b >= 1L << 30) return String.format(Locale.ROOT, "%.1fG", b / (double) (1L << 30));
        if (b >= 1L << 20) return String.format(Locale.ROOT, "%.1fM", b / (double) (1L << 20));
        if (b >= 1L << 10) return String.format(Locale.ROOT, "%.1fK", b / (double) (1L << 10));
        return b + "B";
    }
}
