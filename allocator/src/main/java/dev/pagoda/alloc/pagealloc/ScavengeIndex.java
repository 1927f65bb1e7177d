package dev.pagoda.alloc.pagealloc;

import java.util.Arrays;

/**
 * Which free pages the scavenger may give back, and in what order: Go's {@code scavengeIndex} and
 * {@code findScavengeCandidate}, over a {@link PageAlloc}'s bitmaps. Everything here runs under the heap lock.
 *
 * <p><b>Density.</b> A chunk (512 pages) that was at least 96.875% allocated (496 pages) at any moment of the
 * current generation or the one before is hidden from the background scavenger: the program is using it
 * densely, and releasing its few free pages would split the huge pages backing it for little gain and make the
 * next allocation fault them back in. The page allocator reports every change of a chunk's allocated count
 * ({@link #touched}); a chunk is remembered as dense for a generation if it was dense before or after the change,
 * and a chunk that is dense now and untouched is dense by its count alone. The scavenger moves to the next
 * generation on its own clock (Go moves at every GC).
 *
 * <p><b>Order.</b> Candidates are searched from a page downward, so the scavenger releases the highest addresses
 * first and the bottom of the heap, where first-fit allocation lands, stays resident. The search works in
 * blocks of a huge page, at most a chunk (2 MiB with 2 MiB huge pages; half a chunk when the OS has no huge
 * pages): a candidate never crosses a block, so a block that is wholly free is released as one huge page, and
 * with huge pages in play a block that is at least half allocated is skipped by the background scavenger, so a
 * resident huge page that is mostly in use is never split. Huge pages above 4 MiB are never in play
 * (4 MiB, Go's {@code maxPhysHugePageSize}, as in Go): a block of a chunk cannot keep a 32 or 512 MiB page
 * whole, and skipping every half-used chunk would only keep memory from going back. The background scavenger
 * also passes over free runs shorter than {@value #MIN_BACKGROUND_PAGES} pages (64 KiB at 8 KiB pages): each
 * release costs a system call and a TLB shootdown whatever its length, so holes of a page or two between live
 * runs would spend the CPU budget for little memory (here 1-2 ms per MiB against 0.2-0.4 ms for long runs), and
 * they are the first to be reused.
 * Forced releases ({@code releaseToOs}, the memory limit) ignore all three rules.
 */
public final class ScavengeIndex {
    /** A chunk with at least this many allocated pages is dense ({@code scavChunkHiOccPages}). */
    static final int DENSE_PAGES = PageAlloc.CHUNK_PAGES * 31 / 32;
    /** The shortest run the background scavenger releases while its goal wants at least that much. */
    static final int MIN_BACKGROUND_PAGES = 8;

    private int generation;
    /** The last generation in which each chunk was seen dense. */
    private int[] denseGeneration = new int[0];
    /** Whether each chunk was dense after its last change, one bit per chunk. */
    private long[] denseNow = new long[0];
    /** Chunks the scavenger asked the kernel to collapse, until pages of them are released again. */
    private long[] collapsed = new long[0];

    /** Makes room for {@code chunks} chunks; new chunks have never been dense. */
    void ensureCapacity(final int chunks) {
        if (chunks <= denseGeneration.length) {
            return;
        }
        final int old = denseGeneration.length;
        denseGeneration = Arrays.copyOf(denseGeneration, chunks);
        Arrays.fill(denseGeneration, old, chunks, Integer.MIN_VALUE);
        denseNow = Arrays.copyOf(denseNow, (chunks + 63) >>> 6);
        collapsed = Arrays.copyOf(collapsed, (chunks + 63) >>> 6);
    }

    /** Records that chunk {@code c} now has {@code allocated} pages allocated. */
    void touched(final int c, final int allocated) {
        final boolean dense = allocated >= DENSE_PAGES;
        final long bit = 1L << c;
        if (dense || (denseNow[c >>> 6] & bit) != 0) {
            denseGeneration[c] = generation;
        }
        if (dense) {
            denseNow[c >>> 6] |= bit;
        } else {
            denseNow[c >>> 6] &= ~bit;
        }
    }

    /** Starts a new generation: chunks dense only two generations ago become candidates again. */
    public void nextGeneration() {
        generation++;
    }

