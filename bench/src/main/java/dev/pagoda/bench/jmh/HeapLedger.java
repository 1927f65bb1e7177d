package dev.pagoda.bench.jmh;

import dev.pagoda.alloc.HeapMXBean;
import dev.pagoda.bench.jmh.HeapCensus.Counts;

import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToLongFunction;
import javax.management.InstanceNotFoundException;
import javax.management.ListenerNotFoundException;
import javax.management.MBeanServer;
import javax.management.MBeanServerDelegate;
import javax.management.MBeanServerNotification;
import javax.management.Notification;
import javax.management.NotificationListener;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;

/**
 * The small-object allocations of every Pagoda heap over one period (a JMH iteration), including heaps that open
 * or close during it, and the heaps' levels at its end. The ledger keeps, per open heap, its counters when the
 * period began (zero for a heap that opened during it); a heap that closes hands in its final counters and levels
 * through its close notification, and the heaps still open are read when the period ends. See the
 * {@linkplain dev.pagoda.bench.jmh package documentation} for the moments at which heaps are assumed not to open or
 * close.
 *
 * <p>Notifications arrive on the threads that open and close heaps (the benchmark's); {@link #begin} and
 * {@link #end} run on one other thread, before and after those threads work.
 */
final class HeapLedger {
    private final MBeanServer server;
    private final NotificationListener onRegistry = this::registryChanged;
    private final NotificationListener onClose = this::heapClosed;
    /** Each open heap's counters when the period began, or zero if it opened during the period. */
    private final Map<ObjectName, Counts> baselines = new ConcurrentHashMap<>();
    /** The heaps open when the period began and not closed since. */
    private final Set<ObjectName> fromTheStart = ConcurrentHashMap.newKeySet();
    /** The heaps open when the period began that closed during it: their figures as they closed. */
    private final Map<ObjectName, HeapCensus.Reading> closedFromTheStart = new ConcurrentHashMap<>();
    /** Heaps whose close notification this ledger listens to. */
    private final Set<ObjectName> subscribed = ConcurrentHashMap.newKeySet();
    /** Allocations during the period by heaps that closed, by MBean name (a name reused adds up). */
    private final Map<ObjectName, Counts> closedAllocations = new ConcurrentHashMap<>();
    /** How many heaps closed during the period. */
    private final AtomicInteger closings = new AtomicInteger();

    private HeapLedger(final MBeanServer server) {
        this.server = server;
    }

    /**
     * What one period saw.
     *
     * @param heaps       the heaps open at its end, read then, and those open at its start that closed during it,
     *                    as they closed (a trial's heaps closed by its tear-down inside the last iteration); not
     *                    the heaps that opened and closed within the period
     * @param allocations small-object allocations during the period per heap (by MBean name), every heap included
     * @param heapsClosed how many heaps closed during the period
     */
    record Period(Map<ObjectName, HeapCensus.Reading> heaps, Map<ObjectName, Counts> allocations, int heapsClosed) {
        /**
         * A figure summed over {@link #heaps}.
         *
         * @param figure which figure
         * @return the sum
         */
        long sum(final ToLongFunction<HeapCensus.Reading> figure) {
            long sum = 0;
            for (final HeapCensus.Reading r : heaps.values()) {
                sum += figure.applyAsLong(r);
            }
            return sum;
        }

        /**
         * The allocations of all heaps together.
         *
         * @return the sum
         */
        Counts total() {
            Counts sum = Counts.ZERO;
            for (final Counts c : allocations.values()) {
                sum = sum.plus(c);
            }
            return sum;
        }
    }

    /**
     * Starts a period: listens for heaps opening, reads the open ones, and listens for each one's close.
     *
     * @param server the MBean server the heaps register with
     * @return the ledger of the period
     */
    static HeapLedger begin(final MBeanServer server) {
        final HeapLedger ledger = new HeapLedger(server);
        try {
            server.addNotificationListener(MBeanServerDelegate.DELEGATE_NAME, ledger.onRegistry, null, null);
        } catch (final InstanceNotFoundException e) {
            throw new IllegalStateException("an MBean server without its delegate", e);
        }
        for (final Map.Entry<ObjectName, HeapCensus.Reading> e : HeapCensus.take(server).heaps().entrySet()) {
            // A heap that opened since the listener was added already has its baseline: zero.
            if (ledger.baselines.putIfAbsent(e.getKey(), e.getValue().counts()) == null) {
                ledger.fromTheStart.add(e.getKey());
            }
            ledger.subscribe(e.getKey());
        }
        return ledger;
    }

