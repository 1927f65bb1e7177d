package dev.pagoda.bench.workload;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * One figure a workload's child process reports, passed to its parent as a line of standard output.
 *
 * @param name  the metric, for example {@code alloc_p99_ns}
 * @param value its value
 * @param unit  its unit, for example {@code ns}
 */
record Metric(String name, double value, String unit) {
    /** The first field of a metric's line, which no {@link Sample} line has. */
    private static final String PREFIX = "metric";

    /**
     * A share in percent, to one decimal.
     *
     * @param name  the metric's name
     * @param part  the count of the share
     * @param whole the count it is a share of
     * @return the metric, 0 if {@code whole} is 0
     */
    static Metric percent(final String name, final long part, final long whole) {
        return new Metric(name, whole == 0 ? 0 : Math.round(1000.0 * part / whole) / 10.0, "%");
    }

    /**
     * The value as the summary files write it: rounded to three decimals, without trailing zeros.
     *
     * @return for example {@code "1234"} or {@code "12.3"}
     */
    String formatted() {
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            return Long.toString((long) value);
        }
        return BigDecimal.valueOf(value).setScale(3, RoundingMode.HALF_EVEN).stripTrailingZeros().toPlainString();
    }

    /**
     * The metric as one line for the parent.
     *
     * @return for example {@code "metric,ops_per_s,123456,ops/s"}
     */
    String toLine() {
        return PREFIX + "," + name + "," + formatted() + "," + unit;
    }

    /**
     * Reads a line written by {@link #toLine()}.
     *
     * @param line a line of a child's output
     * @return the metric, or null if the line is not a metric's
     */
    static Metric fromLine(final String line) {
        final String[] f = line.split(",", -1);
        if (f.length != 4 || !f[0].equals(PREFIX)) {
            return null;
        }
        try {
            return new Metric(f[1], Double.parseDouble(f[2]), f[3]);
        } catch (final NumberFormatException e) {
            return null;
        }
    }
}
