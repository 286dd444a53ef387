package dev.vbuf.bench.harness;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The chart of a {@code vbuf bench} run, drawn with Java2D and written as PNG. Two panels of
 * bars grouped by frame size, one bar per transport in the order run, vbuf in blues and the
 * peers in greys:
 * <ol>
 * <li>frames/s, every byte written and read: each group scaled to its fastest bar (the sizes span
 *     two orders of magnitude), each bar labelled with its frames/s and its ratio to vbuf;</li>
 * <li>hand-off latency p50 (header only), log scale, with the two floors measured in the run
 *     drawn across the panel; vbuf's bars labelled with their multiple of their floor.</li>
 * </ol>
 * A run that failed is a hatched red box marked "failed"; one that was not run, "not run".
 */
final class ChartWriter {
    static final int W = 1600, H = 1000;
    private static final int LEFT = 80, RIGHT = 20, TOP = 110;
    /** Right of the bars: where the floors are labelled. */
    private static final int MARGIN = 190;
    private static final Color FLOOR_SPIN = new Color(0xD9, 0x5F, 0x02);
    private static final Color FLOOR_FUTEX = new Color(0x7B, 0x3F, 0x9E);
    private static final Color FAILED = new Color(0xC6, 0x28, 0x28);
    private static final Color GRID = new Color(0xE4, 0xE4, 0xE4);

    private ChartWriter() {}

    static Color color(Transport t) {
        return switch (t) {
            case VBUF_SHM -> new Color(0x0B, 0x3C, 0x91);
            case VBUF_SHM_FUTEX -> new Color(0x2F, 0x7E, 0xD8);
            case VBUF_THREADS -> new Color(0x8D, 0xBC, 0xEE);
            case TCP -> new Color(0x5E, 0x5E, 0x5E);
            case UDS -> new Color(0x93, 0x93, 0x93);
            case AERON -> new Color(0xBD, 0xBD, 0xBD);
        };
    }

    static void write(Path png, List<Row> rows, List<FloorRow> floors, Machine machine) throws IOException {
        System.setProperty("java.awt.headless", "true");
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, H);

