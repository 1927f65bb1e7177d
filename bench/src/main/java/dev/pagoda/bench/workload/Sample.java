package dev.pagoda.bench.workload;

import java.util.Locale;

/**
 * One reading of a workload's process: its resident set, the bytes its blocks hold, and where it is.
 *
 * @param seconds   seconds since the workload's process started its main method
 * @param rssBytes  the process's resident set size in bytes
 * @param liveBytes the bytes of the blocks the workload holds, as asked for (before any rounding up)
 * @param cycle     the burst-then-idle cycle, from 1; 0 before the first
 * @param phase     what the workload was doing
 */
public record Sample(double seconds, long rssBytes, long liveBytes, int cycle, Phase phase) {
    /** The column names of {@link #toCsv()}, comma separated. */
    public static final String CSV_HEADER = "seconds,rss_bytes,live_bytes,cycle,phase";

    /**
     * The sample as one CSV line without line end, in the columns of {@link #CSV_HEADER}.
     *
     * @return for example {@code "12.300,2254438400,2147483648,1,allocate"}
     */
    public String toCsv() {
        return String.format(Locale.ROOT, "%.3f,%d,%d,%d,%s", seconds, rssBytes, liveBytes, cycle, phase.label());
    }

    /**
     * Reads a line written by {@link #toCsv()}.
     *
     * @param line the line
     * @return the sample
     * @throws IllegalArgumentException if the line is not such a line
     */
    public static Sample fromCsv(final String line) {
        final String[] f = line.split(",", -1);
        if (f.length != 5) {
            throw new IllegalArgumentException("not a sample: " + line);
        }
        return new Sample(Double.parseDouble(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]),
                Integer.parseInt(f[3]), Phase.ofLabel(f[4]));
    }
}
