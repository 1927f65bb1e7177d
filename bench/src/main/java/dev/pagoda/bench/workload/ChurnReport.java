package dev.pagoda.bench.workload;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * The parent-process side of a churn workload: runs each allocator's child JVM in turn, then writes
 * {@code <workload>.csv} (the samples), {@code <workload>-summary.csv} (one metric a line, header
 * {@code workload,allocator,threads,metric,value,unit}) and {@code <workload>-rss.png} to the output folder, and
 * prints the summary as a table, the zeroing allocators apart from the others.
 */
final class ChurnReport {
    private static final double MIB = 1 << 20;
    /** The summary table's columns: metric, heading, width. */
    private static final String[][] COLUMNS = {
        {"ops_per_s", "ops/s", "11"},
        {"alloc_p50_ns", "a.p50", "7"}, {"alloc_p99_ns", "a.p99", "8"}, {"alloc_p999_ns", "a.p99.9", "9"},
        {"alloc_max_ns", "a.max", "10"},
        {"free_p50_ns", "f.p50", "7"}, {"free_p99_ns", "f.p99", "8"}, {"free_p999_ns", "f.p99.9", "9"},
        {"free_max_ns", "f.max", "10"},
        {"rss_peak_mib", "RSS peak", "9"}, {"rss_final_mib", "RSS end", "8"}, {"live_final_mib", "live end", "9"},
    };

    /** The child's metrics every churn workload has; the table's notes list the others. */
    private static final Set<String> STANDARD = Set.of("ops_per_s", "allocs", "frees", "measured_s");

    private ChurnReport() {
    }

    /**
     * What tells the churn workloads apart, for {@link #main}.
     *
     * @param name       the workload's name, the files' stem: {@code cache-churn} or {@code buffer-pool}
     * @param child      the child's main class
     * @param allocators the allocators it runs unless told, and the only ones it accepts
     * @param title      the chart's title
     * @param aligned    whether the workload asks for aligned blocks, for the notes on the allocators
     * @param maxDirect  the children's {@code -XX:MaxDirectMemorySize} for the run's settings
     * @param subtitle   the chart's subtitle, the workload's settings, for the run's settings
     */
    record Workload(String name, Class<?> child, List<String> allocators, String title, boolean aligned,
                    ToLongFunction<ChurnOptions> maxDirect, Function<ChurnOptions, String> subtitle) {
    }

    /**
     * Parses the arguments, runs the workload on each allocator, writes and prints the results, and exits with
     * status 1 if a child failed.
     *
     * @param args     {@code --key=value} options and {@code --quick}, see {@link ChurnOptions}
     * @param workload the workload
     * @throws IOException          if a child cannot be started or a result cannot be written
     * @throws InterruptedException if interrupted while waiting for a child
     */
    static void main(final String[] args, final Workload workload) throws IOException, InterruptedException {
        final ChurnOptions options = ChurnOptions.parse(Arrays.asList(args), workload.allocators());
        if (!run(workload.name(), workload.child(), options, workload.maxDirect().applyAsLong(options),
                workload.title(), workload.subtitle().apply(options), workload.aligned())) {
            System.exit(1);
        }
    }

    private static boolean run(final String workload, final Class<?> child, final ChurnOptions options,
                               final long maxDirect, final String title, final String subtitle,
                               final boolean aligned) throws IOException, InterruptedException {
        System.setProperty("java.awt.headless", "true");
        final List<AllocatorRun> runs = new ArrayList<>();
        for (final String allocator : options.allocators()) {
            System.err.println(workload + ": running " + allocator + " ...");
            // Netty's pooled thread caches for every thread, as its event loops have them.
            runs.add(ChildProcess.run(allocator, child, maxDirect,
                    List.of("-Dio.netty.allocator.useCacheForAllThreads=true"), options.workloadArgs()));
        }
        Files.createDirectories(options.out());
        final Path csv = options.out().resolve(workload + ".csv");
        ChildProcess.writeSamples(runs, csv);
        final Path summary = options.out().resolve(workload + "-summary.csv");
        writeSummary(workload, options.threads(), runs, summary);
        final Path png = options.out().resolve(workload + "-rss.png");
        RssChart.write(runs, title, subtitle, png);
        System.out.println("wrote " + csv + ", " + summary + " and " + png);
        System.out.print(table(workload, options, runs, aligned));
        return runs.stream().allMatch(r -> r.exitCode() == 0);
    }

