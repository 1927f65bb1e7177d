/**
 * Observability beside the heaps: the JMX MBean of each heap ({@link HeapMonitor}, reading the heap through
 * {@link MonitoredHeap} so that it never depends on the heap's class), and the residency measurement
 * ({@link ResidencyMeter}: {@code mincore} over the heap's ranges, huge pages from {@code smaps}). Nothing in the engine
 * depends on this package; the public {@code Heap} and {@code PageHeap} use it.
 */
package dev.pagoda.alloc.monitor;
