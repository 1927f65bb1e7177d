/**
 * A JMH profiler for off-heap memory, {@link dev.pagoda.bench.jmh.OffHeapProfiler}: what {@code -prof gc} tells about
 * the Java heap (how much is allocated per operation, how much is held), told about Pagoda's heaps and the process.
 *
 * <p><b>Where it runs.</b> JMH instantiates an internal profiler inside the benchmark JVM (the fork) and calls it
 * from the harness thread just before each iteration's workers start and just after they have all stopped. That is
 * where the heaps live, and at both moments no worker allocates, so the figures read then are quiescent. The
 * profiler finds the heaps without a hook in the benchmark: every {@code Heap} built with JMX on (the default)
 * registers its {@code HeapMXBean} with the platform MBean server as {@code dev.pagoda:type=Heap,name=NAME} while
 * it is open, and the profiler queries {@code dev.pagoda:type=Heap,*}.
 *
 * <p><b>Levels.</b> After each iteration the profiler reads, per heap, {@code ReadyBytes}, {@code AllocatedBytes}
 * (live page runs, spans of small objects included) and {@code ReleasedBytes}, sums them, and reads the process's
 * resident set ({@code Platform.processMemory()}: {@code /proc/self/smaps_rollup} or {@code VmRSS} on Linux,
 * unknown elsewhere). A heap that was open when the iteration began and closed during it counts with the figures
 * its close notification carries (below): JMH runs a trial-level {@code @TearDown} on a worker inside the last
 * iteration, before the profiler's {@code afterIteration}, and that iteration would otherwise read no heap at all.
 * A heap that opens and closes within one iteration (per invocation, or per iteration) has no level: there is no
 * one moment to read it at that means anything across iterations. A level is a state, not a flow, so over
 * iterations JMH keeps the maximum, as it does for {@code -prof mempool}; per iteration they are printed as read.
 *
 * <p><b>Allocations, the flow.</b> {@code HeapMXBean} carries two cumulative counters, {@code TotalSmallAllocations}
 * and {@code TotalSmallAllocationBytes}, summed on demand from the per-size-class counters the heap keeps anyway
 * (so profiling adds nothing to allocation). The bytes are the size classes' (what {@code usableSize} reports),
 * as {@code gc.alloc.rate.norm} counts object sizes rather than what the program asked for. The profiler differences
 * the counters over the iteration ({@link dev.pagoda.bench.jmh.HeapLedger}):
 * <ol>
 *   <li>before: it listens to the MBean server's delegate for heaps registering, reads every open heap's counters as
 *       its baseline, and listens to each heap's close notification;</li>
 *   <li>a heap that opens during the iteration gets a baseline of zero and a close listener;</li>
 *   <li>a heap that closes sends, from the closing thread and before its bean goes, one
 *       {@code dev.pagoda.heap.close} notification with its final counters and levels; final minus baseline is
 *       booked;</li>
 *   <li>after: it stops listening, then reads the heaps still open; for each, now minus baseline is booked.</li>
 * </ol>
 * The sum is exact whatever the heaps' lifetimes: a trial-level heap closes inside the last iteration, a
 * per-invocation heap opens and closes many times within one. Only a heap opening or closing in the instants between the profiler's reading and
 * its listening (which JMH's workers never do) could be missed, never counted twice. Divided by the iteration's
 * operations ({@code IterationResult}'s all-ops count, as {@code -prof gc} does) it gives bytes and objects per
 * operation; divided by the iteration's wall time, a rate in MB/s.
 *
 * <p><b>What is not seen.</b> Page runs (a {@code Heap} allocation above 32 KiB): the heap keeps no cumulative
 * count of them, and adding one would put work on their path; their memory shows in {@code offheap.live} and
 * {@code offheap.ready}. A standalone {@code PageHeap}, which registers no MBean. A heap built with
 * {@code jmx(false)}. Any other allocator ({@code malloc}, Netty, {@code Arena}), which only the resident set shows.
 *
 * <p><b>Cost.</b> Reading a heap's figures takes its locks for a moment (a statistics snapshot, microseconds) and
 * reading the resident set walks the process's mappings in the kernel (tens of microseconds); both happen outside
 * the measured time. Listening costs a heap one notification when it opens and one when it closes, handled on the
 * thread that opens or closes it, which allocates on the Java heap there (tens of KiB the first time, which loads
 * classes; little after): with {@code -prof gc} as well, the iterations in which heaps open or close show it.
 */
package dev.pagoda.bench.jmh;
