package dev.pagoda.bench;

import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The JMH benchmarks of this module as JMH's annotation processor listed them ({@code META-INF/BenchmarkList} on
 * the class path), with their declared {@code @Param} values and the reduced value sets that the quick suite and
 * the smoke test run.
 */
public final class BenchmarkCatalog {
    /**
     * The parameter values the quick suite keeps when a parameter declares more than two: sizes of 64 B and
     * 4 KiB, runs of 1 and 64 pages.
     */
    static final Set<String> QUICK_VALUES = Set.of("1", "64", "4096");

    private BenchmarkCatalog() {
    }

    /**
     * Every benchmark method, one entry each, sorted by name.
     *
     * @return the entries; empty if the list was not generated
     * @throws UncheckedIOException if the list cannot be read
     */
    public static List<BenchmarkListEntry> all() {
        final Map<String, BenchmarkListEntry> byName = new TreeMap<>();
        try (InputStream in = BenchmarkCatalog.class.getResourceAsStream(BenchmarkList.BENCHMARK_LIST)) {
            if (in == null) {
                return List.of();
            }
            for (final BenchmarkListEntry e : BenchmarkList.readBenchmarkList(in)) {
                byName.putIfAbsent(e.getUsername(), e);
            }
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read " + BenchmarkList.BENCHMARK_LIST, e);
        }
        return List.copyOf(byName.values());
    }

    /**
     * The {@code @Param} values a benchmark declares, in declaration order of the values.
     *
     * @param entry the benchmark
     * @return parameter name to values; empty if it has no parameters
     */
    public static Map<String, List<String>> declaredParams(final BenchmarkListEntry entry) {
        final Map<String, List<String>> params = new TreeMap<>();
        if (entry.getParams().hasValue()) {
            entry.getParams().get().forEach((name, values) -> params.put(name, List.of(values)));
        }
        return params;
    }

    /**
     * The first declared value of each parameter: one run per benchmark, for the smoke test.
     *
     * @param entry the benchmark
     * @return parameter name to a list of one value
     */
    public static Map<String, List<String>> firstParams(final BenchmarkListEntry entry) {
        final Map<String, List<String>> first = new TreeMap<>();
        declaredParams(entry).forEach((name, values) -> first.put(name, values.subList(0, 1)));
        return first;
    }

    /**
     * The quick suite's parameters: a parameter with one or two values keeps them; one with more keeps those of
     * its values that are 1, 64 or 4096 (so sizes 64 and 4096, pages 1 and 64) or, if none is, its first and
     * last value.
     *
     * @param entry the benchmark
     * @return parameter name to the values to run
     */
    public static Map<String, List<String>> quickParams(final BenchmarkListEntry entry) {
        final Map<String, List<String>> quick = new TreeMap<>();
        declaredParams(entry).forEach((name, values) -> {
            if (values.size() <= 2) {
                quick.put(name, values);
                return;
            }
            final List<String> kept = new ArrayList<>(values.stream().filter(QUICK_VALUES::contains).toList());
            if (kept.isEmpty()) {
                kept.addAll(Arrays.asList(values.getFirst(), values.getLast()));
            }
            quick.put(name, List.copyOf(kept));
        });
        return quick;
    }

    /**
     * Groups benchmarks by the parameter values they are to run with, since JMH applies a parameter override to
     * every benchmark of one run: each group can then be one {@code Runner} run.
     *
     * @param entries the benchmarks
     * @param params  the parameters of one benchmark
     * @return parameter values to the names of the benchmarks that take them, in the order first met
     */
    public static Map<Map<String, List<String>>, List<String>> groupByParams(
            final List<BenchmarkListEntry> entries,
            final Function<BenchmarkListEntry, Map<String, List<String>>> params) {
        final Map<Map<String, List<String>>, List<String>> groups = new LinkedHashMap<>();
        for (final BenchmarkListEntry e : entries) {
            groups.computeIfAbsent(params.apply(e), k -> new ArrayList<>()).add(e.getUsername());
        }
        return groups;
    }

    /**
     * A JMH include pattern that selects exactly the named benchmark methods.
     *
     * @param names fully qualified benchmark names ({@code class.method})
     * @return a regular expression
     */
    public static String exactly(final List<String> names) {
        final StringBuilder regex = new StringBuilder("^(");
        for (int i = 0; i < names.size(); i++) {
            regex.append(i == 0 ? "" : "|").append(Pattern.quote(names.get(i)));
        }
        return regex.append(")$").toString();
    }
}
