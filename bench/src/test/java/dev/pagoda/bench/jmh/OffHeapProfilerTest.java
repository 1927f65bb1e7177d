package dev.pagoda.bench.jmh;

import dev.pagoda.bench.BenchmarkCatalog;
import dev.pagoda.os.Platform;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.profile.ProfilerException;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The profiler in a real JMH run: {@code SmallObjectBenchmark.t1_zero_pagoda} at 64 bytes allocates and frees
 * exactly one 64-byte object per operation from one of its two trial-level heaps, so every iteration must show
 * 64 B/op, one object per op and both heaps, the first (heaps opened inside it) and the last (heaps closed inside
 * it, by the trial's tear-down) included. One forked JVM, as {@code java -jar benchmarks.jar -prof} runs it; about two seconds.
 */
class OffHeapProfilerTest {
    private static final Path LOGS = Path.of("target", "jmh-smoke");

    @Test
    void reportsExactAllocationsPerOperationAndPlausibleLevels() throws Exception {
        Files.createDirectories(LOGS);
        final Collection<RunResult> runs = new Runner(new OptionsBuilder()
                .include(BenchmarkCatalog.exactly(List.of("dev.pagoda.bench.SmallObjectBenchmark.t1_zero_pagoda")))
                .param("size", "64")
                .forks(1)
                .warmupForks(0)
                .warmupIterations(0)
                .measurementIterations(3)
                .measurementTime(TimeValue.milliseconds(50))
                .addProfiler(OffHeapProfiler.class, "perHeap=true")
                .shouldFailOnError(true)
                .output(LOGS.resolve("OffHeapProfiler.log").toString())
                .build()).run();
        assertEquals(1, runs.size());
        final RunResult r = runs.iterator().next();
        final String all = r.getSecondaryResults().keySet().stream().sorted()
                .map(k -> k + "=" + r.getSecondaryResults().get(k).getScore()).toList().toString();

        assertEquals(64.0, score(r, "offheap.small.alloc.rate.norm"), 1e-9, all);
        assertEquals(1.0, score(r, "offheap.small.alloc.count.norm"), 1e-9, all);
        assertTrue(score(r, "offheap.small.alloc.rate") > 0, all);
        assertEquals(2.0, score(r, "offheap.heaps"), all); // the zeroing heap and the non-zeroing one
        assertEquals(2.0, score(r, "offheap.heaps.closed"), "both, by the trial's @TearDown: " + all);
        final double live = score(r, "offheap.live");
        assertTrue(live >= 8 && live <= score(r, "offheap.ready"), "a span of 8 KiB at least, all of it Ready: " + all);
        // Two heaps named heap-N in the fork: one did all the allocating, the other none.
        final List<String> perHeapNorms = r.getSecondaryResults().keySet().stream()
                .filter(k -> k.startsWith("offheap.small.alloc.rate.norm:")).sorted().toList();
        assertEquals(2, perHeapNorms.size(), all);
        assertEquals(64.0, score(r, perHeapNorms.get(0)) + score(r, perHeapNorms.get(1)), 1e-9, all);
        // Per iteration too: the first opens the heaps, the last closes them (trial tear-down), both read in full.
        final List<IterationResult> iterations = List.copyOf(r.getBenchmarkResults().iterator().next()
                .getIterationResults());
        assertEquals(3, iterations.size());
        for (final IterationResult it : iterations) {
            final String one = it.getSecondaryResults().toString();
            assertEquals(64.0, it.getSecondaryResults().get("offheap.small.alloc.rate.norm").getScore(), 1e-9, one);
            assertEquals(2.0, it.getSecondaryResults().get("offheap.heaps").getScore(), one);
            assertTrue(it.getSecondaryResults().get("offheap.live").getScore() >= 8, one);
        }
        if (Platform.processMemory().rssBytes().isPresent()) {
            assertTrue(score(r, "offheap.rss") > 64 * 1024, "a JVM's resident set is tens of MiB: " + all);
        } else {
            assertTrue(Double.isNaN(score(r, "offheap.rss")), all);
        }
    }

    @Test
    void refusesOptionsItDoesNotKnow() throws Exception {
        assertThrows(ProfilerException.class, () -> new OffHeapProfiler("perheap=true"));
        assertThrows(ProfilerException.class, () -> new OffHeapProfiler("perHeap=yes"));
        assertNotNull(new OffHeapProfiler(""));
        assertNotNull(new OffHeapProfiler("perHeap"));
    }

    private static double score(final RunResult run, final String label) {
        final Result<?> result = run.getSecondaryResults().get(label);
        assertNotNull(result, () -> "no " + label + " in " + run.getSecondaryResults().keySet());
        return result.getScore();
    }
}
