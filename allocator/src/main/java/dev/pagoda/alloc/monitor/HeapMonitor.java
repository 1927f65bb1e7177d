package dev.pagoda.alloc.monitor;

import dev.pagoda.alloc.HeapMXBean;
import dev.pagoda.alloc.HeapResidency;
import dev.pagoda.alloc.PageHeapStats;
import dev.pagoda.alloc.SizeClassStats;
import dev.pagoda.os.Platform;

import java.lang.management.ManagementFactory;
import javax.management.InstanceAlreadyExistsException;
import javax.management.JMException;
import javax.management.ObjectName;

/**
 * The {@link HeapMXBean} of one heap, registered while the heap is open. Every attribute is read from the heap
 * when asked, through {@link MonitoredHeap}; nothing is cached or sampled in the background.
 */
public final class HeapMonitor implements HeapMXBean {
    private final MonitoredHeap heap;
    private final ObjectName objectName;

    private HeapMonitor(final MonitoredHeap heap, final ObjectName objectName) {
        this.heap = heap;
        this.objectName = objectName;
    }

    /**
     * Registers a monitor for {@code heap}; the name must not be taken by another open heap. On failure runs
     * {@code undo} (which closes what the heap built) and rethrows.
     *
     * @param heap the heap's figures and operations
     * @param undo what to run if registration fails
     * @return the registered monitor
     * @throws IllegalArgumentException if the name is no JMX name or is taken
     */
    public static HeapMonitor register(final MonitoredHeap heap, final Runnable undo) {
        try {
            return register(heap);
        } catch (final RuntimeException e) {
            undo.run();
            throw e;
        }
    }

    private static HeapMonitor register(final MonitoredHeap heap) {
        final ObjectName name;
        try {
            name = new ObjectName("dev.pagoda:type=Heap,name=" + ObjectName.quote(heap.name()));
        } catch (final JMException e) {
            throw new IllegalArgumentException("name cannot be a JMX name: name=" + heap.name(), e);
        }
        final HeapMonitor monitor = new HeapMonitor(heap, name);
        try {
            ManagementFactory.getPlatformMBeanServer().registerMBean(monitor, name);
        } catch (final InstanceAlreadyExistsException e) {
            throw new IllegalArgumentException("name must be unique among open heaps with JMX on: a heap named '"
                    + heap.name() + "' is registered already", e);
        } catch (final JMException e) {
            throw new IllegalStateException("could not register the heap's MBean " + name, e);
        }
        return monitor;
    }

    /** Unregisters the monitor; idempotent. */
    public void unregister() {
        try {
            ManagementFactory.getPlatformMBeanServer().unregisterMBean(objectName);
        } catch (final JMException ignored) {
            // not registered any more: nothing to undo
        }
    }

    private PageHeapStats pages() {
        return heap.pageStats();
    }

    @Override
    public String getName() {
        return heap.name();
    }

    @Override
    public long getAllocatedBytes() {
        return pages().allocatedBytes();
    }

    @Override
    public long getTotalSmallAllocations() {
        long count = 0;
        for (final SizeClassStats c : heap.sizeClasses()) {
            count += c.allocations();
        }
        return count;
    }

    @Override
    public long getTotalSmallAllocationBytes() {
        long bytes = 0;
        for (final SizeClassStats c : heap.sizeClasses()) {
            bytes += c.allocations() * c.size();
        }
        return bytes;
    }

    @Override
    public long getRetainedBytes() {
        return pages().scavenger().retainedBytes();
    }

    @Override
    public long getReadyBytes() {
        return pages().readyBytes();
    }

    @Override
    public long getReleasedBytes() {
        return pages().releasedBytes();
    }

    @Override
    public long getReleasedBackgroundBytes() {
        return pages().scavenger().releasedBackgroundBytes();
    }

    @Override
    public long getReleasedOnDemandBytes() {
        return pages().scavenger().releasedOnDemandBytes();
    }

    @Override
    public long getScavengerWorkNanos() {
        return pages().scavenger().workNanos();
    }

    @Override
    public long getScavengerCycles() {
        return pages().scavenger().cycles();
    }

    @Override
    public long getMemoryLimit() {
        return heap.memoryLimit();
    }

    @Override
    public void setMemoryLimit(final long bytes) {
        heap.memoryLimit(bytes);
    }

    @Override
    public long getMemoryTarget() {
        return heap.memoryTarget();
    }

    @Override
    public void setMemoryTarget(final long bytes) {
        heap.memoryTarget(bytes);
    }

    @Override
    public String getHugePagePolicy() {
        return heap.hugePages().inForce().name();
    }

    @Override
    public String getHugePageReason() {
        return heap.hugePages().reason();
    }

    @Override
    public long getResidentBytes() {
        final HeapResidency r = heap.residency();
        return r == null ? -1 : r.residentBytes();
    }

    @Override
    public long getHugePageBytes() {
        final HeapResidency r = heap.residency();
        return r == null ? -1 : r.hugePageBytes();
    }

    @Override
    public long getProcessRssBytes() {
        return Platform.processMemory().rssBytes().orElse(-1);
    }

    @Override
    public long releaseToOs() {
        return heap.releaseToOs();
    }
}
