package dev.pagoda.bench.workload;

import org.HdrHistogram.Histogram;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One worker thread's figures during a churn workload's measured time: the latency of each allocate and each
 * free, in nanoseconds, and the operations done. Used by its thread only, then merged with {@link #add}.
 */
final class OpStats {
    /** The longest latency recorded; longer ones (a minute!) are recorded as this. */
    private static final long HIGHEST = TimeUnit.SECONDS.toNanos(60);

    private final Histogram alloc = new Histogram(HIGHEST, 3);
    private final Histogram free = new Histogram(HIGHEST, 3);
    private long ops;

    /**
     * Records one allocation's latency.
     *
     * @param nanos the time the allocate call took
     */
    void allocated(final long nanos) {
        alloc.recordValue(Math.min(Math.max(nanos, 0), HIGHEST));
    }

    /**
     * Records one free's latency.
     *
     * @param nanos the time the free call took
     */
    void freed(final long nanos) {
        free.recordValue(Math.min(Math.max(nanos, 0), HIGHEST));
    }

    /** Counts one operation of the workload's mix. */
    void op() {
        ops++;
    }

    /**
     * Adds another worker's figures to these.
     *
     * @param other the other worker's, finished
     */
    void add(final OpStats other) {
        alloc.add(other.alloc);
        free.add(other.free);
        ops += other.ops;
    }

    /**
     * The figures as metrics: operations per second, then allocate's and free's p50, p99, p99.9 and max.
     *
     * @param seconds the measured time
     * @return the metrics
     */
    List<Metric> metrics(final double seconds) {
        return List.of(new Metric("ops_per_s", Math.round(ops / seconds), "ops/s"),
                new Metric("allocs", alloc.getTotalCount(), "count"),
                new Metric("alloc_p50_ns", alloc.getValueAtPercentile(50), "ns"),
                new Metric("alloc_p99_ns", alloc.getValueAtPercentile(99), "ns"),
                new Metric("alloc_p999_ns", alloc.getValueAtPercentile(99.9), "ns"),
                new Metric("alloc_max_ns", alloc.getMaxValue(), "ns"),
                new Metric("frees", free.getTotalCount(), "count"),
                new Metric("free_p50_ns", free.getValueAtPercentile(50), "ns"),
                new Metric("free_p99_ns", free.getValueAtPercentile(99), "ns"),
                new Metric("free_p999_ns", free.getValueAtPercentile(99.9), "ns"),
                new Metric("free_max_ns", free.getMaxValue(), "ns"));
    }
}