    /** Whether chunk {@code c} was dense in this generation or the last one. */
    boolean recentlyDense(final int c, final int allocated) {
        return allocated >= DENSE_PAGES || denseGeneration[c] >= generation - 1;
    }

    /**
     * The highest run of free, unreleased pages below page {@code below}, within one block of {@code blockPages}
     * and at most {@code maxPages} long (taken from the run's top end), packed as {@code first << 10 | npages}.
     *
     * @param pages      the page allocator
     * @param below      the search starts at {@code below - 1} and goes down
     * @param maxPages   the longest run wanted, at least 1
     * @param blockPages the block size in pages, a power of two between 64 and {@value PageAlloc#CHUNK_PAGES}
     * @param force      whether to ignore density, huge-page protection and the minimum run (forced release)
     * @param keepHuge   whether blocks at least half allocated are skipped (huge pages in play)
     * @return the packed run, or -1 if there is none
     */
    public long find(final PageAlloc pages, final long below, final long maxPages, final int blockPages,
              final boolean force, final boolean keepHuge) {
        long p = Math.min(below, (long) pages.chunkCapacity() * PageAlloc.CHUNK_PAGES) - 1;
        while (p >= 0) {
            final int c = (int) (p / PageAlloc.CHUNK_PAGES);
            final long chunkStart = (long) c * PageAlloc.CHUNK_PAGES;
            if (!pages.isGrown(chunkStart) || !force && recentlyDense(c, pages.allocatedInChunk(c))) {
                p = chunkStart - 1;
                continue;
            }
            final long blockStart = p & -blockPages;
            if (keepHuge && !force && pages.allocatedWords(blockStart, blockPages) * 2 >= blockPages) {
                p = blockStart - 1;
                continue;
            }
            final long top = highestReleasable(pages, blockStart, p);
            if (top < 0) {
                p = blockStart - 1;
                continue;
            }
            long bottom = top;
            final long floor = Math.max(blockStart, top - maxPages + 1);
            while (bottom > floor && releasable(pages, bottom - 1)) {
                bottom--;
            }
            if (!force && maxPages >= MIN_BACKGROUND_PAGES && top - bottom + 1 < MIN_BACKGROUND_PAGES) {
                p = bottom - 1; // a short hole: not worth a system call in the background
                continue;
            }
            return bottom << 10 | (top - bottom + 1);
        }
        return -1;
    }

    /** The highest free, unreleased page in {@code [from, to]}, or -1; a word at a time. */
    private static long highestReleasable(final PageAlloc pages, final long from, final long to) {
        for (long w = to >>> 6; w >= from >>> 6; w--) {
            long candidates = ~(pages.allocWord((int) w) | pages.releasedWord((int) w));
            if (w == to >>> 6 && (to & 63) != 63) {
                candidates &= (1L << ((to & 63) + 1)) - 1;
            }
            if (candidates != 0) {
                return (w << 6) + 63 - Long.numberOfLeadingZeros(candidates);
            }
        }
        return -1;
    }

    private static boolean releasable(final PageAlloc pages, final long page) {
        final int w = (int) (page >>> 6);
        return ((pages.allocWord(w) | pages.releasedWord(w)) >>> (page & 63) & 1) == 0;
    }

    /**
     * The first grown chunk that is dense now and was not collapsed since pages of it were last released; it
     * is marked collapsed. For {@code HugePagePolicy.COLLAPSE}.
     *
     * @return the chunk's index, or -1
     */
    public long nextCollapsible(final PageAlloc pages) {
        for (int c = 0; c < pages.chunkCapacity(); c++) {
            if ((collapsed[c >>> 6] & 1L << c) == 0 && pages.isGrown((long) c * PageAlloc.CHUNK_PAGES)
                    && pages.allocatedInChunk(c) >= DENSE_PAGES) {
                collapsed[c >>> 6] |= 1L << c;
                return c;
            }
        }
        return -1;
    }

    /** Records that pages of chunk {@code c} were released: its huge pages are split, it may be collapsed again. */
    void released(final int c) {
        collapsed[c >>> 6] &= ~(1L << c);
    }

    /** Unpacks the first page of a run returned by {@link #find}. */
    public static long first(final long packed) {
        return packed >>> 10;
    }

    /** Unpacks the length of a run returned by {@link #find}. */
    public static int length(final long packed) {
        return (int) (packed & 1023);
    }
}
