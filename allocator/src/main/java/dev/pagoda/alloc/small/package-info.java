/**
 * The small-object engine under the public {@code Heap} ({@link HeapEngine}), after the Go runtime's
 * {@code mcache}/{@code mcentral}/{@code mspan} and mimalloc's thread-free lists, on top of the page heap engine.
 *
 * Requests up to 32 KiB are rounded to one of 40 {@linkplain SizeClasses size classes} (16-byte
 * steps to 128, then four per doubling) and carved from <i>spans</i>: page runs of one class, after Go's
 * {@code mspan}. Each platform thread owns a cache holding one current span per class (Go's {@code mcache});
 * allocating is a bit scan of the span's free bitmap, no lock, no atomic operation, no Java object. A free by
 * the owning thread flips the bit back the same way; a free by any other thread is one atomic OR into the
 * span's <i>remote</i> bitmap (mimalloc's thread-free list), which the owner folds in when its bitmap runs
 * dry. A span the owner lets go of is <i>detached</i>; the first remote free that lands on it queues it on its
 * class's partial list ({@link SpanQueue}, linked through the spans, so queuing allocates nothing), where any cache
 * that needs a span of that class finds it. When a thread ends its
 * cache's spans go back: empty ones to the page heap, the rest to the partial lists. Virtual threads share a
 * bounded set of shard caches (twice the CPU count), each used under its lock, so any number of virtual threads
 * retain a bounded number of spans. Requests above 32 KiB are page runs of the page heap; alignments above a page
 * are cut from a slightly longer run (small aligned runs straight from the thread's page cache: a buffer pool's
 * 16 KiB pages take no lock), and only alignments above a quarter arena get their own reservation.
 *
 * <p>{@code Heap.newArena()} and {@code newSharedArena()} are {@link java.lang.foreign.Arena}s on top
 * ({@link HeapArena}): each takes <i>slabs</i> from the heap (a 4 KiB small object first, then twice the last, up to
 * 1 MiB page runs) and carves its segments from them by bumping an offset rounded up to each request's alignment, a
 * compare-and-set on the offset in a shared arena; a request above a quarter of the next slab is allocated on its own.
 * Slabs come zeroed from a zeroing heap, serve one arena once, and all go back at {@code close()}, after the JDK arena
 * under them is closed: every segment is a slice of a slab's segment on that JDK arena, so the JDK itself invalidates
 * them all.
 *
 * <h2>Memory inside spans</h2>
 * A span lives while any of its objects does, but its OS pages need not: a 64 KiB span of 2 KiB objects with one
 * survivor would otherwise keep 16 OS pages resident for 2 KiB. So the OS pages of a span on which no object lives
 * go back to the OS while the span lives on ({@code unused}; recorded in the span's {@code released} units and in
 * the page heap's {@code InsideReleases}, which the statistics and the invariant checker subtract from the resident
 * pages). Only a span no cache holds is touched: the releaser claims it as a cache would (so no thread allocates from
 * it meanwhile; remote frees still land in its remote bitmap and touch no memory), computes from the free bitmap the
 * units every overlapping object of which is free, and releases each run of adjacent units in one call with no lock
 * held. The scavenger does it at every generation for spans that have sat detached since an earlier pass and are at
 * least half free; {@code releaseToOs()} does it for every detached span at once. The pages come back lazily: when a
 * cache hands out an object overlapping a released unit, it makes that unit Ready first ({@code used}, off the fast
 * path: only objects handed out before take that branch) and zeroes the object as any reused one; an empty span's
 * released units are made Ready before its pages return to the page heap, so the page allocator's books never see
 * them. Debug mode keeps spans whole, its poison must stay readable.
 *
 * <h2>The fast paths</h2>
 * A cache's span hands out its lowest free object, found from a cursor below which every word of the free bitmap
 * is full: one word test per allocation while a span fills, not a scan from the first word, and a free below the
 * cursor moves it back. The heap's own {@code allocate} and {@code free} each find the calling platform thread's
 * cache in a small table indexed by thread id (one load and one identity compare; the thread slot is asked only on a
 * miss); a {@code LocalHeap} handle holds that cache and makes no lookup at all: its calls check only that they
 * run on the handle's thread and that the handle and the heap are open. A handle on a virtual thread has a cache of
 * its own rather than the shared shards, handed back when the handle closes.
 *
 * <p>A span's counters are at once its occupancy and the heap's statistics: the owner counts objects handed out and
 * freed, remote frees folded in, and the bytes asked for (rounding is what the objects' size adds to that), in plain
 * fields of the span it holds anyway; {@code stats()} adds up the live spans and the totals of spans gone back to
 * the page heap, exact for every call completed before it. A free of the object a cache allocated last, or of any in
 * that span, finds the span without the table (the cache remembers its last span), and the cache writes that
 * reference only when it changes, so the collector's write barrier stays off the steady state.
 */
package dev.pagoda.alloc.small;
