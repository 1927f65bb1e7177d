package dev.pagoda.bench.jmh;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import javax.management.Attribute;
import javax.management.AttributeList;
import javax.management.InstanceNotFoundException;
import javax.management.MBeanServer;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;
import javax.management.ReflectionException;

/**
 * The Pagoda heaps open at one moment, read through their MBeans ({@code dev.pagoda:type=Heap,name=...}): for
 * each, the figures the profiler reports. A heap that closes while it is read is left out, as if read a moment
 * later: its bean is gone, or one of its getters refused because the heap had begun to close.
 *
 * @param heaps each heap's reading by its MBean's name, in name order
 */
record HeapCensus(Map<ObjectName, Reading> heaps) {
    /** Every heap's MBean. */
    static final ObjectName HEAPS = pattern("dev.pagoda:type=Heap,*");

    private static final String[] ATTRIBUTES = {"ReadyBytes", "AllocatedBytes", "ReleasedBytes",
        "TotalSmallAllocations", "TotalSmallAllocationBytes"};

    /**
     * One heap's figures.
     *
     * @param readyBytes    the heap's Ready bytes ({@code ReadyBytes})
     * @param liveBytes     bytes of page runs handed out, spans included ({@code AllocatedBytes})
     * @param releasedBytes free pages released to the OS ({@code ReleasedBytes})
     * @param counts        the cumulative small-allocation counters
     */
    record Reading(long readyBytes, long liveBytes, long releasedBytes, Counts counts) {
    }

    /**
     * Small-object allocations: cumulative counters of a heap, or a difference of two.
     *
     * @param objects small objects allocated
     * @param bytes   their bytes at their size classes
     */
    record Counts(long objects, long bytes) {
        /** No allocation. */
        static final Counts ZERO = new Counts(0, 0);

        Counts plus(final Counts other) {
            return new Counts(objects + other.objects, bytes + other.bytes);
        }

        Counts minus(final Counts other) {
            return new Counts(objects - other.objects, bytes - other.bytes);
        }

        /** Whether neither counter is below {@code other}'s: a later reading of the same heap. */
        boolean atLeast(final Counts other) {
            return objects >= other.objects && bytes >= other.bytes;
        }
    }

    /**
     * Reads every heap registered with {@code server} now.
     *
     * @param server the MBean server the heaps register with (the platform's)
     * @return the census
     */
    static HeapCensus take(final MBeanServer server) {
        final Map<ObjectName, Reading> heaps = new TreeMap<>();
        for (final ObjectName name : server.queryNames(HEAPS, null)) {
            final Reading r = read(server, name);
            if (r != null) {
                heaps.put(name, r);
            }
        }
        return new HeapCensus(Collections.unmodifiableMap(heaps));
    }

    /** One heap's figures, or null if it is gone or closing. */
    private static Reading read(final MBeanServer server, final ObjectName name) {
        final AttributeList list;
        try {
            list = server.getAttributes(name, ATTRIBUTES);
        } catch (final InstanceNotFoundException | ReflectionException gone) {
            return null;
        }
        final Map<String, Long> values = new HashMap<>();
        for (final Attribute a : list.asList()) {
            values.put(a.getName(), (Long) a.getValue());
        }
        if (values.size() < ATTRIBUTES.length) {
            return null; // getAttributes leaves out a getter that threw: the heap began to close
        }
        return new Reading(values.get("ReadyBytes"), values.get("AllocatedBytes"), values.get("ReleasedBytes"),
                new Counts(values.get("TotalSmallAllocations"), values.get("TotalSmallAllocationBytes")));
    }

    /**
     * The heap's own name, as given to its builder.
     *
     * @param bean the heap's MBean name
     * @return the value of its {@code name} key, unquoted
     */
    static String heapName(final ObjectName bean) {
        final String quoted = bean.getKeyProperty("name");
        return quoted.startsWith("\"") ? ObjectName.unquote(quoted) : quoted;
    }

    private static ObjectName pattern(final String pattern) {
        try {
            return new ObjectName(pattern);
        } catch (final MalformedObjectNameException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
