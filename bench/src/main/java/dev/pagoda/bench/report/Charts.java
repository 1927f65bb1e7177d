package dev.pagoda.bench.report;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.data.category.DefaultCategoryDataset;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.util.List;

/** The report's bar charts, one PNG per benchmark class, rendered headless with JFreeChart. */
final class Charts {
    /** Above this ratio of the largest score to the smallest, the score axis is logarithmic. */
    private static final double LOG_SPREAD = 50;

    private Charts() {
    }

    /**
     * One horizontal bar chart of a class's scores: a bar per implementation ({@link Peers#implementationOf},
     * the series), grouped by case and parameter values (the categories), so that Pagoda's bar stands next to
     * its peers'.
     *
     * @param benchmarkClass the class's simple name, the title
     * @param scores         the class's results, at least one
     * @param png            the file to write
     * @throws IOException if the file cannot be written
     */
    static void write(final String benchmarkClass, final List<Score> scores, final Path png) throws IOException {
        final DefaultCategoryDataset data = new DefaultCategoryDataset();
        double min = Double.POSITIVE_INFINITY;
        double max = 0;
        for (final Score s : scores) {
            if (Double.isNaN(s.score()) || s.score() <= 0) {
                continue;
            }
            final String series = Peers.caseOf(s.method()).isPresent() ? Peers.implementationOf(s.method())
                    : s.method();
            final String theCase = Peers.caseOf(s.method()).orElse("");
            final String params = s.paramText();
            final String category = theCase.isEmpty() ? (params.isEmpty() ? "-" : params)
                    : params.isEmpty() ? theCase : theCase + " (" + params + ")";
            data.addValue(s.score(), series, category);
            min = Math.min(min, s.score());
            max = Math.max(max, s.score());
        }
        final String unit = scores.getFirst().unit();
        final JFreeChart chart = ChartFactory.createBarChart(benchmarkClass, null, unit, data,
                PlotOrientation.HORIZONTAL, true, false, false);
        chart.setBackgroundPaint(Color.WHITE);
        final CategoryPlot plot = chart.getCategoryPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        if (max > 0 && max / min > LOG_SPREAD) {
            final LogAxis log = new LogAxis(unit + " (log scale)");
            log.setSmallestValue(min / 2);
            // Ticks at powers of ten, labelled as plain numbers (10, 100, 1,000) rather than 10^x.
            log.setTickUnit(new NumberTickUnit(1));
            log.setNumberFormatOverride(new DecimalFormat("#,##0.###"));
            plot.setRangeAxis(log);
        }
        final BarRenderer renderer = (BarRenderer) plot.getRenderer();
        renderer.setBarPainter(new StandardBarPainter());
        renderer.setShadowVisible(false);
        renderer.setItemMargin(0.02);
        final int bars = Math.max(1, data.getRowCount() * data.getColumnCount());
        final int height = Math.max(300, Math.min(4000, 140 + bars * 9 + data.getColumnCount() * 12));
        ChartUtils.saveChartAsPNG(png.toFile(), chart, 1000, height);
    }
}
