/**
 * A buffer pool for databases that lets virtual memory do the translation: the design of vmcache (Leis, Alhomssi,
 * Ziegler, Loeck and Dietrich, "Virtual-Memory Assisted Buffer Management", SIGMOD 2023) on Pagoda's OS-memory
 * layer. {@link dev.pagoda.pool.BufferPool} is the whole API; this essay is the design.
 *
 * <h2>Why virtual memory</h2>
 * A classic buffer pool owns a fixed array of frames and a hash table from page id to frame: every access hashes,
 * takes a latch on the table's bucket, and follows a pointer. A pool built on {@code mmap} of the file skips the table
 * but gives the kernel the say over eviction and I/O, and takes a page fault (and a TLB shootdown on eviction) where a
 * database wants control. vmcache keeps the control and drops the table: it reserves virtual memory for the whole
 * file, so page {@code p} is always at {@code base + p × pageSize}, resident or not; a miss makes that one frame
 * resident and reads the page into it with an explicit {@code pread}, and eviction writes it back with
 * {@code pwrite} and returns the frame with {@code madvise(MADV_DONTNEED)}. The address of a page is arithmetic; the
 * memory behind it comes and goes.
 *
 * <h2>The address space</h2>
 * <pre>
 *   frames     ┌────────┬────────┬────────┬────────┬──────── ··· ────────────────────────────┐
 *   (maxPages  │ page 0 │ page 1 │ page 2 │ page 3 │  pages not yet in the file             │
 *    × page-   │ Ready  │Prepared│ Ready  │Prepared│  Prepared: mapped, never touched,      │
 *    Size)     │resident│evicted │resident│evicted │  no memory                             │
 *              └────────┴────────┴────────┴────────┴────────────────────────────────────────┘
 *   page table [ entry 0 | entry 1 | entry 2 | … ]   16 bytes a page: state word + clock slot,
 *                                                    mapped in chunks as the file grows
 * </pre>
 * The pool reserves {@code maxPages × pageSize} bytes of frames, aligned to the page size, and maps them all at once
 * (the OS layer's Reserved → Prepared, a gibibyte per call): mapped memory that was never touched costs no memory, so
 * a terabyte of reach costs address space and page-table entries, and every byte of the segment over it can be read
 * without a fault, so no access through it can crash the JVM. Where transparent huge pages are larger than a page the
 * frames get {@code noHugePage}, so that one frame never pulls in 2 MiB. The page table, 16 bytes a page, is reserved
 * for {@code maxPages} too and mapped in chunks as {@code allocatePage()} grows the file (Ready, where fresh zeros
 * mean "evicted, version 0"). A frame goes Prepared → Ready ({@code used}) when its page is loaded and Ready →
 * Prepared ({@code unused}) when it is evicted: the OS layer's state machine, with its checks and its exact
 * accounting, sees every frame move. Under strict overcommit ({@code vm.overcommit_memory=2}) the mapped frames
 * count against the commit limit: keep {@code maxPages} to what the data needs there.
 *
 * <h2>The state word</h2>
 * Each page has one 64-bit word (see {@code PageState} in the engine for the bit diagram): 8 bits of lock state —
 * EVICTED, UNLOCKED, MARKED, EXCLUSIVE, or SHARED by 1 to 252 — a dirty bit and a 55-bit version.
 * <ul>
 *   <li>{@code fixExclusive} compares-and-sets UNLOCKED or MARKED to EXCLUSIVE; EVICTED to EXCLUSIVE means "mine to
 *   load", and the thread loads it. {@code unfixExclusive} stores UNLOCKED with the next version.</li>
 *   <li>{@code fixShared} adds one sharer; EVICTED is loaded exclusively first and then handed over as one sharer.
 *   {@code unfixShared} takes one away.</li>
 *   <li>{@code readOptimistic} reads the word, runs the reader on the frame, fences, and reads the word again: the
 *   run counts if the version is the same and the page is neither held exclusively nor evicted. Sharers do not
 *   disturb it, nor does the clock's mark (which a reader clears, so a page in use gets its second chance).</li>
 *   <li>{@code markDirty} sets the dirty bit; only the exclusive holder may, and nobody else writes the word then.</li>
 * </ul>
 * A hit is a read and a compare-and-set of the page's own word, and a plain store to a counter only the calling
 * thread writes (found by its thread id; the statistics add the threads' counters up): no table, no latch shared
 * between pages, no atomic beyond the word's, no allocation. Waiting for a held page spins briefly and then yields, as vmcache does; the pool keeps no queue of
 * waiters. Fixes are not reentrant, like the latches they are.
 *
 * <h2>A miss</h2>
 * The thread that moved the word from EVICTED to EXCLUSIVE owns the load: it counts one more frame against the
 * budget (evicting a batch first if the budget is full), makes the frame Ready, reads the page into it with a
 * positional read through a {@code MemorySegment}-backed {@code ByteBuffer} (optionally {@code O_DIRECT}, into
 * frames aligned to the page size), locks it if the pool locks frames, and gives the page a slot on the clock. If any
 * step fails it undoes the ones before (the frame goes back, the count goes down, the word returns to EVICTED) and the
 * fix throws: the page is exactly as it was.
 *
 * <h2>Eviction: the clock, in batches</h2>
 * Resident pages sit in the slots of a ring, the clock. The thread that needs a frame and finds the budget full takes
 * the eviction lock and walks the ring from the hand: an UNLOCKED page is MARKED and passed, a MARKED page (not used
 * since the last turn: any fix or optimistic read clears the mark) is taken exclusively for the batch, anything fixed
 * is passed. Up to 64 pages are taken (an eighth of the budget for small ones), at most two turns of the ring. The
 * batch's dirty pages are written back; then the pages are sorted into runs of adjacent page ids, and the whole batch
 * gives its frames back in one call of the OS layer ({@code OsMemory.unused} over all the runs: one
 * {@code process_madvise} on Linux 6.13 and later, so one TLB shootdown for the batch instead of an interrupt to the
 * other CPUs for every frame; one {@code madvise} per run elsewhere), each run preceded by one {@code unlock} if
 * frames are locked; the pages become EVICTED with a new version, and leave the ring. A page whose write fails stays
 * resident and dirty; if the OS refuses a run, the runs before it are evicted and the others stay resident and clean;
 * the first failure is thrown once the batch is done. Evicting in the thread
 * that needs the frame, a batch at a time, keeps the pool free of background threads and amortises the lock and
 * the system calls over the batch.
 *
 * <h2>What is guaranteed</h2>
 * <ul>
 *   <li><b>The budget.</b> The pool counts a frame before it becomes resident and uncounts it after it is given back,
 *   so its own count never passes {@code memoryBudget / pageSize}. The kernel's view ({@code mincore}, in
 *   {@code residency()}) stays at or below the count, with one exception: an optimistic reader that loses a race with
 *   an eviction may read the frame after its release, which maps the kernel's shared zero page there. That page costs
 *   no memory, but {@code mincore} reports it until the frame is loaded again. The verification holds the kernel's
 *   view within the budget plus one eviction batch.</li>
 *   <li><b>Contents.</b> A page's bytes change only under an exclusive fix; a dirty page is written back before its
 *   frame is given back, by {@code flush()}, and by {@code close()}; a page read from the file is what was last
 *   written. Reopening the file sees every change that was marked dirty and unfixed before the flush or close.</li>
 *   <li><b>Closing.</b> The pool's own memory accesses and the user's go through segments scoped to one shared JDK
 *   arena, closed before anything is unmapped: afterwards every access throws {@link java.lang.IllegalStateException}
 *   instead of touching freed memory, in any order of threads. {@code close()} first refuses new fixes, then waits
 *   (with a gate, not a lock) for loads, evictions, flushes and allocations in flight, writes every dirty page back,
 *   and only then closes the arena, frees both reservations and releases the file.</li>
 *   <li><b>Misuse</b> is refused, changing nothing: a page id out of range, an unfix or {@code markDirty} without the
 *   fix it needs, a fix after close, a page size that is not a power of two or is below the OS page, a budget of fewer
 *   than 8 frames, a file whose length is not a multiple of the page size, a file another pool has open (a file lock
 *   for other processes; a set of open files for pools of the same JVM, where a POSIX lock cannot tell them apart).
 *   OS failures ({@code OsMemoryException}, with errno) and I/O failures ({@code UncheckedIOException}) leave the
 *   pool consistent: the operation that met them is undone.</li>
 *   <li><b>No deadlock among the pool's locks.</b> The engine's class documentation writes down their order; no
 *   thread waits for a page while it holds one of them.</li>
 * </ul>
 * What is the caller's: using a frame's bytes only under a fix, not fixing a page twice in one thread, and not calling
 * {@code flush()} while holding an exclusive fix (it would wait for itself until the wait limit).
 *
 * <h2>Tests on a simulated OS</h2>
 * Built on {@code OsMemory.simulated(...)}, the pool asks the simulation for every transition (so injected failures
 * and limits, including the locked-memory limit, hit the pool exactly where a real kernel's would) and keeps the
 * bytes in a private reservation of the real OS with the same layout, mirroring each transition the simulation
 * accepts onto it. The pool's logic is the same code either way.
 */
package dev.pagoda.pool;
