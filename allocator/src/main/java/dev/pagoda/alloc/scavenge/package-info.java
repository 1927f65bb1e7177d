/**
 * Giving memory back, after the Go runtime's {@code mgcscavenge.go}: the per-heap {@link Scavenger} with its goals
 * and generations, the process-wide {@link BackgroundScavenger} thread and its {@link Pacer}. It sits beside the
 * page heap engine and drives its releaser; nothing in the engine depends on it. (The index of free resident pages
 * it searches lives with the page allocator, which keeps it current.)
 *
 * Free pages stay resident until the scavenger releases them, after Go's {@code mgcscavenge.go}. Every release
 * is Go's {@code scavengeOne}: under the heap lock, find the highest run of free resident pages and mark it
 * allocated; with no lock held, {@code unused} it ({@code MADV_DONTNEED}); under the lock again, free it marked
 * released. No allocation waits for an {@code madvise}, and no run is ever both handed out and being released.
 * <ul>
 *   <li><b>Goals.</b> Retained pages (allocated plus free resident) at most live pages plus 10%, and, when a soft
 *   memory target is set, Ready bytes at most 95% of
 *   it. The hard memory limit is different: an
 *   allocation that would pass it first releases free pages synchronously, then asks the heap's reclaimers (in the
 *   page heap engine's {@code MemoryPressure}), and fails only if that is not enough.
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
 *   to do it parks for 100 ms between looks; it never spins, and never sleeps longer than that without asking
 *   its heaps again how fast it may go.</li>
 *   <li><b>A pace that follows the excess</b> ({@code Pacer.budget}). Near its goal (retained memory at most
 *   twice it, or Ready at most twice 95% of a soft target) a heap gets the 1%: a heap that churns costs what it
 *   always did. A heap found more than twice its goal asks, until its goal is met, for what returns that whole
 *   excess within half a second at the cost of a release measured on its own steps (0.2-0.4 ms per MiB here),
 *   between the 1% and its cap ({@code scavengerMaxCpuPercent}, 25% of one core by default); the thread runs at
 *   the largest share any heap asks for. So a drop of gigabytes goes back within a couple of seconds, where 1%
 *   returned ~30 MiB a second once the saved credit was spent. Only the 1% is saved as credit: the share above
 *   it pays off overruns and is spent as it accrues, so a fast spell leaves no larger burst behind it. The steps
 *   stay the same size and take the heap lock only around their bookkeeping, never across the
 *   {@code madvise}: a faster pace is more of the scavenger thread's time, not the allocating threads'.</li>
 *   <li><b>Generations and spans.</b> At each generation the {@code Heap}
 *   also looks at a bounded number of queued spans per size class (the queues rotate) and returns those with no
 *   live object to the page heap, so freed small objects become releasable pages without a walk of every span.
 *   The base budget is the process's ({@code -Dpagoda.scavenger.cpuPercent=N}); the cap is each heap's.</li>
 *   <li><b>Huge pages</b> ({@code HugePagePolicy}). Leave them to the system, prefer them
 *   ({@code MADV_HUGEPAGE} on every chunk as it is mapped), forbid them ({@code MADV_NOHUGEPAGE}), or have the
 *   scavenger collapse densely used chunks ({@code MADV_COLLAPSE}, off every lock, once per chunk until pages of
 *   it are released). {@code PageHeap.hugePages()} says which policy is in force and why. As
 *   in Go, huge pages above 4 MiB (the 32 and 512 MiB ones of arm64 kernels with 16 and 64 KiB pages) count as
 *   none: no {@code MADV_HUGEPAGE}, no collapse, no protection from the scavenger.</li>
 *   <li><b>Observability.</b> {@code ScavengerStats} (released in the background and on demand,
 *   work time, cycles); {@code HeapResidency}, measured by {@code mincore} and {@code smaps};
 *   JFR events {@code dev.pagoda.ScavengerCycle}, {@code dev.pagoda.MemoryLimitReached} and
 *   {@code dev.pagoda.HeapGrowth}; a {@code HeapMXBean} per heap; and a one-line-per-cycle
 *   trace ({@code -Dpagoda.scavtrace=true}, Go's {@code scavtrace}).</li>
 * </ul>
 *
 */
package dev.pagoda.alloc.scavenge;
