package dev.pagoda.bench.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The vmcache results table from a small hand-written JMH result file. */
class VmcacheResultsTest {
    private static String result(final String method, final double score) {
        return """
                {"benchmark": "dev.pagoda.bench.VmcacheBenchmark.%s", "mode": "thrpt", "threads": 1,
                 "params": {"dist": "zipf", "updatePercent": "20", "dataset": "0.5", "budgetMiB": "128",
                            "pageSize": "16384"},
                 "primaryMetric": {"score": %s, "scoreError": 1.0, "scoreUnit": "ops/s"}}
                """.formatted(method, score);
    }

    @Test
    void ratiosAreWithinOneCase(@TempDir final Path dir) throws Exception {
        final Path json = dir.resolve("jmh.json");
        Files.writeString(json, "[" + String.join(",", result("t1_pagoda", 9e6), result("t1_pagodaOptimistic", 8e6),
                result("t1_hashTable", 6e6), result("t1_mapped", 1.08e7), result("t1_pread", 2e5)) + "]");
        final String table = VmcacheResults.write(json, dir);
        final List<String> csv = Files.readAllLines(dir.resolve("buffer-pool-vmcache.csv"));
        assertEquals(2, csv.size(), csv.toString());
        assertTrue(csv.get(1).startsWith("1,zipf,20,0.5,9000000,1,8000000,1,6000000,1,10800000,1,200000,1,"),
                csv.get(1));
        assertTrue(csv.get(1).endsWith(",1.50,1.33,1.20,1.35"), csv.get(1));
        assertTrue(table.contains("| 1 | zipf | 20% | 0.5× | 9.00 | 8.00 | 6.00 | 10.80 | 0.200 | 1.50 | 1.20 |"),
                table);
        assertTrue(Files.size(dir.resolve("buffer-pool-vmcache.png")) > 0);
    }

    @Test
    void refusesAFileWithoutItsResults(@TempDir final Path dir) throws Exception {
        final Path json = dir.resolve("jmh.json");
        Files.writeString(json, "[]");
        assertThrows(IllegalArgumentException.class, () -> VmcacheResults.write(json, dir));
    }
}
