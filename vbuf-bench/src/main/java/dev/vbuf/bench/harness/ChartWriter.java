package dev.vbuf.bench.harness;

import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.style.Styler;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.ToDoubleFunction;

/**
 * The chart of a {@code vbuf bench} run (XChart, written as PNG): three panels with one marker per
 * transport across the frame sizes — frames/s, hand-off p50 latency, and p50 latency with every
 * byte written and read. Log scales: the sizes span two orders of magnitude.
 */
final class ChartWriter {
    private static final int W = 1000, PANEL_H = 380, TITLE_H = 40;

    private ChartWriter() {}

    static void write(Path png, List<Row> rows, Machine machine) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<CategoryChart> charts = List.of(
                chart(rows, "Throughput (frames/s, higher is better)", "frames/s", Row::fps),
                chart(rows, "Hand-off latency p50 (µs, lower is better): submit -> consumer has the frame", "µs",
                        r -> r.handoffP50() / 1e3),
                chart(rows, "Latency p50 with every byte written and read (ms, lower is better)", "ms",
                        r -> r.fullP50() / 1e6));
        BufferedImage img = new BufferedImage(W, TITLE_H + PANEL_H * charts.size(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString("vbuf bench — producer and consumer processes, every byte written and read", 12, 18);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.drawString(machine.toString(), 12, 34);
        for (int i = 0; i < charts.size(); i++) {
            Graphics2D p = (Graphics2D) g.create(0, TITLE_H + i * PANEL_H, W, PANEL_H);
            charts.get(i).paint(p, W, PANEL_H);
            p.dispose();
        }
        g.dispose();
        Path parent = png.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        if (!ImageIO.write(img, "png", png.toFile())) throw new IOException("no PNG writer for " + png);
    }

    private static CategoryChart chart(List<Row> rows, String title, String unit, ToDoubleFunction<Row> value) {
        CategoryChart c = new CategoryChartBuilder().width(W).height(PANEL_H).title(title).yAxisTitle(unit).build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        c.getStyler().setYAxisLogarithmic(true);
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        c.getStyler().setPlotGridVerticalLinesVisible(false);
        // XChart draws no bars on a log axis: markers, one series per transport, across the sizes
        c.getStyler().setDefaultSeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Scatter);
        c.getStyler().setMarkerSize(9);
        Set<String> sizes = new LinkedHashSet<>();
        Set<Transport> transports = new LinkedHashSet<>();
        for (Row r : rows) {
            sizes.add(r.size().label());
            transports.add(r.transport());
        }
        List<String> x = new ArrayList<>(sizes);
        for (Transport t : transports) {
            List<Number> y = new ArrayList<>();
            for (String s : x) {
                double v = Double.NaN;
                for (Row r : rows) if (r.transport() == t && r.size().label().equals(s) && r.ok()) v = value.applyAsDouble(r);
                y.add(v == v && v > 0 ? v : null);
            }
            c.addSeries(t.id, x, y);
        }
        return c;
    }
}
