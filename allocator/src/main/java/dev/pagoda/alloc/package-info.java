/**
 * Pagoda's allocator: arenas of reserved address space, a page allocator that finds runs of free pages in a
 * handful of steps, per-thread page caches, and exact knowledge of which pages are in use, free, or given
 * back to the OS. A port in spirit of the Go runtime's {@code mheap.go} (growth), {@code mpagealloc.go} and
 * {@code mpallocbits.go} (the page allocator), {@code mpagecache.go} (the caches) and {@code mgcscavenge.go}
 * (the scavenger), on Pagoda's
 * {@link dev.pagoda.os.OsMemory} state machine.
 *
 * <h2>Which package you need</h2>
 * This one: {@link dev.pagoda.alloc.Heap} for objects of any size (and {@link java.lang.foreign.Arena} views), or
 * {@link dev.pagoda.alloc.PageHeap} for runs of whole pages; {@link dev.pagoda.alloc.LocalHeap}, a thread-bound handle
 * on a heap for hot paths; their builders; {@link dev.pagoda.alloc.HugePagePolicy};
 * the statistics records ({@link dev.pagoda.alloc.HeapStats}, {@link dev.pagoda.alloc.PageHeapStats},
 * {@link dev.pagoda.alloc.SizeClassStats}, {@link dev.pagoda.alloc.ScavengerStats},
 * {@link dev.pagoda.alloc.HeapResidency}, {@link dev.pagoda.alloc.HugePageReport},
 * {@link dev.pagoda.alloc.ReclaimStats}); the error {@link dev.pagoda.alloc.PagodaOutOfMemoryError} and the
 * {@link dev.pagoda.alloc.Reclaimer}s that free memory before it is thrown at the memory limit; the
 * {@link dev.pagoda.alloc.HeapMXBean}; and the optional {@link dev.pagoda.alloc.AgronaViews}.
 *
 * <h2>The engine, by concept</h2>
 * The module does not export these to users; each package's own essay explains it.
 * <ul>
 *   <li>{@code dev.pagoda.alloc.pagealloc}: the page allocator (Go's {@code pageAlloc}): bitmaps, radix summaries,
 *   per-thread page caches, the scavenger's index of free resident pages.</li>
 *   <li>{@code dev.pagoda.alloc.pageheap}: the page heap engine (Go's {@code mheap}): arenas and growth, runs, large
 *   runs, forced releases and the memory limit with its reclaimers, zeroing, closing, the invariant checker.</li>
 *   <li>{@code dev.pagoda.alloc.small}: the small-object engine under {@code Heap}: size classes, spans, thread
 *   caches, the span table, arenas, debug mode.</li>
 *   <li>{@code dev.pagoda.alloc.scavenge}: giving memory back in the background (Go's scavenger).</li>
 *   <li>{@code dev.pagoda.alloc.monitor} and {@code dev.pagoda.alloc.events}: JMX, residency, JFR events.</li>
 * </ul>
 * Dependencies flow one way: this package on the engine; the small-object engine on the page heap engine; the page
 * heap engine on the page allocator and the OS layer; the scavenger and the monitor beside them; the events a leaf.
 * The engine uses this package's value types (records, policies, the error) but never its classes with behaviour.
 * An architecture test ({@code ArchitectureTest}) holds the code to it.
 */
package dev.pagoda.alloc;
