package dev.pagoda.bench.workload;

import dev.pagoda.bench.vmcache.DataFile;
import dev.pagoda.bench.vmcache.Peer;

import java.io.IOException;
import java.io.Writer;
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
 * Pagoda's vmcache buffer pool against its peers, each in a JVM of its own ({@link VmcacheChild}): latency of one
 * page access (HdrHistogram, p50 to max, with the timer's own cost), accesses per second with every access timed,
 * and memory: the resident set every 100 ms, its file-backed part, the peer's own count and the data file's pages
 * in the OS page cache. The accesses are those of {@code VmcacheBenchmark} (a read sums a word at every 4 KiB of
 * the page under a shared fix; an update writes one word under an exclusive fix and marks the page dirty).
 *
 * <p><b>Usage.</b> Build with {@code mvn -q -B -pl bench -am package -DskipTests}, then, from the repository's root:
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar dev.pagoda.bench.workload.VmcacheWorkload [options]
 * </pre>
 * Options, with defaults: {@code --peers=pagoda,pagodaOptimistic,hashTable,mapped,pread},
 * {@code --datasets=0.5,4} (the file's size over the budget; one file per value, made once and shared by the
 * peers), {@code --budget-mib=128}, {@code --page-size=16384}, {@code --dist=zipf} ({@code uniform}),
 * {@code --updates=20} (percent), {@code --threads=2}, {@code --seconds=5}, {@code --warmup-seconds=2},
 * {@code --dir=} (the data files' directory, default {@code -Dpagoda.bench.dir} or {@code java.io.tmpdir}; not a
 * tmpfs), {@code --out=bench/results}; {@code --quick} makes it 1 measured second and 1 of warm-up. The default run
 * takes about two minutes. It writes {@code buffer-pool-vmcache-rss.csv} (the samples),
 * {@code buffer-pool-vmcache-rss-summary.csv} (header {@code workload,allocator,threads,metric,value,unit}, one
 * metric a line, the run {@code <peer>@<dataset>x} in the allocator column) and one chart per data set,
 * {@code buffer-pool-vmcache-rss-<dataset>x.png},
 * and prints the summary.
 *
 * <p><b>The page cache.</b> The mapped file has no budget: the kernel keeps as much of the file as memory allows.
 * A memory cgroup would hold its JVM to the budget; this program does not make one (see the README: in the sandbox
 * the published run came from, the memory cgroup hierarchy belongs to the machine's supervisor), so it reports the
 * mapped file's resident set, its file-backed part and the page cache the file holds, beside its throughput. The
 * pools read with buffered I/O, so the file's pages sit in the page cache for them too.
 */
public final class VmcacheWorkload {
    private static final String NAME = "buffer-pool-vmcache-rss";
    private static final String[][] COLUMNS = {
        {"ops_per_s", "ops/s", "11"}, {"access_p50_ns", "p50", "8"}, {"access_p99_ns", "p99", "8"},
        {"access_p999_ns", "p99.9", "9"}, {"access_max_ns", "max", "10"}, {"rss_mib", "RSS", "7"},
        {"rss_file_mib", "RssFile", "8"}, {"held_mib", "held", "7"}, {"file_cached_mib", "cached", "7"},
    };

    private VmcacheWorkload() {
    }

    /**
     * Runs the workload and writes its results.
     *
     * @param args {@code --key=value} options and {@code --quick}, see the class comment
     * @throws IOException          if a file cannot be written or a child started
     * @throws InterruptedException if interrupted while waiting for a child
     */
    public static void main(final String[] args) throws IOException, InterruptedException {
        System.exit(run(args));
    }

    /**
     * Runs the workload: {@link #main} without exiting.
     *
     * @param args options, see the class comment
     * @return 0, or 1 if a child failed
     * @throws IOException          if a file cannot be written or a child started
     * @throws InterruptedException if interrupted while waiting for a child
     */
    public static int run(final String[] args) throws IOException, InterruptedException {
        final Map<String, String> o = new LinkedHashMap<>(Map.of(
                "peers", "pagoda,pagodaOptimistic,hashTable,mapped,pread", "datasets", "0.5,4", "budget-mib", "128",
                "page-size", "16384", "dist", "zipf", "updates", "20", "threads", "2", "seconds", "5",
                "warmup-seconds", "2", "out", "bench/results"));
        o.put("dir", DataFile.directory().toString());
        for (final String a : args) {
            if (a.equals("--quick")) {
                o.put("seconds", "1");
                o.put("warmup-seconds", "1");
                continue;
            }
            final String[] kv = a.startsWith("--") ? a.substring(2).split("=", 2) : new String[0];
            if (kv.length != 2 || !o.containsKey(kv[0])) {
                throw new IllegalArgumentException("unknown option " + a + "; options: " + o.keySet());
            }
            o.put(kv[0], kv[1]);
        }
        final List<Peer> peers = Arrays.stream(o.get("peers").split(",")).map(Peer::ofLabel).toList();
        final long budget = Long.parseLong(o.get("budget-mib")) << 20;
        final long pageSize = Long.parseLong(o.get("page-size"));
        final Path out = Path.of(o.get("out"));
        Files.createDirectories(out);
        final List<AllocatorRun> runs = new ArrayList<>();
        for (final String dataset : o.get("datasets").split(",")) {
            final long pages = (long) (Double.parseDouble(dataset) * budget) / pageSize;
            final Path file = DataFile.create(Path.of(o.get("dir")),
                    "vmcache-workload-" + ProcessHandle.current().pid() + ".pages", pages, pageSize);
            try {
                for (final Peer peer : peers) {
                    runs.add(ChildProcess.run(peer.label() + "@" + dataset + "x", VmcacheChild.class, 64L << 20,
                            List.of(), List.of("--file=" + file, "--pages=" + pages, "--page-size=" + pageSize,
                                    "--budget=" + budget, "--dist=" + o.get("dist"), "--updates=" + o.get("updates"),
                                    "--threads=" + o.get("threads"), "--seconds=" + o.get("seconds"),
                                    "--warmup-seconds=" + o.get("warmup-seconds"))));
                }
            } finally {
                Files.deleteIfExists(file);
            }
        }
        final String settings = String.format(Locale.ROOT, "%s pages, %d KiB each, budget %d MiB, data set %s x the "
                        + "budget; %s%% updates, %s threads; %s s warm-up, %s s measured; each peer in its own JVM",
                o.get("dist"), pageSize >> 10, budget >> 20, o.get("datasets"), o.get("updates"), o.get("threads"),
                o.get("warmup-seconds"), o.get("seconds"));
        final Path csv = out.resolve(NAME + ".csv");
        final Path summary = out.resolve(NAME + "-summary.csv");
        ChildProcess.writeSamples(runs, csv);
        writeSummary(runs, Integer.parseInt(o.get("threads")), summary);
        final List<Path> charts = new ArrayList<>();
        for (final String dataset : o.get("datasets").split(",")) {
            final Path png = out.resolve(NAME + "-" + dataset + "x.png");
            RssChart.write(runs.stream().filter(r -> r.allocator().endsWith("@" + dataset + "x")).toList(),
                    "vmcache buffer pool and peers, data set " + dataset + " x the budget: resident set (solid), "
                            + "memory held for pages (dashed)", settings, png);
            charts.add(png);
        }
        System.out.println(table(runs, settings));
        System.out.println("wrote " + csv + ", " + summary + " and " + charts);
        return runs.stream().allMatch(r -> r.exitCode() == 0 && !r.metrics().isEmpty()) ? 0 : 1;
    }

    private static void writeSummary(final List<AllocatorRun> runs, final int threads, final Path csv)
            throws IOException {
        try (Writer w = Files.newBufferedWriter(csv, StandardCharsets.UTF_8)) {
            w.write("workload,allocator,threads,metric,value,unit\n");
            for (final AllocatorRun run : runs) {
                for (final Metric m : run.metrics()) {
                    w.write(NAME + "," + run.allocator() + "," + threads + "," + m.name() + "," + m.formatted() + ","
                            + m.unit() + "\n");
                }
            }
        }
    }

    /**
     * The summary as a text table, one run a line.
     *
     * @param runs     the runs
     * @param settings the workload's settings, the table's heading
     * @return the table
     */
    static String table(final List<AllocatorRun> runs, final String settings) {
        final StringBuilder t = new StringBuilder(settings).append(
                "\nlatency of one access in ns (timer included, its p50 below); memory in MiB: RSS, its file-backed "
                        + "part, held for pages by the peer's count, the data file in the page cache\n");
        t.append(String.format(Locale.ROOT, "%-24s", "run"));
        for (final String[] c : COLUMNS) {
            t.append(String.format(Locale.ROOT, "%" + c[2] + "s", c[1]));
        }
        t.append(String.format(Locale.ROOT, "%8s%n", "timer"));
        for (final AllocatorRun run : runs) {
            t.append(String.format(Locale.ROOT, "%-24s", run.allocator()));
            for (final String[] c : COLUMNS) {
                t.append(String.format(Locale.ROOT, "%" + c[2] + "s", value(run, c[0])));
            }
            t.append(String.format(Locale.ROOT, "%8s%n", value(run, "timer_p50_ns")));
        }
        return t.toString();
    }

    private static String value(final AllocatorRun run, final String metric) {
        return run.metrics().stream().filter(m -> m.name().equals(metric)).map(Metric::formatted).findFirst()
                .orElse("-");
    }
}
