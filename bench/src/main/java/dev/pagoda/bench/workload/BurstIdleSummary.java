package dev.pagoda.bench.workload;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** The table printed after a burst-then-idle run: per allocator, its peak and what it kept when idle. */
final class BurstIdleSummary {
    private static final double MIB = 1 << 20;
    private static final String ROW = "%-15s %9s %9s %6s %14s %10s %9s%n";

    private BurstIdleSummary() {
    }

    /**
     * The table: one row per allocator and cycle, with the resident set before the first burst, the peak, and
     * at the end of the cycle's idle phase the resident set, the live bytes and their ratio. Sizes in MiB.
     *
     * @param runs   the runs
     * @param cycles the cycles of each run
     * @return the table, lines ended by the platform's line separator
     */
    static String table(final List<AllocatorRun> runs, final int cycles) {
        final StringBuilder table = new StringBuilder();
        table.append(String.format(Locale.ROOT, ROW, "allocator", "base MiB", "peak MiB", "cycle",
                "idle-end RSS", "live MiB", "RSS/live"));
        for (final AllocatorRun run : runs) {
            final String base = run.baseline().map(s -> mib(s.rssBytes())).orElse("-");
            for (int cycle = 1; cycle <= cycles; cycle++) {
                final Optional<Sample> end = run.idleEnd(cycle);
                final String first = cycle == 1 ? run.allocator() : "";
                table.append(String.format(Locale.ROOT, ROW, first, cycle == 1 ? base : "",
                        cycle == 1 ? mib(run.peakRss()) : "", cycle,
                        end.map(s -> mib(s.rssBytes())).orElse("-"),
                        end.map(s -> mib(s.liveBytes())).orElse("-"),
                        end.filter(s -> s.liveBytes() > 0)
                                .map(s -> String.format(Locale.ROOT, "%.2f", (double) s.rssBytes() / s.liveBytes()))
                                .orElse("-")));
            }
            if (run.exitCode() != 0) {
                table.append("  (").append(run.allocator()).append("'s process failed with exit status ")
                        .append(run.exitCode()).append(')').append(System.lineSeparator());
            }
        }
        return table.toString();
    }

    private static String mib(final long bytes) {
        return String.format(Locale.ROOT, "%.1f", bytes / MIB);
    }
}
