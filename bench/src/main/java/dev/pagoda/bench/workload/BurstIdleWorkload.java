package dev.pagoda.bench.workload;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The burst-then-idle workload: does an allocator give memory back to the OS once the application has freed
 * it? Runs each allocator in a child JVM of its own ({@link BurstIdleChild}), one after the other, and
 * collects their resident-set samples into a CSV file, a chart and a summary table.
 *
 * <p><b>Usage.</b> Build with {@code mvn -q -B -pl bench -am package -DskipTests}, then run
 * {@code java -cp bench/target/benchmarks.jar dev.pagoda.bench.workload.BurstIdleWorkload [options]} from the
 * repository's root. Each cycle allocates blocks of 64 B to 1 MiB (most small, a few large), writing every
 * page, until they hold the working set; frees 90% of them at random; then idles. Options, with defaults:
 * {@code --working-set=2g} (bytes per burst, suffix {@code k}, {@code m} or {@code g}), {@code --cycles=3},
 * {@code --idle-seconds=5}, {@code --allocators=pagoda,netty-pooled,netty-adaptive,malloc},
 * {@code --out=bench/results}, {@code --seed=42}. It writes {@code burst-idle.csv} (columns
 * {@code allocator,seconds,rss_bytes,live_bytes,cycle,phase}, a sample every 100 ms) and
 * {@code burst-idle-rss.png} to the output folder, and prints per allocator the peak resident set and, at the
 * end of each idle phase, the resident set, the live bytes and their ratio. Pagoda runs with its defaults and
 * is never asked to {@code releaseToOs()}; Netty's buffers are direct, malloc is glibc's through FFM. A
 * 2 GiB run needs about 3 GiB of free memory and takes about two minutes.
 */
public final class BurstIdleWorkload {
    private static final String CSV = "burst-idle.csv";
    private static final String PNG = "burst-idle-rss.png";

    private BurstIdleWorkload() {
    }

    /**
     * Runs the workload on each allocator and writes the results.
     *
     * @param args {@code --key=value} options, see the class comment
     * @throws IOException          if a child cannot be started or a result cannot be written
     * @throws InterruptedException if interrupted while waiting for a child
     */
    public static void main(final String[] args) throws IOException, InterruptedException {
        if (run(args) != 0) {
            System.exit(1);
        }
    }

    /**
     * Runs the workload on each allocator and writes the results: {@link #main(String[])} without exiting, for
     * the benchmark suite and the tests.
     *
     * @param args {@code --key=value} options, see the class comment
     * @return 0 if every allocator's process succeeded, 1 otherwise (the files are written either way)
     * @throws IOException          if a child cannot be started or a result cannot be written
     * @throws InterruptedException if interrupted while waiting for a child
     */
    public static int run(final String[] args) throws IOException, InterruptedException {
        System.setProperty("java.awt.headless", "true");
        final BurstIdleOptions options = BurstIdleOptions.parse(Arrays.asList(args));
        final List<AllocatorRun> runs = new ArrayList<>();
        for (final String allocator : options.allocators()) {
            System.err.println("running " + allocator + " ...");
            runs.add(runChild(allocator, options));
        }
        Files.createDirectories(options.out());
        final Path csv = options.out().resolve(CSV);
        ChildProcess.writeSamples(runs, csv);
        final Path png = options.out().resolve(PNG);
        RssChart.write(runs, "Burst then idle: resident set over time", subtitle(options), png);
        System.out.println("wrote " + csv + " and " + png);
        System.out.print(BurstIdleSummary.table(runs, options.cycles()));
        return runs.stream().anyMatch(r -> r.exitCode() != 0) ? 1 : 0;
    }

    /**
     * The summary table of a {@code burst-idle.csv} file written by an earlier run, as printed at the end of a
     * run: per allocator its resident set before the first burst, its peak, and at the end of each idle phase
     * the resident set, the live bytes and their ratio.
     *
     * @param csv the file, with the columns {@code allocator,seconds,rss_bytes,live_bytes,cycle,phase}
     * @return the table, lines ended by the platform's line separator
     * @throws IOException              if the file cannot be read
     * @throws IllegalArgumentException if a line is not a sample
     */
    public static String summary(final Path csv) throws IOException {
        final Map<String, List<Sample>> samples = new LinkedHashMap<>();
        int cycles = 0;
        final List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        for (final String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
            if (line.isBlank()) {
                continue;
            }
            final int comma = line.indexOf(',');
            final Sample sample = Sample.fromCsv(line.substring(comma + 1));
            samples.computeIfAbsent(line.substring(0, Math.max(0, comma)), k -> new ArrayList<>()).add(sample);
            cycles = Math.max(cycles, sample.cycle());
        }
        final List<AllocatorRun> runs = new ArrayList<>();
        samples.forEach((allocator, list) -> runs.add(new AllocatorRun(allocator, list, List.of(), 0)));
        return BurstIdleSummary.table(runs, Math.max(1, cycles));
    }

    private static AllocatorRun runChild(final String allocator, final BurstIdleOptions options)
            throws IOException, InterruptedException {
        // Room for the working set as direct memory, twice over for Netty's chunks.
        return ChildProcess.run(allocator, BurstIdleChild.class, 2 * options.workingSet() + (1L << 30), List.of(),
                options.workloadArgs());
    }

    private static String subtitle(final BurstIdleOptions options) {
        return String.format(Locale.ROOT, "%d cycles: allocate %.0f MiB of 64 B-1 MiB blocks (every page written), "
                        + "free %.0f%% at random, idle %d s; RSS sampled every %d ms; each allocator in its own JVM",
                options.cycles(), options.workingSet() / (double) (1 << 20), BurstIdleChild.FREED_SHARE * 100,
                options.idleSeconds(), BurstIdleChild.SAMPLE_PERIOD.toMillis());
    }
}
