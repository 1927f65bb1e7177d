package dev.pagoda.bench.workload;

import java.io.IOException;
import java.util.List;
import java.util.Locale;

/**
 * The off-heap cache churn workload: a key-value cache whose values live off-heap, under a steady mix of gets,
 * puts and evictions from several threads. It measures per allocator the throughput, the latency of each
 * allocate and each free (HdrHistogram: p50, p99, p99.9, max), and the resident set over time. Each allocator
 * runs in a child JVM of its own ({@link CacheChurnChild}), one after the other.
 *
 * <p><b>The cache.</b> An on-heap index ({@link CacheIndex}) maps each key, 0 to {@code --entries} − 1, to its
 * value's block and length. Values are 32 B to 1 KiB nine times in ten, 1 to 16 KiB nearly once in ten and
 * 16 to 256 KiB once in a hundred (log-uniform within each band, 1.6 KiB on average). Each worker thread owns an
 * equal range of the keys; its operations are 70% get (read the value's first and last 8 bytes), 20% put
 * (allocate a value, write all of it, free the value it replaces) and 10% evict (free the value), with one put
 * in twenty going to another thread's key, so that blocks are also freed by threads that did not allocate
 * them. Gets and evictions balance puts with two keys in three holding a value: the fill gives each key a
 * value with that probability, about 200 MiB of values for the 200,000 default keys. After the fill, the
 * workers churn unmeasured for {@code --warmup-seconds}, then measured for {@code --seconds}.
 *
 * <p><b>Usage.</b> Build with {@code mvn -q -B -pl bench -am package -DskipTests}, then, from the repository's
 * root:
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar dev.pagoda.bench.workload.CacheChurnWorkload [options]
 * </pre>
 * Options, with defaults: {@code --threads=2}, {@code --seconds=20}, {@code --warmup-seconds=2},
 * {@code --entries=200000}, {@code --allocators=pagoda-nozero,malloc,netty-pooled,netty-adaptive,pagoda,calloc},
 * {@code --out=bench/results}, {@code --seed=42}; {@code --quick} starts from 20,000 entries, 2 measured seconds
 * and 1 of warm-up (the whole run then takes about half a minute). It writes {@code cache-churn.csv} (the
 * resident set and live bytes every 100 ms), {@code cache-churn-summary.csv} (header
 * {@code workload,allocator,threads,metric,value,unit}) and {@code cache-churn-rss.png}, and prints the summary
 * with the zeroing allocators ({@code pagoda}: {@code Heap.create()}; {@code calloc}) apart from the others
 * ({@code pagoda-nozero}: {@code Heap.builder().zeroing(false).build()}; {@code malloc}; Netty's pooled and
 * adaptive direct buffers). Netty's pooled thread caches are enabled for all threads, as its event loops have
 * them. The default run takes about two and a half minutes.
 */
public final class CacheChurnWorkload {
    /** The allocators this workload runs, in the default order. */
    static final List<String> ALLOCATORS =
            List.of("pagoda-nozero", "malloc", "netty-pooled", "netty-adaptive", "pagoda", "calloc");

    private CacheChurnWorkload() {
    }

    /**
     * Runs the workload on each allocator and writes the results.
     *
     * @param args {@code --key=value} options and {@code --quick}, see the class comment
     * @throws IOException          if a child cannot be started or a result cannot be written
     * @throws InterruptedException if interrupted while waiting for a child
     */
    public static void main(final String[] args) throws IOException, InterruptedException {
        ChurnReport.main(args, new ChurnReport.Workload("cache-churn", CacheChurnChild.class, ALLOCATORS,
                "Off-heap cache churn: resident set over time", false, options -> 4L << 30,
                options -> String.format(Locale.ROOT, "%d keys (2/3 hold a value, 32 B-256 KiB, long-tailed), "
                                + "%d threads: 70%% get, 20%% put (5%% into another thread's keys), 10%% evict; "
                                + "%d s warm-up after the fill, %d s measured; RSS every %d ms; each allocator in "
                                + "its own JVM", options.entries(), options.threads(), options.warmupSeconds(),
                        options.seconds(), ChurnHarness.SAMPLE_PERIOD.toMillis())));
    }
}
