package dev.pagoda.bench.report;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The vmcache buffer pool's JMH results ({@code VmcacheBenchmark}, throughput) as a CSV of ratios within the run and
 * a bar chart: one row per case (threads, distribution, updates, data set), the operations per second of each peer,
 * and the ratios the targets are stated in: the pool over the hash-table pool, and the mapped file over the
 * pool (for the faster of the pool's two read paths, {@code fixShared} and {@code readOptimistic}).
 *
 * <p>Usage: {@code java -cp bench/target/benchmarks.jar dev.pagoda.bench.report.VmcacheResults
 * --jmh=bench/results/buffer-pool-vmcache-jmh.json --out=bench/results} writes {@code buffer-pool-vmcache.csv} and
 * {@code buffer-pool-vmcache.png} and prints the table in Markdown.
 */
public final class VmcacheResults {
    private static final List<String> PEERS = List.of("pagoda", "pagodaOptimistic", "hashTable", "mapped", "pread");

    private VmcacheResults() {
    }

    /**
     * Reads the JMH file and writes the CSV and the chart.
     *
     * @param args {@code --jmh=FILE} and {@code --out=DIR}
     * @throws IOException if a file cannot be read or written
     */
    public static void main(final String[] args) throws IOException {
        Path jmh = null;
        Path out = Path.of("bench", "results");
        for (final String a : args) {
            if (a.startsWith("--jmh=")) {
                jmh = Path.of(a.substring("--jmh=".length()));
            } else if (a.startsWith("--out=")) {
                out = Path.of(a.substring("--out=".length()));
            } else {
                throw new IllegalArgumentException("unknown option " + a + "; options: --jmh=FILE --out=DIR");
            }
        }
        if (jmh == null) {
            throw new IllegalArgumentException("--jmh=FILE is required");
        }
        System.out.print(write(jmh, out));
    }

    /**
     * Writes {@code buffer-pool-vmcache.csv} and {@code buffer-pool-vmcache.png} into a folder.
     *
     * @param jmh the JMH JSON result file of {@code VmcacheBenchmark}
     * @param out the folder
     * @return the table in Markdown
     * @throws IOException              if a file cannot be read or written
     * @throws IllegalArgumentException if the file holds no result of {@code VmcacheBenchmark}
     */
    public static String write(final Path jmh, final Path out) throws IOException {
        final List<Score> scores = Score.read(jmh).stream()
                .filter(s -> s.benchmarkClass().endsWith("VmcacheBenchmark")).toList();
        if (scores.isEmpty()) {
            throw new IllegalArgumentException(jmh + " holds no VmcacheBenchmark result");
        }
        final Map<String, Map<String, Score>> cases = new LinkedHashMap<>();
        for (final Score s : scores) {
            final String key = Peers.caseOf(s.method()).orElse(s.method()) + "," + s.params().get("dist") + ","
                    + s.params().get("updatePercent") + "," + s.params().get("dataset");
            cases.computeIfAbsent(key, k -> new LinkedHashMap<>()).put(Peers.implementationOf(s.method()), s);
        }
        Files.createDirectories(out);
        final StringBuilder md = new StringBuilder("| threads | dist | updates | data set / budget |");
        for (final String p : PEERS) {
            md.append(' ').append(p).append(" |");
        }
        md.append(" pool / hashTable | mapped / pool |\n|").append(" --- |".repeat(PEERS.size() + 6)).append('\n');
        try (Writer w = Files.newBufferedWriter(out.resolve("buffer-pool-vmcache.csv"), StandardCharsets.UTF_8)) {
            w.write("threads,dist,update_pct,dataset_over_budget");
            for (final String p : PEERS) {
                w.write("," + p + "_ops_per_s," + p + "_error");
            }
            w.write(",pagoda_over_hashTable,pagodaOptimistic_over_hashTable,mapped_over_pagoda,"
                    + "mapped_over_pagodaOptimistic\n");
            for (final Map.Entry<String, Map<String, Score>> c : cases.entrySet()) {
                final Map<String, Score> byPeer = c.getValue();
                final String[] k = c.getKey().split(",");
                final String threads = k[0].substring(1);
                w.write(threads + "," + k[1] + "," + k[2] + "," + k[3]);
                md.append("| ").append(threads).append(" | ").append(k[1]).append(" | ").append(k[2])
                        .append("% | ").append(k[3]).append("× |");
                for (final String p : PEERS) {
                    final Optional<Score> s = Optional.ofNullable(byPeer.get(p));
                    w.write("," + s.map(x -> fmt(x.score(), 0)).orElse("") + ","
                            + s.map(x -> fmt(x.error(), 0)).orElse(""));
                    md.append(' ').append(s.map(x -> millions(x.score())).orElse("-")).append(" |");
                }
                final double vsTable = ratio(byPeer, "pagoda", "hashTable");
                final double optVsTable = ratio(byPeer, "pagodaOptimistic", "hashTable");
                final double mappedVs = ratio(byPeer, "mapped", "pagoda");
                final double mappedVsOpt = ratio(byPeer, "mapped", "pagodaOptimistic");
                w.write("," + fmt(vsTable, 2) + "," + fmt(optVsTable, 2) + "," + fmt(mappedVs, 2) + ","
                        + fmt(mappedVsOpt, 2) + "\n");
                md.append(' ').append(fmt(Math.max(vsTable, optVsTable), 2)).append(" | ")
                        .append(fmt(Math.min(mappedVs, mappedVsOpt), 2)).append(" |\n");
            }
        }
        // The chart's categories name only what varies (the budget and the page size are one value each), in few
        // letters, so that the labels are not cut.
        final List<Score> labelled = scores.stream().map(s -> new Score(s.benchmarkClass(), s.method(),
                Map.of("data", s.params().get("dataset") + "x", "dist", s.params().get("dist"),
                        "upd", s.params().get("updatePercent") + "%"),
                s.mode(), s.threads(), s.score(), s.error(), s.unit())).toList();
        Charts.write("VmcacheBenchmark: page accesses per second (budget " + scores.getFirst().params().get("budgetMiB")
                + " MiB, " + scores.getFirst().params().get("pageSize") + "-byte pages)", labelled,
                out.resolve("buffer-pool-vmcache.png"));
        return md.append("\nops/s in millions; pool = the faster of pagoda and pagodaOptimistic.\n").toString();
    }

    private static double ratio(final Map<String, Score> byPeer, final String a, final String b) {
        final Score x = byPeer.get(a);
        final Score y = byPeer.get(b);
        return x == null || y == null || y.score() <= 0 ? Double.NaN : x.score() / y.score();
    }

    private static String fmt(final double v, final int decimals) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    private static String millions(final double opsPerSecond) {
        return String.format(Locale.ROOT, opsPerSecond >= 1e6 ? "%.2f" : "%.3f", opsPerSecond / 1e6);
    }
}
