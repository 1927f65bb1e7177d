package dev.pagoda.verify;

import dev.pagoda.alloc.pagealloc.PageAlloc;
import dev.pagoda.alloc.pagealloc.PageCache;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link PageCache} with {@link PageAlloc#allocToCache} and {@link PageAlloc#flush}: which group a fill takes,
 * first-fit allocation inside the group, what {@link PageCache#lastReleased()} and
 * {@link PageCache#lastZeroed()} report for released and dirty pages, frees into and outside the group, and
 * that a flush gives every page back with its released mark.
 */
class PageCacheTest {
    private static final int CHUNK = PageAlloc.CHUNK_PAGES;

    /** One grown chunk, all free and released. */
    private static PageAlloc oneChunk() {
        final PageAlloc pa = new PageAlloc();
        pa.grow(0, CHUNK);
        return pa;
    }

    /** Makes {@code [first, first + n)} free but not released (used, then freed). */
    private static void dirty(final PageAlloc pa, final long first, final long n) {
        pa.allocRange(first, n);
        pa.freeRange(first, n, false);
    }

    @Test
    void shouldFillWithEveryFreePageOfTheGroupHoldingTheFirstFreePage() {
        final PageAlloc pa = oneChunk();
        pa.allocRange(0, 130);
        final PageCache cache = new PageCache(true);
        assertTrue(pa.allocToCache(cache));
        assertEquals(128, cache.base());
        assertEquals(~0b11L, cache.freeMask());
        assertEquals(~0b11L, cache.releasedMask(), "freshly grown pages are released");
        assertEquals(62, cache.pages());
        for (long p = 128; p < 192; p++) {
            assertTrue(pa.isAllocated(p), "page " + p + " belongs to the cache");
            assertFalse(pa.isReleased(p));
        }
        assertFalse(pa.isAllocated(192));
        assertEquals(192, pa.allocatedPages());
        assertEquals(CHUNK - 192, pa.releasedPages());
        pa.checkInvariants();
    }

    @Test
    void shouldTakeAlignedRunsOnlyAtMultiplesOfTheAlignment() {
        final PageAlloc pa = oneChunk();
        pa.allocRange(0, 65); // the cache's group is pages 64..127 with page 64 taken
        final PageCache cache = new PageCache(true);
        assertTrue(pa.allocToCache(cache));
        assertEquals(64, cache.base());
        assertEquals(66, cache.allocAligned(2, 2), "65 is free but odd: the first even pair is 66-67");
        assertEquals(68, cache.allocAligned(2, 4));
        assertEquals(80, cache.allocAligned(3, 16), "72 would fit 3 pages but is not a multiple of 16");
        assertEquals(65, cache.alloc(1), "the unaligned hole is still there for plain runs");
        assertEquals(96, cache.allocAligned(32, 32));
        assertEquals(-1, cache.allocAligned(32, 32), "no second free 32-aligned run of 32");
        assertEquals(-1, cache.allocAligned(1, 64), "the group's only 64-aligned page, 64, is taken");
        assertThrows(IllegalArgumentException.class, () -> cache.allocAligned(2, 3));
        assertThrows(IllegalArgumentException.class, () -> cache.allocAligned(0, 2));
        assertThrows(IllegalArgumentException.class, () -> cache.allocAligned(2, 128));
    }

    @Test
    void shouldFillWithOnlyTheFreePagesOfAGroupWithHoles() {
        final PageAlloc pa = oneChunk();
        pa.allocRange(0, 3);
        pa.allocRange(10, 1);
        dirty(pa, 20, 4);
        final PageCache cache = new PageCache(true);
        assertTrue(pa.allocToCache(cache));
        assertEquals(0, cache.base());
        assertEquals(~(0b111L | 1L << 10), cache.freeMask());
        assertEquals(~(0b111L | 1L << 10 | 0xFL << 20), cache.releasedMask());
        assertEquals(64, pa.allocatedPages());
        pa.checkInvariants();
    }

    @Test
    void shouldNotFillFromAFullHeap() {
        final PageAlloc pa = oneChunk();
        pa.allocRange(0, CHUNK);
        final PageCache cache = new PageCache(true);
        assertFalse(pa.allocToCache(cache));
        assertEquals(-1, cache.base());
        assertEquals(0, cache.pages());
        assertEquals(-1, cache.alloc(1), "an empty cache has no page");
        assertEquals(CHUNK, pa.allocatedPages());
        pa.checkInvariants();
    }

    @Test
    void shouldAllocOnePageAtTheLowestFreePage() {
        final PageAlloc pa = oneChunk();
        pa.allocRange(64, 3);
        pa.allocRange(68, 1);
        final PageCache cache = new PageCache(true);
        pa.allocRange(0, 64);
        assertTrue(pa.allocToCache(cache));
        assertEquals(64, cache.base());
        assertEquals(67, cache.alloc(1));
        assertEquals(69, cache.alloc(1));
        assertEquals(70, cache.alloc(1));
        assertEquals(~(0x7FL), cache.freeMask());
    }

    @Test
    void shouldAllocNPagesAtTheFirstRunThatFits() {
        final PageAlloc pa = oneChunk();
        pa.allocRange(0, 3);
        pa.allocRange(10, 1);
        final PageCache cache = new PageCache(true);
        assertTrue(pa.allocToCache(cache));
        // Free in the group: 3..9 (7 pages), 11..63.
        assertEquals(11, cache.alloc(8), "the 7-page hole is too short");
        assertEquals(3, cache.alloc(7), "the 7-page hole fits exactly");
        assertEquals(19, cache.alloc(PageCache.MAX_PAGES));
        assertEquals(34, cache.alloc(2));
        assertEquals(~((1L << 36) - 1), cache.freeMask());
        assertEquals(28, cache.pages(), "pages 0..35 are gone from the cache");
    }

    @Test
    void shouldReturnMinusOneWhenNoRunOfTheCacheFits() {
        final PageAlloc pa = oneChunk();
        for (int p = 0; p < 64; p += 3) {
            pa.allocRange(p, 1); // free runs of two pages
        }
        final PageCache cache = new PageCache(true);
        assertTrue(pa.allocToCache(cache));
        final long before = cache.freeMask();
        assertEquals(-1, cache.alloc(3));
        assertEquals(before, cache.freeMask(), "a failed alloc takes nothing");
        assertEquals(1, cache.alloc(2));
        assertEquals(4, cache.alloc(1));
    }

    @ParameterizedTest(name = "releasedReadsZero={0}")
    @ValueSource(booleans = {true, false})
    void shouldReportReleasedPagesAsNeedingReadyAndAsZeroOnlyIfReleasedReadsZero(final boolean releasedReadsZero) {
        final PageAlloc pa = oneChunk(); // freshly grown pages are released
        final PageCache cache = new PageCache(releasedReadsZero);
        assertTrue(pa.allocToCache(cache));
        assertEquals(0, cache.alloc(4));
        assertEquals(4, cache.lastReleased());
        assertEquals(releasedReadsZero, cache.lastZeroed());
        assertEquals(4, cache.alloc(1));
        assertEquals(1, cache.lastReleased());
        assertEquals(releasedReadsZero, cache.lastZeroed());
    }

    @ParameterizedTest(name = "releasedReadsZero={0}")
    @ValueSource(booleans = {true, false})
    void shouldReportDirtyPagesAsNeitherReleasedNorZero(final boolean releasedReadsZero) {
        final PageAlloc pa = oneChunk();
        dirty(pa, 0, 64);
        final PageCache cache = new PageCache(releasedReadsZero);
        assertTrue(pa.allocToCache(cache));
        assertEquals(0, cache.releasedMask());
        assertEquals(0, cache.alloc(4));
        assertEquals(0, cache.lastReleased());
        assertFalse(cache.lastZeroed());
        assertEquals(4, cache.alloc(1));
        assertEquals(0, cache.lastReleased());
        assertFalse(cache.lastZeroed());
    }

    @ParameterizedTest(name = "releasedReadsZero={0}")
    @ValueSource(booleans = {true, false})
    void shouldCountOnlyTheReleasedPagesOfAMixedRunAndNotCallItZero(final boolean releasedReadsZero) {
        final PageAlloc pa = oneChunk();
        dirty(pa, 0, 2);
        final PageCache cache = new PageCache(releasedReadsZero);
        assertTrue(pa.allocToCache(cache));
        assertEquals(0, cache.alloc(5));
        assertEquals(3, cache.lastReleased());
        assertFalse(cache.lastZeroed(), "two of the pages were used before");
        assertEquals(5, cache.alloc(3));
        assertEquals(3, cache.lastReleased());
        assertEquals(releasedReadsZero, cache.lastZeroed());
    }

    @Test
    void shouldTakeBackARunFreedIntoTheGroupAsDirty() {
        final PageAlloc pa = oneChunk();
        final PageCache cache = new PageCache(true);
        assertTrue(pa.allocToCache(cache));
        assertEquals(0, cache.alloc(4));
        assertTrue(cache.lastZeroed());
        assertEquals(60, cache.pages());
        assertTrue(cache.free(0, 4));
        assertEquals(64, cache.pages());
        assertEquals(-1L, cache.freeMask());
        assertEquals(~0xFL, cache.releasedMask(), "freed pages come back not released");
        assertEquals(0, cache.alloc(4), "the freed run is the first fit again");
        assertEquals(0, cache.lastReleased());
        assertFalse(cache.lastZeroed(), "a freed page was written to");
        assertEquals(64, pa.allocatedPages(), "frees into the cache do not reach the allocator");
        pa.checkInvariants();
    }

    @Test
    void shouldRefuseToTakeARunOutsideTheGroup() {
        final PageAlloc pa = oneChunk();
        final PageCache empty = new PageCache(true);
        assertFalse(empty.free(0, 1), "an empty cache has no group");
        pa.allocRange(0, 64);
        final PageCache cache = new PageCache(true);
        assertTrue(pa.allocToCache(cache));
        assertEquals(64, cache.base());
        final long mask = cache.freeMask();
        assertFalse(cache.free(63, 1), "the page below the group");
        assertFalse(cache.free(128, 1), "the page above the group");
        assertFalse(cache.free(60, 8), "a run straddling the group's start");
        assertFalse(cache.free(120, 10), "a run straddling the group's end");
        assertEquals(mask, cache.freeMask(), "refused frees change nothing");
        assertEquals(64, cache.alloc(PageCache.MAX_PAGES));
        assertTrue(cache.free(64, PageCache.MAX_PAGES), "a run inside the group is taken");
    }

    @Test
    void shouldTakeIntoTheCacheAPageTheHeapAllocatedInTheGroupBeforeTheFill() {
        final PageAlloc pa = oneChunk();
        pa.allocRange(0, 3);
        final PageCache cache = new PageCache(true);
        assertTrue(pa.allocToCache(cache));
        assertTrue(cache.free(0, 3));
        assertEquals(-1L, cache.freeMask());
        pa.flush(cache);
        assertEquals(0, pa.allocatedPages());
        assertEquals(CHUNK - 3, pa.releasedPages(), "the three pages were used, so they are not released");
        assertFalse(pa.isReleased(0));
        assertTrue(pa.isReleased(3));
        pa.checkInvariants();
    }

    @Test
    void shouldRestoreReleasedMarksAndTheAllocatorsInvariantsOnFlush() {
        final PageAlloc pa = oneChunk();
        dirty(pa, 0, 8);
        final PageCache cache = new PageCache(true);
        assertTrue(pa.allocToCache(cache));
        assertEquals(~0xFFL, cache.releasedMask());
        assertEquals(0, cache.alloc(4));
        assertEquals(0, cache.lastReleased());
        assertEquals(4, cache.alloc(10));
        assertEquals(6, cache.lastReleased());
        assertTrue(cache.free(0, 4));
        pa.flush(cache);
        assertEquals(-1, cache.base());
        assertEquals(0, cache.freeMask());
        assertEquals(0, cache.releasedMask());
        assertEquals(0, cache.pages());
        for (long p = 0; p < 64; p++) {
            final boolean allocated = p >= 4 && p < 14;
            assertEquals(allocated, pa.isAllocated(p), "page " + p + " allocated");
            assertEquals(p >= 14, pa.isReleased(p), "page " + p + " released");
        }
        assertEquals(10, pa.allocatedPages());
        assertEquals(CHUNK - 14, pa.releasedPages());
        pa.checkInvariants();
        pa.freeRange(4, 10, false);
        assertEquals(0, pa.allocatedPages());
        assertEquals(0, pa.find(CHUNK), "the whole chunk is one free run again");
        pa.checkInvariants();
    }

    @Test
    void shouldFlushAnEmptyOrUsedUpCacheWithoutTouchingTheAllocator() {
        final PageAlloc pa = oneChunk();
        final PageCache cache = new PageCache(true);
        pa.flush(cache);
        assertEquals(0, pa.allocatedPages());
        assertEquals(CHUNK, pa.releasedPages());
        assertTrue(pa.allocToCache(cache));
        for (int i = 0; i < 64; i += 8) {
            assertEquals(i, cache.alloc(8));
        }
        assertEquals(0, cache.pages());
        pa.flush(cache);
        assertEquals(-1, cache.base());
        assertEquals(64, pa.allocatedPages());
        assertEquals(CHUNK - 64, pa.releasedPages());
        pa.checkInvariants();
    }

    @Test
    void shouldFillTheSameGroupAgainAfterAFlush() {
        final PageAlloc pa = oneChunk();
        final PageCache cache = new PageCache(true);
        assertTrue(pa.allocToCache(cache));
        assertEquals(0, cache.alloc(1));
        pa.flush(cache);
        assertTrue(pa.allocToCache(cache));
        assertEquals(0, cache.base());
        assertEquals(~1L, cache.freeMask());
        assertEquals(~1L, cache.releasedMask(), "the pages the cache never handed out are still released");
        assertEquals(1, cache.alloc(1));
        assertEquals(1, cache.lastReleased());
        pa.checkInvariants();
    }

    @Test
    void shouldMoveToTheNextGroupWhenTwoCachesFill() {
        final PageAlloc pa = oneChunk();
        final PageCache a = new PageCache(true);
        final PageCache b = new PageCache(false);
        assertTrue(pa.allocToCache(a));
        assertTrue(pa.allocToCache(b));
        assertEquals(0, a.base());
        assertEquals(64, b.base());
        assertEquals(128, pa.find(1));
        assertEquals(128, pa.allocatedPages());
        pa.flush(a);
        assertEquals(0, pa.find(1), "the first group is free again");
        pa.flush(b);
        assertEquals(0, pa.allocatedPages());
        assertEquals(CHUNK, pa.releasedPages());
        pa.checkInvariants();
    }
}
