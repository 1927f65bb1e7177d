package dev.pagoda.bench.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One result of a JMH JSON file: a benchmark method with one set of parameter values.
 *
 * @param benchmarkClass the class's simple name, for example {@code SmallObjectBenchmark}
 * @param method         the method, for example {@code t1_noZero_pagoda}
 * @param params         the parameter values, by name; empty if none
 * @param mode           JMH's short mode name: {@code avgt}, {@code thrpt}, {@code sample} or {@code ss}
 * @param threads        the benchmark's threads
 * @param score          the primary metric's score
 * @param error          its error (99.9% half-width); NaN when JMH could not compute one
 * @param unit           the score's unit, for example {@code ns/op}
 */
record Score(String benchmarkClass, String method, Map<String, String> params, String mode, int threads,
             double score, double error, String unit) {
    Score {
        params = Map.copyOf(params);
    }

    /**
     * Whether a larger score is better: throughput, where the others are times.
     *
     * @return true for {@code thrpt}
     */
    boolean higherIsBetter() {
        return "thrpt".equals(mode);
    }

    /**
     * The parameters as {@code name=value} pairs in name order.
     *
     * @return for example {@code "size=64"}; empty if none
     */
    String paramText() {
        return String.join(", ", params.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .map(e -> e.getKey() + "=" + e.getValue()).toList());
    }

    /**
     * Reads every result of a JMH JSON result file.
     *
     * @param json the file
     * @return the results in file order
     * @throws IOException              if the file cannot be read
     * @throws IllegalArgumentException if it is not a JMH JSON result file
     */
    static List<Score> read(final Path json) throws IOException {
        final Object root = Json.parse(Files.readString(json, StandardCharsets.UTF_8));
        if (!(root instanceof List<?> list)) {
            throw new IllegalArgumentException(json + ": a JSON array of results expected");
        }
        final List<Score> scores = new ArrayList<>();
        for (final Object o : list) {
            if (!(o instanceof Map<?, ?> r) || !(r.get("benchmark") instanceof String name)
                    || !(r.get("primaryMetric") instanceof Map<?, ?> metric)) {
                throw new IllegalArgumentException(json + ": a result without benchmark or primaryMetric");
            }
            final int dot = name.lastIndexOf('.');
            final String qualifiedClass = name.substring(0, Math.max(0, dot));
            final Map<String, String> params = new LinkedHashMap<>();
            if (r.get("params") instanceof Map<?, ?> p) {
                p.forEach((k, v) -> params.put(String.valueOf(k), String.valueOf(v)));
            }
            scores.add(new Score(qualifiedClass.substring(qualifiedClass.lastIndexOf('.') + 1),
                    name.substring(dot + 1), params, String.valueOf(r.get("mode")),
                    (int) Json.number(r.get("threads")), Json.number(metric.get("score")),
                    Json.number(metric.get("scoreError")), String.valueOf(metric.get("scoreUnit"))));
        }
        return scores;
    }

    /**
     * The first result's run settings, for the report's header: JMH and JDK versions and the forks' JVM flags.
     *
     * @param json the file
     * @return label to value, empty if the file has no result
     * @throws IOException if the file cannot be read
     */
    static Map<String, String> runInfo(final Path json) throws IOException {
        final Map<String, String> info = new LinkedHashMap<>();
        if (Json.parse(Files.readString(json, StandardCharsets.UTF_8)) instanceof List<?> list && !list.isEmpty()
                && list.getFirst() instanceof Map<?, ?> r) {
            info.put("JMH", String.valueOf(r.get("jmhVersion")));
            info.put("JVM", r.get("vmName") + " " + r.get("vmVersion") + " (JDK " + r.get("jdkVersion") + ")");
            info.put("warm-up", text(r.get("warmupIterations")) + " × " + r.get("warmupTime")
                    + " (first benchmark's)");
            info.put("measurement", text(r.get("measurementIterations")) + " × " + r.get("measurementTime")
                    + ", forks: " + text(r.get("forks")) + " (first benchmark's)");
        }
        return info;
    }

    private static String text(final Object value) {
        return value instanceof Double d && d == Math.rint(d) ? Long.toString(d.longValue()) : String.valueOf(value);
    }
}