    /**
     * Ends the period: stops listening, then reads the heaps still open. Stopping first means a heap closing
     * meanwhile is missed rather than counted twice.
     *
     * @return what the period saw
     */
    Period end() {
        stop();
        final HeapCensus end = HeapCensus.take(server);
        final Map<ObjectName, Counts> allocations = new TreeMap<>(closedAllocations);
        for (final Map.Entry<ObjectName, HeapCensus.Reading> e : end.heaps().entrySet()) {
            final Counts now = e.getValue().counts();
            final Counts base = baselines.getOrDefault(e.getKey(), Counts.ZERO);
            // Counters below the baseline belong to a heap that reopened under the name unseen: all of it is new.
            final Counts during = now.atLeast(base) ? now.minus(base) : now;
            allocations.merge(e.getKey(), during, Counts::plus);
        }
        final Map<ObjectName, HeapCensus.Reading> heaps = new TreeMap<>(closedFromTheStart);
        heaps.putAll(end.heaps()); // a name closed and reopened: the heap open now
        return new Period(Collections.unmodifiableMap(heaps), Collections.unmodifiableMap(allocations),
                closings.get());
    }

    /** Removes every listener of this ledger; a period abandoned (its iteration failed) ends here too. */
    void stop() {
        removeQuietly(MBeanServerDelegate.DELEGATE_NAME, onRegistry);
        for (final ObjectName heap : subscribed) {
            removeQuietly(heap, onClose);
        }
        subscribed.clear();
    }

    private void subscribe(final ObjectName heap) {
        try {
            server.addNotificationListener(heap, onClose, null, heap);
            subscribed.add(heap);
        } catch (final InstanceNotFoundException closed) {
            // closed before it could be listened to: it allocated nothing since it was read
        }
    }

    private void removeQuietly(final ObjectName bean, final NotificationListener listener) {
        try {
            server.removeNotificationListener(bean, listener);
        } catch (final InstanceNotFoundException | ListenerNotFoundException gone) {
            // unregistered with its heap, which takes its listeners along
        }
    }

    /** A heap opened: it starts from zero within the period. */
    private void registryChanged(final Notification n, final Object handback) {
        if (n instanceof MBeanServerNotification m && HeapCensus.HEAPS.apply(m.getMBeanName())) {
            final ObjectName heap = m.getMBeanName();
            if (MBeanServerNotification.REGISTRATION_NOTIFICATION.equals(m.getType())) {
                baselines.put(heap, Counts.ZERO);
                fromTheStart.remove(heap);
                subscribe(heap);
            } else if (MBeanServerNotification.UNREGISTRATION_NOTIFICATION.equals(m.getType())) {
                subscribed.remove(heap);
            }
        }
    }

    /**
     * A heap is closing: what it allocated since its baseline goes to the closed heaps' account, and if it was open
     * when the period began, its figures are kept as its levels.
     */
    private void heapClosed(final Notification n, final Object handback) {
        if (!HeapMXBean.CLOSE_NOTIFICATION.equals(n.getType()) || !(n.getUserData() instanceof CompositeData data)) {
            return;
        }
        final ObjectName heap = (ObjectName) handback;
        final Counts last = new Counts((Long) data.get("TotalSmallAllocations"),
                (Long) data.get("TotalSmallAllocationBytes"));
        if (fromTheStart.remove(heap)) {
            closedFromTheStart.put(heap, new HeapCensus.Reading((Long) data.get("ReadyBytes"),
                    (Long) data.get("AllocatedBytes"), (Long) data.get("ReleasedBytes"), last));
        }
        final Counts base = baselines.getOrDefault(heap, Counts.ZERO);
        baselines.remove(heap);
        closedAllocations.merge(heap, last.atLeast(base) ? last.minus(base) : last, Counts::plus);
        closings.incrementAndGet();
    }
}
