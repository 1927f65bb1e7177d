/**
 * The page allocator, after the Go runtime's {@code mpagealloc.go}, {@code mpallocbits.go} and {@code mpagecache.go}:
 * which pages are free, found in a handful of steps; which free pages were given back to the OS; and the
 * per-thread page caches that serve small runs without a lock. It knows pages only by index: no addresses, no
 * system calls, no locks of its own (its callers hold the heap lock). The scavenger's index of where free resident
 * pages lie ({@code ScavengeIndex}) is updated by every allocation and free here, as Go's {@code scavengeIndex}
 * is by {@code pageAlloc}.
 *
 * <h2>Structures</h2>
 * <ul>
 *   <li><b>The page allocator</b> ({@link PageAlloc}). Pages (8 KiB by default, or the OS page
 *   where that is larger) are numbered by index; chunks of 512 pages each have an allocation bitmap and a
 *   released bitmap. A radix tree of packed {@linkplain PageSummary summaries} sits on top:
 *   level 4 summarises one chunk by its free
 *   pages at the start, at the end, and in its longest run; each level above merges 8 entries, so a root
 *   entry covers 4096 chunks. Finding the first run of {@code n} free pages walks down the tree looking at
 *   8 entries per level, joining runs that cross entry boundaries, and ends with a word-at-a-time search of
 *   one chunk's bitmap: {@code O(levels)}, not a scan. Metadata grows with the slots in use.</li>
 *   <li><b>Page caches</b> ({@link PageCache}). Each platform thread takes a whole 64-page
 *   group from the allocator and serves runs of up to 15 pages from it with a few bit operations under the
 *   cache's own lock (uncontended: one compare-and-set), never the heap lock. Runs the thread frees go back into its cache when they lie in its group, and up to four freed runs of
 *   16 to 128 pages are kept for the thread's next request of the same length ({@code RunStash}).</li>
 * </ul>
 *
 */
package dev.pagoda.alloc.pagealloc;
