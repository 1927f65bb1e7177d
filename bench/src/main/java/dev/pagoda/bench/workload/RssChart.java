package dev.pagoda.bench.workload;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The chart of a workload's run as a PNG: the resident set of each allocator's process over time as a
 * solid line, and the workload's live bytes in that process as a dashed line of the same colour.
 */
final class RssChart {
    private static final int WIDTH = 1400;
    private static final int HEIGHT = 800;
    private static final double MIB = 1 << 20;
    private static final Paint[] COLOURS = {
        new Color(0x1f, 0x77, 0xb4), new Color(0xd6, 0x27, 0x28), new Color(0x2c, 0xa0, 0x2c),
        new Color(0xff, 0x7f, 0x0e), new Color(0x94, 0x67, 0xbd), new Color(0x8c, 0x56, 0x4b),
    };
    private static final BasicStroke SOLID = new BasicStroke(2.2f);
    private static final BasicStroke DASHED = new BasicStroke(1.4f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER,
            10f, new float[] {7f, 5f}, 0f);

    private RssChart() {
    }

    /**
     * Draws the runs and writes the chart.
     *
     * @param runs     the runs, one colour each
     * @param title    the chart's title
     * @param subtitle the workload's settings, under the title
     * @param png      the file to write
     * @throws IOException if the file cannot be written
     */
    static void write(final List<AllocatorRun> runs, final String title, final String subtitle, final Path png)
            throws IOException {
        final XYSeriesCollection data = new XYSeriesCollection();
        for (final AllocatorRun run : runs) {
            final XYSeries rss = new XYSeries(run.allocator() + " RSS", false, true);
            final XYSeries live = new XYSeries(run.allocator() + " live bytes", false, true);
            for (final Sample s : run.samples()) {
                rss.add(s.seconds(), s.rssBytes() / MIB);
                live.add(s.seconds(), s.liveBytes() / MIB);
            }
            data.addSeries(rss);
            data.addSeries(live);
        }
        final JFreeChart chart = ChartFactory.createXYLineChart(title,
                "seconds since the allocator's JVM started the workload", "MiB", data, PlotOrientation.VERTICAL,
                true, false, false);
        chart.addSubtitle(new TextTitle(subtitle, new Font(Font.SANS_SERIF, Font.PLAIN, 13)));
        final XYPlot plot = chart.getXYPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        final XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
        for (int i = 0; i < runs.size(); i++) {
            final Paint colour = COLOURS[i % COLOURS.length];
            renderer.setSeriesPaint(2 * i, colour);
            renderer.setSeriesStroke(2 * i, SOLID);
            renderer.setSeriesPaint(2 * i + 1, colour);
            renderer.setSeriesStroke(2 * i + 1, DASHED);
        }
        plot.setRenderer(renderer);
        ChartUtils.saveChartAsPNG(png.toFile(), chart, WIDTH, HEIGHT);
    }
}
