package dev.pagoda.bench.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The report from a small hand-written JMH result file. */
class ReportTest {
    private static final String JMH = """
            [
              {"jmhVersion": "1.37", "benchmark": "dev.pagoda.bench.SmallObjectBenchmark.t1_noZero_pagoda",
               "mode": "avgt", "threads": 1, "forks": 1, "jdkVersion": "25", "vmName": "OpenJDK 64-Bit Server VM",
               "vmVersion": "25+36", "warmupIterations": 1, "warmupTime": "1 s", "measurementIterations": 2,
               "measurementTime": "1 s", "params": {"size": "64"},
               "primaryMetric": {"score": 10.0, "scoreError": "NaN", "scoreUnit": "ns/op",
                                 "rawData": [[10.0, 10.0]]}, "secondaryMetrics": {}},
              {"benchmark": "dev.pagoda.bench.SmallObjectBenchmark.t1_noZero_malloc", "mode": "avgt",
               "threads": 1, "params": {"size": "64"},
               "primaryMetric": {"score": 20.0, "scoreError": 1.5, "scoreUnit": "ns/op"}},
              {"benchmark": "dev.pagoda.bench.SmallObjectBenchmark.t1_noZero_netty", "mode": "avgt",
               "threads": 1, "params": {"size": "64"},
               "primaryMetric": {"score": 40.0, "scoreError": 2.0e0, "scoreUnit": "ns/op"}},
              {"benchmark": "dev.pagoda.bench.SmallObjectBenchmark.t1_noZero_malloc", "mode": "avgt",
               "threads": 1, "params": {"size": "4096"},
               "primaryMetric": {"score": 5.0, "scoreError": 0.1, "scoreUnit": "ns/op"}},
              {"benchmark": "dev.pagoda.bench.ZeroFillBenchmark.segmentFill", "mode": "avgt", "threads": 1,
               "params": {"pages": "1"},
               "primaryMetric": {"score": 1234.5, "scoreError": 3.25, "scoreUnit": "ns/op"}}
            ]
            """;

    @Test
    void readsScoresAndFindsTheBestPeer(@TempDir final Path dir) throws Exception {
        final Path json = dir.resolve("jmh-test.json");
        Files.writeString(json, JMH);
        final List<Score> scores = Score.read(json);
        assertEquals(5, scores.size());
        final Score pagoda = scores.getFirst();
        assertEquals("SmallObjectBenchmark", pagoda.benchmarkClass());
        assertEquals(Map.of("size", "64"), pagoda.params());
        assertTrue(Double.isNaN(pagoda.error()));
        assertEquals("t1_noZero_malloc", Peers.bestPeer(pagoda, scores).orElseThrow().method());
        assertTrue(Peers.bestPeer(scores.get(1), scores).isEmpty(), "a peer has no ratio");
        assertTrue(Peers.bestPeer(scores.get(4), scores).isEmpty(), "no case, no ratio");
    }

    @Test
    void writesTablesChartsAndSummaries(@TempDir final Path dir) throws Exception {
        final Path json = dir.resolve("jmh-test.json");
        Files.writeString(json, JMH);
        Files.writeString(dir.resolve("steady-summary.csv"),
                Report.SUMMARY_HEADER + "\nsteady,pagoda,2,rss-peak,123.4,MiB\n");
        Files.writeString(dir.resolve("alloc-latency-quick.txt"), "group allocator\n");
        final String md = Files.readString(Report.write(json, dir));
        for (final String expected : List.of("### SmallObjectBenchmark", "**0.50** (`malloc`)",
                "| `segmentFill` | 1 | 1 | 1235 | 3.25 | ns/op |", "| steady | pagoda | 2 | rss-peak | 123.4 | MiB |",
                "group allocator", "(jmh-test-SmallObjectBenchmark.png)")) {
            assertTrue(md.contains(expected), "no '" + expected + "' in\n" + md);
        }
        assertTrue(Files.size(dir.resolve("jmh-test-SmallObjectBenchmark.png")) > 0);
        assertTrue(Files.size(dir.resolve("jmh-test-ZeroFillBenchmark.png")) > 0);
    }

    @Test
    void jsonReaderRejectsBrokenText() {
        assertThrows(IllegalArgumentException.class, () -> Json.parse("[1, 2"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\" 1}"));
        assertEquals(List.of("x\"y", 1.0, true, Map.of()), Json.parse("[\"x\\\"y\", 1, true, {}]"));
    }
}