        Set<BenchSize> sizeSet = new LinkedHashSet<>();
        Set<Transport> transportSet = new LinkedHashSet<>();
        for (Row r : rows) {
            sizeSet.add(r.size());
            transportSet.add(r.transport());
        }
        List<BenchSize> sizes = new ArrayList<>(sizeSet);
        List<Transport> transports = new ArrayList<>(transportSet);
        Map<String, Row> cell = new LinkedHashMap<>();
        for (Row r : rows) cell.put(key(r.size(), r.transport()), r);

        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 20));
        g.drawString("vbuf bench: a producer process and a consumer process, every byte written and read", LEFT, 30);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        g.drawString(machine.toString(), LEFT, 52);
        legend(g, transports, floors, LEFT, 78);

        int panelH = (H - TOP - 40) / 2;
        throughput(g, sizes, transports, cell, rows, LEFT, TOP, W - LEFT - RIGHT, panelH - 50);
        latency(g, sizes, transports, cell, floors, LEFT, TOP + panelH + 20, W - LEFT - RIGHT, panelH - 50);
        g.dispose();
        Path parent = png.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        if (!ImageIO.write(img, "png", png.toFile())) throw new IOException("no PNG writer for " + png);
    }

    private static String key(BenchSize s, Transport t) { return s.label() + "|" + t.id; }

    private static void legend(Graphics2D g, List<Transport> transports, List<FloorRow> floors, int x, int y) {
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        FontMetrics fm = g.getFontMetrics();
        for (Transport t : transports) {
            g.setColor(color(t));
            g.fillRect(x, y - 12, 16, 14);
            g.setColor(Color.BLACK);
            String name = t.isVbuf() ? t.id + " (vbuf)" : t.id;
            g.drawString(name, x + 22, y);
            x += 22 + fm.stringWidth(name) + 26;
        }
        x += 10;
        for (Floor f : Floor.values()) {
            g.setColor(f == Floor.CACHE_LINE ? FLOOR_SPIN : FLOOR_FUTEX);
            g.setStroke(new BasicStroke(2.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 1, new float[] {8, 5}, 0));
            g.drawLine(x, y - 5, x + 30, y - 5);
            g.setStroke(new BasicStroke(1));
            g.setColor(Color.BLACK);
            FloorRow fr = FloorRow.best(floors, f);
            String name = (f == Floor.CACHE_LINE ? "floor: cache line, one way" : "floor: futex wake")
                    + (fr == null ? (floors.isEmpty() ? " (not run)" : " (failed)") : " " + usText(fr.p50()));
            g.drawString(name, x + 36, y);
            x += 36 + fm.stringWidth(name) + 26;
        }
    }

    /** Slot geometry of one group: where bar {@code i} of {@code n} starts and how wide it is. */
    private record Slots(int x0, int groupW, int barW, int n) {
        int barX(int group, int i) { return x0 + group * groupW + (groupW - n * barW) / 2 + i * barW; }
    }

    private static Slots slots(int x, int w, int groups, int bars) {
        int groupW = w / Math.max(1, groups);
        int barW = Math.max(8, Math.min(70, (groupW - 30) / Math.max(1, bars)));
        return new Slots(x, groupW, barW, bars);
    }

    private static void throughput(Graphics2D g, List<BenchSize> sizes, List<Transport> transports, Map<String, Row> cell,
                                   List<Row> rows, int x, int y, int w, int h) {
        title(g, "Frames per second (higher is better). Each size scaled to its fastest transport; "
                + "label: frames/s and the ratio to vbuf's " + referenceId(rows, sizes), x, y);
        int top = y + 30, bottom = top + h;
        g.setColor(Color.GRAY);
        g.drawLine(x, bottom, x + w, bottom);
        Slots s = slots(x, w - MARGIN, sizes.size(), transports.size());
        for (int gi = 0; gi < sizes.size(); gi++) {
            BenchSize size = sizes.get(gi);
            double max = 0;
            for (Transport t : transports) {
                Row r = cell.get(key(size, t));
                if (r != null && r.ok() && r.fps() > max) max = r.fps();
            }
            for (int i = 0; i < transports.size(); i++) {
                Transport t = transports.get(i);
                Row r = cell.get(key(size, t));
                int bx = s.barX(gi, i), bw = s.barW() - 4;
                if (r == null || !r.ok() || !(max > 0)) {
                    missing(g, bx, bw, top + h / 2, bottom, r == null ? "not run" : "failed");
                    continue;
                }
                int bh = (int) Math.round((h - 40) * r.fps() / max);
                g.setColor(color(t));
                g.fillRect(bx, bottom - bh, bw, bh);
                double ratio = Report.ratio(rows, r);
                String top1 = fps(r.fps());
                String top2 = ratio != ratio ? "" : String.format(Locale.ROOT, "%.2fx", ratio);
                label(g, bx, bw, bottom - bh, top1, top2, t.isVbuf());
            }
            groupLabel(g, size.label(), s.x0() + gi * s.groupW(), s.groupW(), bottom);
        }
    }

    private static void latency(Graphics2D g, List<BenchSize> sizes, List<Transport> transports, Map<String, Row> cell,
                                List<FloorRow> floors, int x, int y, int w, int h) {
        title(g, "Hand-off latency p50, header only: submit -> the consumer has the frame (µs, log scale, lower is better)."
                + " vbuf's bars: the multiple of their floor", x, y);
        int top = y + 30, bottom = top + h;
        // the scale: decades from below the lowest value to above the highest
        double lo = Double.MAX_VALUE, hi = 0;
        for (Row r : cell.values()) {
            if (r.ok() && r.handoffP50() > 0) {
                lo = Math.min(lo, r.handoffP50());
                hi = Math.max(hi, r.handoffP50());
            }
        }
        for (FloorRow f : floors) {
            if (f.ok() && f.p50() > 0) {
                lo = Math.min(lo, f.p50());
                hi = Math.max(hi, f.p50());
            }
        }
        if (hi == 0) {
            lo = 10;
            hi = 1e6;
        }
        double dLo = Math.floor(Math.log10(lo)), dHi = Math.ceil(Math.log10(hi) + 0.35);
        if (dHi - dLo < 2) dHi = dLo + 2;
        final double fLo = dLo, fHi = dHi;
        java.util.function.DoubleToIntFunction yOf = ns -> (int) Math.round(bottom - (h - 10) * (Math.log10(ns) - fLo) / (fHi - fLo));
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (double d = dLo; d <= dHi; d++) {
            int yy = yOf.applyAsInt(Math.pow(10, d));
            g.setColor(GRID);
            g.drawLine(x, yy, x + w, yy);
            g.setColor(Color.DARK_GRAY);
            String t = tick((long) Math.pow(10, d));
            g.drawString(t, x - 8 - g.getFontMetrics().stringWidth(t), yy + 4);
        }
        g.setColor(Color.GRAY);
        g.drawLine(x, bottom, x + w, bottom);
        Slots s = slots(x, w - MARGIN, sizes.size(), transports.size());
        for (int gi = 0; gi < sizes.size(); gi++) {
            BenchSize size = sizes.get(gi);
            for (int i = 0; i < transports.size(); i++) {
                Transport t = transports.get(i);
                Row r = cell.get(key(size, t));
                int bx = s.barX(gi, i), bw = s.barW() - 4;
                if (r == null || !r.ok()) {
                    missing(g, bx, bw, top + h / 2, bottom, r == null ? "not run" : "failed");
                    continue;
                }
                int by = yOf.applyAsInt(Math.max(r.handoffP50(), Math.pow(10, dLo)));
                g.setColor(color(t));
                g.fillRect(bx, by, bw, bottom - by);
                double xf = Report.timesFloor(floors, r);
                label(g, bx, bw, by, usText(r.handoffP50()), xf != xf ? "" : times(xf), t.isVbuf());
            }
            groupLabel(g, size.label(), s.x0() + gi * s.groupW(), s.groupW(), bottom);
        }
        // the floors across the panel (the lower of start and end, as the ratios use)
        for (Floor f : Floor.values()) {
            FloorRow fr = FloorRow.best(floors, f);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
            Color c = f == Floor.CACHE_LINE ? FLOOR_SPIN : FLOOR_FUTEX;
            g.setColor(c);
            if (fr == null) {
                g.drawString((f == Floor.CACHE_LINE ? "cache-line floor" : "futex-wake floor")
                        + (floors.isEmpty() ? ": not run" : ": failed"), x + w - MARGIN + 10, top + (f == Floor.CACHE_LINE ? 14 : 30));
                continue;
            }
            int yy = yOf.applyAsInt(fr.p50());
            g.setStroke(new BasicStroke(2.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 1, new float[] {8, 5}, 0));
            g.drawLine(x, yy, x + w, yy);
            g.setStroke(new BasicStroke(1));
            String[] text = f == Floor.CACHE_LINE
                    ? new String[] {"one-way floor " + usText(fr.p50()), "(cache-line ping-pong)"}
                    : new String[] {"futex wake floor " + usText(fr.p50()), "(store + FUTEX_WAKE)"};
            g.drawString(text[0], x + w - MARGIN + 10, yy - 6);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            g.drawString(text[1], x + w - MARGIN + 10, yy + 16);
        }
    }

    private static void title(Graphics2D g, String text, int x, int y) {
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(text, x, y + 12);
    }

    private static void groupLabel(Graphics2D g, String text, int gx, int gw, int bottom) {
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        int tw = g.getFontMetrics().stringWidth(text);
        g.drawString(text, gx + (gw - tw) / 2, bottom + 20);
    }

    /** Two short lines above a bar; vbuf's in bold. */
    private static void label(Graphics2D g, int bx, int bw, int barTop, String line1, String line2, boolean strong) {
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, strong ? Font.BOLD : Font.PLAIN, 11));
        FontMetrics fm = g.getFontMetrics();
        int cx = bx + bw / 2;
        if (!line2.isEmpty()) {
            g.drawString(line2, cx - fm.stringWidth(line2) / 2, barTop - 4);
            g.drawString(line1, cx - fm.stringWidth(line1) / 2, barTop - 4 - fm.getHeight());
        } else {
            g.drawString(line1, cx - fm.stringWidth(line1) / 2, barTop - 4);
        }
    }

    /** A hatched box where a bar would be, with the reason written up its side. */
    private static void missing(Graphics2D g, int bx, int bw, int top, int bottom, String why) {
        g.setColor(new Color(0xFD, 0xEC, 0xEC));
        g.fillRect(bx, top, bw, bottom - top);
        g.setColor(FAILED);
        var clip = g.getClip();
        g.clipRect(bx, top, bw, bottom - top);
        for (int d = -(bottom - top); d < bw; d += 8) g.drawLine(bx + d, bottom, bx + d + (bottom - top), top);
        g.setClip(clip);
        g.drawRect(bx, top, bw, bottom - top);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
        AffineTransform saved = g.getTransform();
        int tw = g.getFontMetrics().stringWidth(why);
        g.translate(bx + bw / 2 + 5, bottom - (bottom - top - tw) / 2);
        g.rotate(-Math.PI / 2);
        g.setColor(Color.WHITE);
        g.fillRect(-2, -13, tw + 4, 17);
        g.setColor(FAILED);
        g.drawString(why, 0, 0);
        g.setTransform(saved);
    }

    /** A multiple, short enough for a bar: 1.8x, 62x, 37254x. */
    static String times(double x) {
        return x < 10 ? String.format(Locale.ROOT, "%.1fx", x) : String.format(Locale.ROOT, "%.0fx", x);
    }

    private static String referenceId(List<Row> rows, List<BenchSize> sizes) {
        for (BenchSize s : sizes) {
            Row ref = Report.reference(rows, s);
            if (ref != null) return ref.transport().id;
        }
        return "(no vbuf run)";
    }

    private static String fps(double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%.0f/s", v) : String.format(Locale.ROOT, "%.1f/s", v);
    }

    /** A power of ten of nanoseconds as an axis label: 100 ns, 1 µs, ... 1 s. */
    static String tick(long ns) {
        if (ns >= 1_000_000_000L) return ns / 1_000_000_000L + " s";
        if (ns >= 1_000_000L) return ns / 1_000_000L + " ms";
        if (ns >= 1_000L) return ns / 1_000L + " µs";
        return ns + " ns";
    }

    static String usText(double ns) {
        double us = ns / 1e3;
        if (us >= 1000) return String.format(Locale.ROOT, "%.1f ms", us / 1e3);
        if (us >= 10) return String.format(Locale.ROOT, "%.0f µs", us);
        if (us >= 1) return String.format(Locale.ROOT, "%.1f µs", us);
        return String.format(Locale.ROOT, "%.2f µs", us);
    }
}
