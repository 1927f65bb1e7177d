package dev.pagoda.alloc.monitor;

import dev.pagoda.alloc.HeapMXBean;
import dev.pagoda.alloc.HeapResidency;
import dev.pagoda.alloc.PageHeapStats;
import dev.pagoda.alloc.SizeClassStats;
import dev.pagoda.os.Platform;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.management.InstanceAlreadyExistsException;
import javax.management.JMException;
import javax.management.MBeanNotificationInfo;
import javax.management.Notification;
import javax.management.NotificationBroadcasterSupport;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeDataSupport;
import javax.management.openmbean.CompositeType;
import javax.management.openmbean.OpenDataException;
import javax.management.openmbean.OpenType;
import javax.management.openmbean.SimpleType;

/**
 * The {@link HeapMXBean} of one heap, registered while the heap is open. Every attribute is read from the heap
 * when asked, through {@link MonitoredHeap}; nothing is cached or sampled in the background. Listeners are called
 * in the thread that sends (the one closing the heap), and an exception a listener throws does not reach it.
 */
public final class HeapMonitor extends NotificationBroadcasterSupport implements HeapMXBean {
    /** The items of {@link HeapMXBean#CLOSE_NOTIFICATION}'s user data, named as the attributes they repeat. */
    private static final String[] FINAL_ITEMS = {"TotalSmallAllocations", "TotalSmallAllocationBytes", "ReadyBytes",
        "AllocatedBytes", "ReleasedBytes"};
    private static final CompositeType FINAL_FIGURES = finalFiguresType();

    private final MonitoredHeap heap;
    private final ObjectName objectName;
    /** Whether {@link #closing()} has run: the close notification goes out once, even if two closes race. */
    private final AtomicBoolean closingSeen = new AtomicBoolean();

    private HeapMonitor(final MonitoredHeap heap, final ObjectName objectName) {
        super(new MBeanNotificationInfo(new String[] {CLOSE_NOTIFICATION}, Notification.class.getName(),
                "sent once as the heap closes; user data: the final TotalSmallAllocations, "
                        + "TotalSmallAllocationBytes, ReadyBytes, AllocatedBytes and ReleasedBytes"));
        this.heap = heap;
        this.objectName = objectName;
    }

    private static CompositeType finalFiguresType() {
        try {
            return new CompositeType("dev.pagoda.HeapFinalFigures", "a heap's figures as it closes", FINAL_ITEMS,
                    new String[] {"small objects allocated", "bytes of those objects at their size classes",
                        "Ready bytes", "bytes of page runs handed out", "free bytes released to the OS"},
                    new OpenType<?>[] {SimpleType.LONG, SimpleType.LONG, SimpleType.LONG, SimpleType.LONG,
                        SimpleType.LONG});
        } catch (final OpenDataException e) {
            throw new ExceptionInInitializerError(e);
        }
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

    /**
     * Sends {@link HeapMXBean#CLOSE_NOTIFICATION} with the heap's final figures; the heap calls it as
     * {@code close()} begins, while it still answers. Sends nothing the second time (a second or racing
     * {@code close()}), nor if the heap no longer answers.
     */
    public void closing() {
        if (!closingSeen.compareAndSet(false, true)) {
            return;
        }
        final long[] totals;
        final PageHeapStats pages;
        try {
            totals = totals(heap.sizeClasses());
            pages = pages();
        } catch (final IllegalStateException closed) {
            return; // closed already: there are no final figures to read
        }
        final Notification n = new Notification(CLOSE_NOTIFICATION, objectName, 1,
                "heap '" + heap.name() + "' is closing");
        try {
            n.setUserData(new CompositeDataSupport(FINAL_FIGURES, FINAL_ITEMS, new Object[] {totals[0], totals[1],
                pages.readyBytes(), pages.allocatedBytes(), pages.releasedBytes()}));
        } catch (final OpenDataException e) {
            throw new IllegalStateException("the figures do not fit their own type", e);
        }
        sendNotification(n);
    }

    /** Objects and bytes (at their size classes) ever allocated, summed over the classes. */
    private static long[] totals(final List<SizeClassStats> classes) {
        long count = 0;
        long bytes = 0;
        for (final SizeClassStats c : classes) {
            count += c.allocations();
            bytes += c.allocations() * c.size();
        }
        return new long[] {count, bytes};
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
        return totals(heap.sizeClasses())[0];
    }

    @Override
    public long getTotalSmallAllocationBytes() {
        return totals(heap.sizeClasses())[1];
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
    public long getReclaimRounds() {
        return pages().reclaims().rounds();
    }

    @Override
    public long getReclaimedBytes() {
        return pages().reclaims().bytesReclaimed();
    }

    @Override
    public long getReclaimFailedAllocations() {
        return pages().reclaims().allocationsFailed();
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
