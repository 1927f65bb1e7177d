package dev.pagoda.bench.jmh;

import dev.pagoda.bench.jmh.HeapCensus.Counts;
import dev.pagoda.bench.jmh.HeapCensus.Reading;
import dev.pagoda.os.Platform;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.profile.ProfilerException;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.ScalarResult;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * A JMH profiler that reports, per iteration, what {@code -prof gc} reports for the Java heap, for off-heap memory:
 * the process's resident set, and the Pagoda heaps' Ready, live and released bytes and small-object allocations.
 * It runs inside the benchmark JVM and finds the heaps through their MBeans, so the benchmark needs no hook:
 *
 * <pre>{@code
 * java -jar benchmarks.jar MyBenchmark -prof dev.pagoda.bench.jmh.OffHeapProfiler
 * java -jar benchmarks.jar MyBenchmark -prof 'dev.pagoda.bench.jmh.OffHeapProfiler:perHeap=true'
 * }</pre>
 *
 * <p>The results, as JMH prints them after each iteration and aggregates over the measured ones:
 * <table>
 *   <caption>Results</caption>
 *   <tr><th>label</th><th>unit</th><th>over iterations</th><th>meaning</th></tr>
 *   <tr><td>{@code offheap.rss}</td><td>KiB</td><td>max</td><td>the process's resident set at the iteration's end
 *       (Java heap and every allocator included); NaN where the OS does not tell (Linux tells)</td></tr>
 *   <tr><td>{@code offheap.heaps}</td><td>#</td><td>max</td><td>Pagoda heaps open at the iteration's end, and
 *       those open at its start that closed during it</td></tr>
 *   <tr><td>{@code offheap.ready}</td><td>KiB</td><td>max</td><td>their Ready bytes, summed</td></tr>
 *   <tr><td>{@code offheap.live}</td><td>KiB</td><td>max</td><td>their page runs handed out (spans of small
 *       objects included), summed: the {@code AllocatedBytes} attribute</td></tr>
 *   <tr><td>{@code offheap.released}</td><td>KiB</td><td>max</td><td>their free pages released to the OS</td></tr>
 *   <tr><td>{@code offheap.small.alloc.rate}</td><td>MB/sec</td><td>average</td><td>bytes of small objects
 *       (up to 32 KiB) allocated during the iteration by every Pagoda heap, per second (MB of 2<sup>20</sup> bytes,
 *       as {@code gc.alloc.rate})</td></tr>
 *   <tr><td>{@code offheap.small.alloc.rate.norm}</td><td>B/op</td><td>average</td><td>the same per
 *       benchmark operation</td></tr>
 *   <tr><td>{@code offheap.small.alloc.count.norm}</td><td>#/op</td><td>average</td><td>small objects allocated
 *       per operation</td></tr>
 *   <tr><td>{@code offheap.heaps.closed}</td><td>#</td><td>sum</td><td>heaps closed during the iteration (their
 *       allocations are counted); only when some closed</td></tr>
 * </table>
 * With {@code perHeap=true}, {@code offheap.ready}, {@code .live}, {@code .released} and
 * {@code .small.alloc.rate.norm} are also reported per heap, suffixed {@code :NAME}: one line per heap seen, so a
 * benchmark that opens a heap per invocation under a new name each time gets as many.
 *
 * <p>The levels are read at the end of each iteration, a heap that was open at its start and closed during it
 * (a trial-level {@code @TearDown} closes the heaps inside the last iteration) as it closed, and are aggregated
 * as their maximum, as JMH's own footprint profiler ({@code -prof mempool}) does. A heap that opens and closes
 * within one iteration has no level. Allocations are exact: the heaps count them in any case, and this profiler
 * differences the counters, including those of heaps that open or close during the iteration. Page runs
 * (allocations above 32 KiB) and {@code PageHeap}s, which have no MBean, are not counted. The
 * {@linkplain dev.pagoda.bench.jmh package documentation} explains how and what it costs.
 *
 * <p>JMH calls {@link #beforeIteration} and {@link #afterIteration} from one thread, in turn.
 */
public final class OffHeapProfiler implements InternalProfiler {
    private static final double KIB = 1024;
    private static final double MIB = 1024 * 1024;

    private final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    private final boolean perHeap;
    /** The current iteration's ledger, null between iterations. */
    private HeapLedger ledger;
    private long beganNanos;
    private boolean rssUnknownTold;

    /** A profiler with the default options: sums over the heaps only. */
    public OffHeapProfiler() {
        this.perHeap = false;
    }

    /**
     * A profiler with the options JMH passes after the class name ({@code -prof CLASS:OPTIONS}).
     *
     * @param options empty, or {@code perHeap=true} or {@code perHeap=false}
     * @throws ProfilerException if an option is unknown or its value is not {@code true} or {@code false}
     */
    public OffHeapProfiler(final String options) throws ProfilerException {
        boolean each = false;
        for (final String option : options.split("[;,]")) {
            final String o = option.strip();
            if (o.isEmpty()) {
                continue;
            }
            final int eq = o.indexOf('=');
            final String key = eq < 0 ? o : o.substring(0, eq).strip();
            final String value = eq < 0 ? "true" : o.substring(eq + 1).strip();
            if (!key.equals("perHeap")) {
                throw new ProfilerException("unknown option '" + o + "': " + OffHeapProfiler.class.getSimpleName()
                        + " takes perHeap=true|false");
            }
            if (!value.equals("true") && !value.equals("false")) {
                throw new ProfilerException("perHeap must be true or false: perHeap=" + value);
            }
            each = Boolean.parseBoolean(value);
        }
        this.perHeap = each;
    }

    @Override
    public String getDescription() {
        return "Off-heap memory: the process's RSS, and Pagoda heaps' Ready, live and released bytes and "
                + "small-object allocations (via their MBeans)";
    }

    @Override
    public void beforeIteration(final BenchmarkParams benchmarkParams, final IterationParams iterationParams) {
        if (ledger != null) {
            ledger.stop(); // the last iteration failed before afterIteration
        }
        ledger = HeapLedger.begin(server);
        beganNanos = System.nanoTime();
    }

    @Override
    public Collection<ScalarResult> afterIteration(final BenchmarkParams benchmarkParams,
                                                   final IterationParams iterationParams,
                                                   final IterationResult result) {
        final long nanos = System.nanoTime() - beganNanos;
        final HeapLedger.Period period = ledger.end();
        ledger = null;
        final long ops = result.getMetadata() != null ? result.getMetadata().getAllOps() : 0;
        final List<ScalarResult> results = new ArrayList<>();
        results.add(level("offheap.rss", rssBytes()));
        results.add(new ScalarResult("offheap.heaps", period.heaps().size(), "#", AggregationPolicy.MAX));
        results.add(level("offheap.ready", period.sum(Reading::readyBytes)));
        results.add(level("offheap.live", period.sum(Reading::liveBytes)));
        results.add(level("offheap.released", period.sum(Reading::releasedBytes)));
        final Counts allocated = period.total();
        results.add(new ScalarResult("offheap.small.alloc.rate",
                nanos > 0 ? allocated.bytes() / MIB * TimeUnit.SECONDS.toNanos(1) / nanos : Double.NaN, "MB/sec",
                AggregationPolicy.AVG));
        results.add(perOp("offheap.small.alloc.rate.norm", allocated.bytes(), ops, "B/op"));
        results.add(perOp("offheap.small.alloc.count.norm", allocated.objects(), ops, "#/op"));
        if (period.heapsClosed() > 0) {
            results.add(new ScalarResult("offheap.heaps.closed", period.heapsClosed(), "#", AggregationPolicy.SUM));
        }
        if (perHeap) {
            addPerHeap(results, period, ops);
        }
        return results;
    }

    private static void addPerHeap(final List<ScalarResult> results, final HeapLedger.Period period, final long ops) {
        for (final Map.Entry<ObjectName, Reading> e : period.heaps().entrySet()) {
            final String suffix = ":" + HeapCensus.heapName(e.getKey());
            final Reading r = e.getValue();
            results.add(level("offheap.ready" + suffix, r.readyBytes()));
            results.add(level("offheap.live" + suffix, r.liveBytes()));
            results.add(level("offheap.released" + suffix, r.releasedBytes()));
        }
        for (final Map.Entry<ObjectName, Counts> e : period.allocations().entrySet()) {
            results.add(perOp("offheap.small.alloc.rate.norm:" + HeapCensus.heapName(e.getKey()),
                    e.getValue().bytes(), ops, "B/op"));
        }
    }

    /** The resident set in bytes, or NaN (said once) where the OS does not tell. */
    private double rssBytes() {
        final OptionalLong rss = Platform.processMemory().rssBytes();
        if (rss.isPresent()) {
            return rss.getAsLong();
        }
        if (!rssUnknownTold) {
            rssUnknownTold = true;
            System.out.println("OffHeapProfiler: this OS does not report the resident set (Linux's /proc does); "
                    + "offheap.rss is NaN");
        }
        return Double.NaN;
    }

    /** A level in KiB, aggregated over iterations as its maximum. */
    private static ScalarResult level(final String label, final double bytes) {
        return new ScalarResult(label, bytes / KIB, "KiB", AggregationPolicy.MAX);
    }

    /** An amount per operation, averaged over iterations; NaN if the iteration counted no operation. */
    private static ScalarResult perOp(final String label, final long amount, final long ops, final String unit) {
        return new ScalarResult(label, ops != 0 ? (double) amount / ops : Double.NaN, unit, AggregationPolicy.AVG);
    }
}
