package dev.pagoda.bench;

import dev.pagoda.bench.latency.AllocLatency;
import dev.pagoda.bench.workload.BurstIdleWorkload;
import dev.pagoda.bench.workload.VmcacheWorkload;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The programs that are not JMH benchmarks still run, with options small enough for a test. */
class ProgramsRunTest {
    @Test
    void allocLatencyPrintsItsTable() {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            AllocLatency.run(new String[] {"--sizes=64,16k", "--batch=64", "--iterations=5", "--warmup=2",
                "--allocators=pagoda,malloc"}, out);
        }
        final String table = bytes.toString(StandardCharsets.UTF_8);
        for (final String expected : List.of("timer", "(empty call)", "pagoda", "malloc", "allocate", "free",
                "16 KiB", "All figures in ns")) {
            assertTrue(table.contains(expected), "no '" + expected + "' in\n" + table);
        }
    }

    @Test
    void burstIdleWorkloadWritesItsCsvAndChart(@TempDir final Path out) throws Exception {
        final int status = BurstIdleWorkload.run(new String[] {"--working-set=64m", "--cycles=1",
            "--idle-seconds=1", "--allocators=pagoda,malloc", "--out=" + out});
        assertEquals(0, status, "a child process failed");
        final Path csv = out.resolve("burst-idle.csv");
        final List<String> lines = Files.readAllLines(csv);
        assertEquals("allocator,seconds,rss_bytes,live_bytes,cycle,phase", lines.getFirst());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("pagoda,") && l.endsWith(",idle")), "no pagoda idle");
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("malloc,") && l.endsWith(",idle")), "no malloc idle");
        assertTrue(Files.size(out.resolve("burst-idle-rss.png")) > 0, "empty chart");
        final String summary = BurstIdleWorkload.summary(csv);
        assertTrue(summary.contains("pagoda") && summary.contains("malloc"), summary);
    }

    @Test
    void vmcacheWorkloadReportsEveryPeerWithinItsBudget(@TempDir final Path out) throws Exception {
        final int status = VmcacheWorkload.run(new String[] {"--peers=pagoda,hashTable,mapped,pread",
            "--datasets=0.5,4", "--budget-mib=2", "--seconds=1", "--warmup-seconds=0", "--out=" + out,
            "--dir=" + out});
        assertEquals(0, status, "a child process failed");
        final List<String> summary = Files.readAllLines(out.resolve("buffer-pool-vmcache-rss-summary.csv"));
        assertEquals("workload,allocator,threads,metric,value,unit", summary.getFirst());
        for (final String run : List.of("pagoda@0.5x", "hashTable@0.5x", "mapped@0.5x", "pread@0.5x", "pagoda@4x",
                "hashTable@4x", "mapped@4x", "pread@4x")) {
            assertTrue(summary.stream().anyMatch(l -> l.contains("," + run + ",2,ops_per_s,")), "no ops/s of " + run);
            assertTrue(summary.stream().anyMatch(l -> l.contains("," + run + ",2,access_p999_ns,")), "no p99.9 of " + run);
        }
        for (final String pool : List.of("pagoda@4x", "hashTable@4x")) {
            final double held = summary.stream().filter(l -> l.contains("," + pool + ",2,held_mib,"))
                    .mapToDouble(l -> Double.parseDouble(l.split(",")[4])).findFirst().orElseThrow();
            assertTrue(held > 0 && held <= 2, pool + " holds " + held + " MiB of a 2 MiB budget");
        }
        assertTrue(Files.readAllLines(out.resolve("buffer-pool-vmcache-rss.csv")).stream()
                .anyMatch(l -> l.startsWith("mapped@4x,") && l.endsWith(",measure")), "no samples of mapped@4x");
        assertTrue(Files.size(out.resolve("buffer-pool-vmcache-rss-0.5x.png")) > 0, "empty chart");
        assertTrue(Files.size(out.resolve("buffer-pool-vmcache-rss-4x.png")) > 0, "empty chart");
        try (var files = Files.list(out)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".pages")), "data file left behind");
        }
    }
}