    /**
     * Every metric of a run: the child's, then those of its samples.
     *
     * @param run the run
     * @return the metrics
     */
    static List<Metric> metrics(final AllocatorRun run) {
        final List<Metric> all = new ArrayList<>(run.metrics());
        run.baseline().ifPresent(s -> all.add(mib("rss_baseline_mib", s.rssBytes())));
        all.add(mib("rss_peak_mib", run.peakRss()));
        final Optional<Sample> end = run.lastOf(Phase.MEASURE);
        end.ifPresent(s -> all.add(mib("rss_final_mib", s.rssBytes())));
        end.ifPresent(s -> all.add(mib("live_final_mib", s.liveBytes())));
        all.add(new Metric("zeroing", AllocatorUnderTest.zeroes(run.allocator()) ? 1 : 0, "bool"));
        return all;
    }

    private static Metric mib(final String name, final long bytes) {
        return new Metric(name, Math.round(bytes / MIB * 10) / 10.0, "MiB");
    }

    private static void writeSummary(final String workload, final int threads, final List<AllocatorRun> runs,
                                     final Path csv) throws IOException {
        try (Writer w = Files.newBufferedWriter(csv, StandardCharsets.UTF_8)) {
            w.write("workload,allocator,threads,metric,value,unit\n");
            for (final AllocatorRun run : runs) {
                for (final Metric m : metrics(run)) {
                    w.write(workload + "," + run.allocator() + "," + threads + "," + m.name() + "," + m.formatted()
                            + "," + m.unit() + "\n");
                }
            }
        }
    }

    private static String table(final String workload, final ChurnOptions options, final List<AllocatorRun> runs,
                                final boolean aligned) {
        final List<String[]> columns = new ArrayList<>(List.of(COLUMNS));
        runs.stream().flatMap(r -> r.metrics().stream())
                .filter(m -> !m.unit().equals("ns") && !STANDARD.contains(m.name()))
                .map(Metric::name).distinct()
                .forEach(name -> columns.add(new String[] {name, name, String.valueOf(Math.max(8, name.length()))}));
        final StringBuilder t = new StringBuilder();
        t.append(String.format(Locale.ROOT, "%n%s, %d threads, %d s measured per allocator; latencies in ns "
                + "(a. = allocate, f. = free), sizes in MiB%n", workload, options.threads(), options.seconds()));
        final StringBuilder heading = new StringBuilder(String.format(Locale.ROOT, "%-15s", "allocator"));
        for (final String[] c : columns) {
            heading.append(String.format(Locale.ROOT, " %" + c[2] + "s", c[1]));
        }
        for (final boolean zeroing : new boolean[] {false, true}) {
            final List<AllocatorRun> group = runs.stream()
                    .filter(r -> AllocatorUnderTest.zeroes(r.allocator()) == zeroing).toList();
            if (group.isEmpty()) {
                continue;
            }
            t.append(zeroing ? "-- zeroing allocators --" : "-- non-zeroing allocators --")
                    .append(System.lineSeparator()).append(heading).append(System.lineSeparator());
            for (final AllocatorRun run : group) {
                final List<Metric> metrics = metrics(run);
                t.append(String.format(Locale.ROOT, "%-15s", run.allocator()));
                for (final String[] c : columns) {
                    final String value = metrics.stream().filter(m -> m.name().equals(c[0])).findFirst()
                            .map(Metric::formatted).orElse("-");
                    t.append(String.format(Locale.ROOT, " %" + c[2] + "s", value));
                }
                if (run.exitCode() != 0) {
                    t.append("  (exit status ").append(run.exitCode()).append(')');
                }
                t.append(System.lineSeparator());
            }
        }
        final Set<String> notes = new LinkedHashSet<>();
        for (final AllocatorRun run : runs) {
            final String caveat = AllocatorUnderTest.caveat(run.allocator(), aligned);
            if (!caveat.isEmpty()) {
                notes.add(caveat);
            }
        }
        notes.forEach(n -> t.append("  ").append(n).append(System.lineSeparator()));
        return t.toString();
    }
}
