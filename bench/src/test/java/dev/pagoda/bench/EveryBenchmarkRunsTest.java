package dev.pagoda.bench;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every JMH benchmark of the module still runs: each method once, in one forked JVM with its own {@code @Fork}
 * flags, no warm-up, one measured iteration of 30 ms, and the first value of each parameter. About a second per
 * benchmark, most of it the fork's start. JMH's own output goes to one file per benchmark in
 * {@code target/jmh-smoke/}.
 *
 * <p>Forked rather than in this JVM, so that each class's {@code @Fork(jvmArgsAppend = ...)} is used as in a real
 * run (native access, heap size, Netty's properties) and a benchmark that breaks its JVM fails only its own test.
 * The options set no JVM flags: {@code jvmArgsAppend} here would replace the annotations' flags. The forks
 * also inherit this JVM's flags (JMH's default), which include Surefire's {@code --enable-native-access}.
 */
class EveryBenchmarkRunsTest {
    private static final Path LOGS = Path.of("target", "jmh-smoke");

    @Test
    void theListHasEveryBenchmarkClass() {
        final List<String> classes = BenchmarkCatalog.all().stream().map(BenchmarkListEntry::getUserClassQName)
                .distinct().toList();
        for (final Class<?> c : List.of(PageAllocBenchmark.class, HeapGrowthBenchmark.class, ZeroFillBenchmark.class,
                SmallObjectBenchmark.class, ScavengerCostBenchmark.class, FirstTouchBenchmark.class,
                OsMemoryBenchmark.class, CrossThreadBenchmark.class, VmcacheBenchmark.class,
                FrameRefaultBenchmark.class)) {
            assertTrue(classes.contains(c.getName()), c + " missing from " + classes);
        }
    }

    @TestFactory
    Stream<DynamicTest> everyBenchmarkRunsOnce() throws Exception {
        Files.createDirectories(LOGS);
        final List<BenchmarkListEntry> all = BenchmarkCatalog.all();
        assertFalse(all.isEmpty(), "no META-INF/BenchmarkList on the test class path");
        return all.stream().map(e -> DynamicTest.dynamicTest(e.getUsername(), () -> runOnce(e)));
    }

    private static void runOnce(final BenchmarkListEntry entry) throws Exception {
        final ChainedOptionsBuilder options = new OptionsBuilder()
                .include(BenchmarkCatalog.exactly(List.of(entry.getUsername())))
                .forks(1)
                .warmupForks(0)
                .warmupIterations(0)
                .measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(30))
                .shouldFailOnError(true)
                .output(LOGS.resolve(entry.getUsername() + ".log").toString());
        BenchmarkCatalog.firstParams(entry).forEach((name, values) -> options.param(name, values.getFirst()));
        final Collection<RunResult> results = new Runner(options.build()).run();
        assertEquals(1, results.size(), entry.getUsername() + ": results " + results);
        final RunResult result = results.iterator().next();
        final double score = result.getPrimaryResult().getScore();
        assertTrue(Double.isFinite(score) && score >= 0, entry.getUsername() + ": score " + score);
        BenchmarkCatalog.firstParams(entry).forEach((name, values) -> assertEquals(values.getFirst(),
                result.getParams().getParam(name), entry.getUsername() + ": parameter " + name));
    }
}
