package dev.pagoda.alloc.monitor;

import dev.pagoda.alloc.HeapResidency;
import dev.pagoda.alloc.HugePageReport;
import dev.pagoda.alloc.PageHeapStats;
import dev.pagoda.alloc.SizeClassStats;

import java.util.List;

/**
 * What a {@link HeapMonitor} reads from and does to its heap: the heap hands the monitor an implementation, so the
 * monitor depends on this interface and the public value types, never on the heap's class.
 */
public interface MonitoredHeap {
    /**
     * The heap's name, also its JMX name.
     *
     * @return the name
     */
    String name();

    /**
     * The page heap's statistics.
     *
     * @return a consistent snapshot
     */
    PageHeapStats pageStats();

    /**
     * The small-object counters per size class, as {@code Heap.stats()} reports them.
     *
     * @return one entry per class, smallest first
     */
    List<SizeClassStats> sizeClasses();

    /**
     * The hard limit on Ready bytes.
     *
     * @return the limit, {@link Long#MAX_VALUE} for none
     */
    long memoryLimit();

    /**
     * Changes the hard limit.
     *
     * @param bytes the new limit
     */
    void memoryLimit(long bytes);

    /**
     * The soft target on Ready bytes.
     *
     * @return the target, {@link Long#MAX_VALUE} for none
     */
    long memoryTarget();

    /**
     * Changes the soft target.
     *
     * @param bytes the new target
     */
    void memoryTarget(long bytes);

    /**
     * The huge-page policy in force and why.
     *
     * @return the report
     */
    HugePageReport hugePages();

    /**
     * Measures the heap's residency.
     *
     * @return the measurement, or null where there is no memory to measure (a simulated OS)
     */
    HeapResidency residency();

    /**
     * Gives free memory back to the OS now.
     *
     * @return the bytes released
     */
    long releaseToOs();
}
