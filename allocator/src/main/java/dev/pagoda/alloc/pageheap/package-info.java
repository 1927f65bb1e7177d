/**
 * The page heap engine, after the Go runtime's {@code mheap.go}: arenas of reserved address space grown chunk by
 * chunk, the run allocator that takes runs from the thread's page cache or the page allocator and makes released
 * pages Ready, large runs with their own reservations, forced releases and the hard memory limit, zeroing, closing,
 * and the invariant checker. {@link PageHeapEngine} wires them together; the public {@code PageHeap} is its face,
 * the small-object engine allocates its spans here, and the scavenger drives {@link Releaser} from beside.
 *
 * <h2>Structures</h2>
 * <ul>
 *   <li><b>Arenas.</b> The heap grows by reserving arenas of address space, 64 MiB by default, aligned to their
 *   size ({@code reserveAligned}: over-reserve and trim, as Go does). An arena's address space is only
 *   Reserved; its chunks are mapped (Reserved → Prepared) from the bottom up as the heap needs them, so
 *   the commit charge follows use. An address-space budget caps what may be reserved. Each arena gets a
 *   <i>slot</i> of page indexes, and a two-level table finds the arena of any address without a lock.</li>
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
 *
 * <h2>The memory limit, and eviction before failure</h2>
 * Every page that becomes Ready (a released page handed out again, a large run) first passes
 * {@code Releaser.reserveReady}: if the hard limit has no room, it releases free resident pages, highest first; if
 * that is not enough and the caller holds no page cache's lock, it takes every thread's page cache back and releases
 * again; then it fails with {@code PagodaOutOfMemoryError}. A thread refilling its own cache holds that cache's lock,
 * so it only asks for what fits and otherwise takes the run it needs straight from the allocator, where it may flush.
 * The failure carries no lock and leaves no structure half changed, and travels up to the public method that was
 * called ({@code Heap.allocate}, {@code reallocate}, {@code PageHeap.allocate}, ...), which catches it and hands it to
 * {@code MemoryPressure.retry}: with no lock of the heap held, one thread at a time runs a round of the user's
 * {@code Reclaimer}s for the bytes the request lacked (the others wait for that round and retry first), the
 * {@code Heap} gives the spans they emptied back to its pages, and the allocation is tried again; up to 16 rounds,
 * asking twice as much each time, ending at the first round that frees nothing. Reclaimers run inside a scoped value,
 * so an allocation they make never asks reclaimers or waits for a round: it fails at once at the limit. The fast
 * paths of a heap without reclaimers pay nothing for it: they take the engine's path with no exception handler
 * around it (one measured the default API's allocate and free of 64 B at 14 ns instead of 11.5), and only a heap
 * that has had a reclaimer takes the guarded one ({@code MemoryPressure.active}).
 *
 *
 * <h2>Zeroing</h2>
 * A page reads as zero if it has never been handed out since the OS mapped it (each arena keeps Go's
 * {@code zeroedBase} watermark), or if it was released with {@code MADV_DONTNEED}, which the kernel refills
 * with zeros. Everything else is zeroed before it is handed out, unless the caller opts out. Released
 * memory on Darwin or with {@code MADV_FREE} may come back dirty and is zeroed.
 *
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
 *   <li><b>Arenas keep the memory.</b> {@code Heap.newArena()} and
 *   {@code Heap.newSharedArena()} are counted; the heap unmaps its memory only when it is closed
 *   and its last arena is gone (closed, or unreachable and cleaned), so a segment of an open arena always has its
 *   memory, and fails with the JDK's own exception once its arena is closed.</li>
 * </ul>
 * Raw addresses are the caller's to stop using after {@code free} or {@code close}, as with {@code malloc}.
 * Closing takes no lock while it waits, so it adds no edge to the lock order below; it first waits for a scavenger
 * step in progress (the scavenger's monitor, taken before any other lock), then shuts the gate. It does not wait
 * for a round of reclaimers, which runs user code: it wakes the threads waiting for one, whose retries then fail with
 * {@link java.lang.IllegalStateException}, as do the frees of a reclaimer still running.
 *
 *
 * <h2>Locks</h2>
 * Every lock that is held while another is taken appears in one order, written down in
 * {@code PageCaches}: a virtual thread's shard of span caches ({@code Heap}), then the page-cache registry, then
 * the page caches' locks in ascending cache id (ids are unique and given in creation order), then the grow lock,
 * then the heap lock. A thread allocating or freeing holds at most
 * its own cache's lock, then perhaps the grow lock and the heap lock. The memory limit's reclaimers run with none of
 * them held; the monitor that lets one round of them run at a time ({@code MemoryPressure}) is a leaf. {@code stats()} and {@code checkInvariants()}
 * take the registry (so no new cache can start to hold pages), every cache's lock in id order, in a loop that
 * uses the same stack for ten caches or ten thousand, then the heap lock; never the grow lock. Two of them at
 * once, or one and any number of threads coming, allocating and ending, cannot deadlock. No system call is made
 * with the heap lock held.
 *
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
 * {@code PageHeap.checkInvariants()} checks all of them, page by page, against the OS layer's
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
package dev.pagoda.alloc.pageheap;
