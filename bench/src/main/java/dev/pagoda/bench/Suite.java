package dev.pagoda.bench;

import dev.pagoda.bench.latency.AllocLatency;
import dev.pagoda.bench.report.Report;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatFactory;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * The whole benchmark suite in one command: every JMH benchmark of this module, then {@link AllocLatency}, then
 * the results report ({@link Report}).
 *
 * <p><b>Usage</b>, from the repository's root after {@code mvn -q -B -pl bench -am package -DskipTests}:
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar dev.pagoda.bench.Suite --quick
 * java --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar dev.pagoda.bench.Suite --full --out=bench/results
 * </pre>
 *
 * <ul>
 *   <li>{@code --quick} (the default): about six minutes on two cores. One fork per benchmark, one warm-up
 *       iteration of 1 s, three measured iterations of 1 s (the fewest from which JMH computes an error), and
 *       fewer parameter values: a parameter that declares more than two values keeps only 1, 64 and 4096 among
 *       them (sizes 64 B and 4 KiB, runs of 1 and 64 pages; see {@link BenchmarkCatalog#quickParams}). {@code AllocLatency} runs two sizes with 200 measured batches.
 *       Good for spotting a regression, not for publishing.</li>
 *   <li>{@code --full}: every benchmark exactly as its annotations say (forks, iterations, every parameter
 *       value), and {@code AllocLatency} with its defaults: the published figures. It takes about 25 minutes on
 *       two cores.</li>
 *   <li>{@code --out=DIR} (default {@code bench/results}): where the results go.</li>
 * </ul>
 *
 * It writes {@code jmh-quick.json} or {@code jmh-full.json} (JMH's JSON result format, all benchmarks in one
 * file), {@code alloc-latency-quick.txt} or {@code alloc-latency-full.txt} (the latency table), and the report,
 * {@code REPORT.md} with its PNG charts. Progress goes to standard output: JMH's own lines for each benchmark,
 * and a line per step. A benchmark that fails is reported and left out; the suite goes on, and exits with
 * status 1 at the end. The benchmarks run in forked JVMs that get their flags from each class's {@code @Fork};
 * {@code AllocLatency} runs in this JVM, which is why it needs {@code --enable-native-access}. JMH refuses to
 * start while another JMH run on the machine holds its lock file.
 */
public final class Suite {
    private Suite() {
    }

    /**
     * Runs the suite.
     *
     * @param args {@code --quick} or {@code --full}, and {@code --out=DIR}; see the class comment
     * @throws IOException     if a result cannot be written
     * @throws RunnerException if JMH cannot run at all
     */
    public static void main(final String[] args) throws IOException, RunnerException {
        boolean quick = true;
        Path out = Path.of("bench", "results");
        for (final String arg : args) {
            if (arg.equals("--quick")) {
                quick = true;
            } else if (arg.equals("--full")) {
                quick = false;
            } else if (arg.startsWith("--out=")) {
                out = Path.of(arg.substring("--out=".length()));
            } else {
                System.err.println("usage: Suite [--quick | --full] [--out=DIR]; unknown argument " + arg);
                System.exit(2);
                return;
            }
        }
        if (!run(quick, out)) {
            System.exit(1);
        }
    }

    /**
     * Runs the benchmarks, the latency harness and the report.
     *
     * @param quick the quick mode, or else the full one
     * @param out   the results folder
     * @return whether every benchmark produced a result
     * @throws IOException     if a result cannot be written
     * @throws RunnerException if JMH cannot run at all
     */
    public static boolean run(final boolean quick, final Path out) throws IOException, RunnerException {
        final String mode = quick ? "quick" : "full";
        final long start = System.nanoTime();
        Files.createDirectories(out);
        final List<BenchmarkListEntry> entries = BenchmarkCatalog.all();
        if (entries.isEmpty()) {
            throw new IllegalStateException("no META-INF/BenchmarkList on the class path: run from benchmarks.jar");
        }
        final Map<Map<String, List<String>>, List<String>> groups = BenchmarkCatalog.groupByParams(entries,
                e -> quick ? BenchmarkCatalog.quickParams(e) : Map.of());
        progress(start, "%s suite: %d benchmarks in %d runs, results in %s", mode, entries.size(), groups.size(),
                out.toAbsolutePath());
        final List<RunResult> results = new ArrayList<>();
        int group = 0;
        for (final Map.Entry<Map<String, List<String>>, List<String>> g : groups.entrySet()) {
            group++;
            progress(start, "run %d of %d: %d benchmarks, params %s", group, groups.size(), g.getValue().size(),
                    g.getKey().isEmpty() ? "as declared" : g.getKey());
            final ChainedOptionsBuilder options = new OptionsBuilder()
                    .include(BenchmarkCatalog.exactly(g.getValue()))
                    .shouldFailOnError(false);
            if (quick) {
                options.forks(1)
                        .warmupIterations(1).warmupTime(TimeValue.seconds(1))
                        .measurementIterations(3).measurementTime(TimeValue.seconds(1));
                g.getKey().forEach((name, values) -> options.param(name, values.toArray(String[]::new)));
            }
            results.addAll(new Runner(options.build()).run());
        }
        final Path json = out.resolve("jmh-" + mode + ".json");
        try (PrintStream p = new PrintStream(Files.newOutputStream(json), true, StandardCharsets.UTF_8)) {
            ResultFormatFactory.getInstance(ResultFormatType.JSON, p).writeOut(results);
        }
        final TreeSet<String> missing = new TreeSet<>(entries.stream().map(BenchmarkListEntry::getUsername).toList());
        results.forEach(r -> missing.remove(r.getParams().getBenchmark()));
        progress(start, "wrote %s: %d results%s", json, results.size(),
                missing.isEmpty() ? "" : "; NO RESULT for " + missing);

        final Path latency = out.resolve("alloc-latency-" + mode + ".txt");
        progress(start, "AllocLatency, into %s", latency);
        final String[] latencyArgs = quick
                ? new String[] {"--sizes=64,16k", "--iterations=200", "--warmup=50"}
                : new String[0];
        final ByteArrayOutputStream table = new ByteArrayOutputStream();
        try (PrintStream p = new PrintStream(table, true, StandardCharsets.UTF_8)) {
            AllocLatency.run(latencyArgs, p);
        }
        Files.write(latency, table.toByteArray());
        System.out.print(table.toString(StandardCharsets.UTF_8));

        final Path report = Report.write(json, out);
        progress(start, "wrote %s", report);
        return missing.isEmpty();
    }

    private static void progress(final long start, final String format, final Object... args) {
        final double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "# [Suite %6.0f s] %s%n", seconds, String.format(Locale.ROOT, format, args));
        System.out.flush();
    }
}
