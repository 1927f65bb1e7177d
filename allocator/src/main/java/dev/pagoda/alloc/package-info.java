/**
 * Pagoda's page heap: arenas of reserved address space, a page allocator that finds runs of free pages in a
 * handful of steps, per-thread page caches, and exact knowledge of which pages are in use, free, or given
 * back to the OS. A port in spirit of the Go runtime's {@code mheap.go} (growth), {@code mpagealloc.go} and
 * {@code mpallocbits.go} (the page allocator), {@code mpagecache.go} (the caches) and {@code mgcscavenge.go}
 * (the scavenger), on Pagoda's
 * {@link dev.pagoda.os.OsMemory} state machine.
 *
 * <h2>Structures</h2>
 * <ul>
 *   <li><b>Arenas.</b> The heap grows by reserving arenas of address space, 64 MiB by default, aligned to their
 *   size ({@code reserveAligned}: over-reserve and trim, as Go does). An arena's address space is only
 *   Reserved; its chunks are mapped (Reserved → Prepared) from the bottom up as the heap needs them, so
 *   the commit charge follows use. An address-space budget caps what may be reserved. Each arena gets a
 *   <i>slot</i> of page indexes, and a two-level table finds the arena of any address without a lock.</li>
 *   <li><b>The page allocator</b> ({@link dev.pagoda.alloc.PageAlloc}). Pages (8 KiB by default, or the OS page
 *   where that is larger) are numbered by index; chunks of 512 pages each have an allocation bitmap and a
 *   released bitmap. A radix tree of packed {@linkplain dev.pagoda.alloc.PageSummary summaries} sits on top:
 *   level 4 summarises one chunk by its free
 *   pages at the start, at the end, and in its longest run; each level above merges 8 entries, so a root
 *   entry covers 4096 chunks. Finding the first run of {@code n} free pages walks down the tree looking at
 *   8 entries per level, joining runs that cross entry boundaries, and ends with a word-at-a-time search of
 *   one chunk's bitmap: {@code O(levels)}, not a scan. Metadata grows with the slots in use.</li>
 *   <li><b>Page caches</b> ({@link dev.pagoda.alloc.PageCache}). Each platform thread takes a whole 64-page
 *   group from the allocator and serves runs of up to 15 pages from it with a few bit operations under the
 *   cache's own lock (uncontended: one compare-and-set), never the heap lock. Runs the thread frees go back into its cache when they lie in its group, and up to four freed runs of
 *   16 to 128 pages are kept for the thread's next request of the same length ({@code RunStash}).</li>
 *   <li><b>Large runs.</b> A run longer than an arena gets a dedicated reservation, unmapped when freed.</li>
 * </ul>
 *
 * <h2>The allocation path</h2>
 * <ol>
 *   <li>Check the request; runs longer than an arena go to a dedicated reservation.</li>
 *   <li>Small runs on a platform thread: take them from the thread's cache. If it has no fitting run, flush it
 *   and refill it under the heap lock with the group of the first fitting run; make that group's released
 *   pages Ready ({@code used}) after the lock is dropped.</li>
 *   <li>Otherwise, under the heap lock: {@code find(n)}; {@code allocRange} marks the run allocated and
 *   reports how many of its pages were released. If nothing fits, grow: under a separate grow lock, pick an
 *   arena with enough unmapped chunks (or reserve a new one), map the chunks with no heap lock held, then add
 *   them to the allocator as free and released, and retry.</li>
 *   <li>With the heap lock dropped: call {@code used} over the run if any page was released (idempotent and
 *   exactly accounted by the OS layer), record the run's length at its first page, and zero it unless it is
 *   known to read as zero or the caller opted out.</li>
 * </ol>
 * Freeing reads the run's length from its first page with a compare-and-set to zero, which refuses interior
 * addresses and double frees, then returns the run to the thread's cache or, under the heap lock, to the
 * page allocator as free and resident.
 *
 * <h2>Giving memory back: the scavenger</h2>
 * Free pages stay resident until the scavenger releases them, after Go's {@code mgcscavenge.go}. Every release
 * is Go's {@code scavengeOne}: under the heap lock, find the highest run of free resident pages and mark it
 * allocated; with no lock held, {@code unused} it ({@code MADV_DONTNEED}); under the lock again, free it marked
 * released. No allocation waits for an {@code madvise}, and no run is ever both handed out and being released.
 * <ul>
 *   <li><b>Goals.</b> Retained pages (allocated plus free resident) at most live pages plus 10%, and, when a soft
 *   {@linkplain dev.pagoda.alloc.PageHeap#memoryTarget(long) memory target} is set, Ready bytes at most 95% of
 *   it. The hard {@linkplain dev.pagoda.alloc.PageHeap#memoryLimit(long) memory limit} is different: an
 *   allocation that would pass it first releases free pages synchronously, and fails only if that is not enough.
 *   {@code releaseToOs} releases everything free now (Go's {@code debug.FreeOSMemory}).</li>
 *   <li><b>Order and density</b> ({@code ScavengeIndex}). Highest addresses first, so the bottom of the heap, where
 *   first-fit allocation lands, stays dense and resident. Chunks that were at least 96.875% in use during the
 *   current or the previous generation (250 ms each) are skipped, as Go skips chunks dense in the current or last
 *   GC cycle. Releases never cross a huge page, so a wholly free huge page goes back in one call; when huge pages
 *   are in play, a huge page at least half in use is never split. While its goal wants at least 64 KiB, the
 *   background scavenger passes over shorter holes: every release costs a system call and a TLB shootdown, and
 *   a hole between live runs is the first memory to be reused. Forced releases ignore all three rules.</li>
 *   <li><b>The background thread</b> ({@code BackgroundScavenger}). One daemon thread serves every heap of the
 *   process, round-robin, one huge page at a time. A token bucket paces it to 1% of one core, measured with the
 *   monotonic clock around its own work; credit saved while idle (up to 30 s worth, 300 ms of work) is spent at
 *   once, so memory freed after a quiet spell goes back within a second instead of trickling back. With nothing
 *   to do it parks for 100 ms between looks; it never spins. At each generation the {@link dev.pagoda.alloc.Heap}
 *   also looks at a few queued spans per size class (the queues rotate) and returns those with no live object
 *   to the page heap, so freed small objects become releasable pages without a walk of every span. The budget
 *   is the process's: {@code -Dpagoda.scavenger.cpuPercent=N}.</li>
 *   <li><b>Huge pages</b> ({@link dev.pagoda.alloc.HugePagePolicy}). Leave them to the system, prefer them
 *   ({@code MADV_HUGEPAGE} on every chunk as it is mapped), forbid them ({@code MADV_NOHUGEPAGE}), or have the
 *   scavenger collapse densely used chunks ({@code MADV_COLLAPSE}, off every lock, once per chunk until pages of
 *   it are released). {@link dev.pagoda.alloc.PageHeap#hugePages()} says which policy is in force and why. As
 *   in Go, huge pages above 4 MiB (the 32 and 512 MiB ones of arm64 kernels with 16 and 64 KiB pages) count as
 *   none: no {@code MADV_HUGEPAGE}, no collapse, no protection from the scavenger.</li>
 *   <li><b>Observability.</b> {@link dev.pagoda.alloc.ScavengerStats} (released in the background and on demand,
 *   work time, cycles); {@link dev.pagoda.alloc.HeapResidency}, measured by {@code mincore} and {@code smaps};
 *   JFR events {@code dev.pagoda.ScavengerCycle}, {@code dev.pagoda.MemoryLimitReached} and
 *   {@code dev.pagoda.HeapGrowth}; a {@link dev.pagoda.alloc.HeapMXBean} per heap; and a one-line-per-cycle
 *   trace ({@code -Dpagoda.scavtrace=true}, Go's {@code scavtrace}).</li>
 * </ul>
 *
 * <h2>Zeroing</h2>
 * A page reads as zero if it has never been handed out since the OS mapped it (each arena keeps Go's
 * {@code zeroedBase} watermark), or if it was released with {@code MADV_DONTNEED}, which the kernel refills
 * with zeros. Everything else is zeroed before it is handed out, unless the caller opts out. Released
 * memory on Darwin or with {@code MADV_FREE} may come back dirty and is zeroed.
 *
 * <h2>Address layout</h2>
 * <pre>
 *   arena (64 MiB, aligned to 64 MiB)       its slot of page indexes (16384 = 2^14)
 *   ┌─────────┬─────────┬─────┬──────────┐  ┌─────────────────────────────┬──────────────────┐
 *   │ chunk 0 │ chunk 1 │ ... │ chunk 15 │  │ pages 0..8191 of the arena  │ 16 guard chunks  │
 *   │ mapped  │ mapped  │     │ reserved │  │ index = slot &lt;&lt; 14 | page  │ never grown      │
 *   └─────────┴─────────┴─────┴──────────┘  └─────────────────────────────┴──────────────────┘
 * </pre>
 * A slot is the power of two above the arena's pages plus one chunk, so a page index finds its arena with a
 * shift. The slot's chunks past the arena are never grown, count as allocated, and so no run can cross from
 * one arena into the next, which need not be adjacent in memory.
 *
 * <h2>Small objects: the {@link dev.pagoda.alloc.Heap}</h2>
 * Requests up to 32 KiB are rounded to one of 40 {@linkplain dev.pagoda.alloc.SizeClasses size classes} (16-byte
 * steps to 128, then four per doubling) and carved from <i>spans</i>: page runs of one class, after Go's
 * {@code mspan}. Each platform thread owns a cache holding one current span per class (Go's {@code mcache});
 * allocating is a bit scan of the span's free bitmap, no lock, no atomic operation, no Java object. A free by
 * the owning thread flips the bit back the same way; a free by any other thread is one atomic OR into the
 * span's <i>remote</i> bitmap (mimalloc's thread-free list), which the owner folds in when its bitmap runs
 * dry. A span the owner lets go of is <i>detached</i>; the first remote free that lands on it queues it on its
 * class's partial list, where any cache that needs a span of that class finds it. When a thread ends its
 * cache's spans go back: empty ones to the page heap, the rest to the partial lists. Virtual threads share a
 * bounded set of shard caches (twice the CPU count), each used under its lock, so any number of virtual threads
 * retain a bounded number of spans. Requests above 32 KiB are page runs of the page heap; alignments above a page
 * are cut from a slightly longer run (small aligned runs straight from the thread's page cache: a buffer pool's
 * 16 KiB pages take no lock), and only alignments above a quarter arena get their own reservation.
 * {@link dev.pagoda.alloc.Heap#newArena()} wraps all this in a
 * {@link java.lang.foreign.Arena} whose segments the JDK itself invalidates when it is closed.
 *
 * <h2>Closing, and what races it</h2>
 * A user may close a heap while other threads are inside it, and may close a heap and its arenas in any order.
 * Three mechanisms make every such order safe for code that uses the heap only through its API and segments:
 * <ul>
 *   <li><b>The close gate</b> ({@code CloseGate}). Every sequence of system calls on the heap's ranges, with the
 *   bookkeeping that records its result (growth, a release, making a cache's pages Ready, a large run's reserve or
 *   unmap), passes a counter. {@code close()} shuts it, then waits, holding no lock, until every sequence inside has
 *   left: it never unmaps a range under an {@code madvise} in flight, never meets a range the OS layer marks busy,
 *   and never misses a range a racing thread reserved. Sequences that arrive later fail with
 *   {@link java.lang.IllegalStateException}. The allocation fast paths make no system call and never pass it.</li>
 *   <li><b>Fenced memory access</b> ({@code HeapMemory}). Pagoda's own reads and writes of the memory (zeroing,
 *   {@code reallocate}'s copy, debug mode's poison) go through a segment scoped to a shared JDK arena that
 *   {@code close()} closes before it unmaps: the JDK's handshake guarantees no thread is inside such an access
 *   afterwards, and a thread caught in the middle gets {@link java.lang.IllegalStateException} instead of a write to
 *   unmapped memory.</li>
 *   <li><b>Arenas keep the memory.</b> {@link dev.pagoda.alloc.Heap#newArena()} and
 *   {@link dev.pagoda.alloc.Heap#newSharedArena()} are counted; the heap unmaps its memory only when it is closed
 *   and its last arena is gone (closed, or unreachable and cleaned), so a segment of an open arena always has its
 *   memory, and fails with the JDK's own exception once its arena is closed.</li>
 * </ul>
 * Raw addresses are the caller's to stop using after {@code free} or {@code close}, as with {@code malloc}.
 * Closing takes no lock while it waits, so it adds no edge to the lock order below; it first waits for a scavenger
 * step in progress (the scavenger's monitor, taken before any other lock), then shuts the gate.
 *
 * <h2>Locks</h2>
 * Every lock that is held while another is taken appears in one order, written down in
 * {@code PageCaches}: a virtual thread's shard of span caches ({@code Heap}), then the page-cache registry, then
 * the page caches' locks in ascending cache id (ids are unique and given in creation order), then the grow lock,
 * then the heap lock. A thread allocating or freeing holds at most
 * its own cache's lock, then perhaps the grow lock and the heap lock. {@code stats()} and {@code checkInvariants()}
 * take the registry (so no new cache can start to hold pages), every cache's lock in id order, in a loop that
 * uses the same stack for ten caches or ten thousand, then the heap lock; never the grow lock. Two of them at
 * once, or one and any number of threads coming, allocating and ending, cannot deadlock. No system call is made
 * with the heap lock held.
 *
 * <h2>Invariants</h2>
 * With {@code G} grown pages, {@code U} pages in live runs, {@code C} pages in caches (groups and kept runs), {@code F} free resident
 * and {@code R} released pages, and {@code L} bytes of large runs, at every moment when no thread holds the heap
 * lock or a page cache's lock (what {@code stats()} and {@code checkInvariants()} see, as they hold all of them):
 * <pre>
 *   G = U + C + F + R                           every grown page is in exactly one state
 *   allocated(PageAlloc) = U + C                caches hold allocated pages
 *   released ∩ allocated = ∅                    a released page is free
 *   OsMemory.Ready    = (U + C + F) · pageSize + L
 *   OsMemory.Prepared = R · pageSize
 *   OsMemory.Reserved = ungrown arena bytes
 *   summary(entry)    = merge(summaries of its 8 children); summary(chunk) = summarize(bitmap)
 * </pre>
 * {@link dev.pagoda.alloc.PageHeap#checkInvariants()} checks all of them, page by page, against the OS layer's
 * own record of states. Every change of a run's state (taken from a cache or the allocator and recorded live; no
 * longer live and back in a cache or the allocator) is made under the lock that covers it, so no run is ever seen
 * half allocated or half freed. What is left are the system calls, made with no lock held, and the checker
 * allows for exactly those: a run being released counts as free, its pages Ready until {@code unused} returns and
 * Prepared until the run is put back; a live run whose released pages are being made Ready is Prepared until
 * {@code used} returns; chunks being mapped are Reserved until {@code map} returns, then Prepared, and not yet
 * grown; and while a large run is being mapped or unmapped the OS layer's totals may or may not include it, so
 * the two equations on those totals are checked across a moment when none is (every page of the arenas is
 * checked in any case). So the checker may be called at any moment, under load, and right after threads end
 * while their caches are being given back.
 */
package dev.pagoda.alloc;
