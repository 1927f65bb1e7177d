package dev.pagoda.pool;

import dev.pagoda.os.Operation;
import dev.pagoda.os.OsMemory;
import dev.pagoda.os.OsMemoryException;
import dev.pagoda.os.OsOutOfMemoryException;
import dev.pagoda.os.Simulation;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.pagoda.pool.TestPages.first;
import static dev.pagoda.pool.TestPages.stamp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Failures injected into the OS layer ({@link OsMemory#simulated}) at each transition the pool makes: the call that
 * meets one throws it, and the pool is as it was: the same pages resident, the same contents, the OS layer's Ready
 * bytes equal to the page table plus exactly the resident frames, and the next call succeeds.
 */
class SimulatedFaultsTest {
    private static final long PAGE = 4096;
    private static final int PAGES = 32;
    /** maxPages 64 × 16-byte entries, one OS page of page table. */
    private static final long TABLE = 4096;

    @TempDir
    Path dir;

    private final Simulation kernel = Simulation.builder().build();
    private final OsMemory os = OsMemory.simulated(kernel);

    /** A pool of 16 frames: eviction batches of 2. */
    private BufferPool open(final boolean lock) {
        return open(lock, 16);
    }

    private BufferPool open(final boolean lock, final long frames) {
        return BufferPool.builder().file(dir.resolve("p")).os(os).pageSize(PAGE).maxPages(64)
                .memoryBudget(frames * PAGE).lockFrames(lock).jmx(false).build();
    }

    /** Fills {@code PAGES} pages, page {@code p} holding {@code p + 1} in its first and last long. */
    private static void fill(final BufferPool pool) {
        for (int i = 0; i < PAGES; i++) {
            final long pid = pool.allocatePage();
            stamp(pool, pid, pid + 1);
        }
    }

    private void assertConsistent(final BufferPool pool, final long[] expected) {
        assertConsistent(pool, expected, 0);
    }

    private void assertConsistent(final BufferPool pool, final long[] expected, final long readyElsewhere) {
        final BufferPoolStats s = pool.stats();
        assertTrue(s.residentPages() <= s.budgetPages(), s.toString());
        assertEquals(readyElsewhere + TABLE + s.residentPages() * PAGE, os.stats().readyBytes(),
                "the OS layer holds Ready exactly the page table and the resident frames: " + s);
        for (int pid = 0; pid < expected.length; pid++) {
            final long off = pool.fixShared(pid);
            assertEquals(expected[pid], pool.frames().get(ValueLayout.JAVA_LONG, off), "first long of page " + pid);
            assertEquals(expected[pid], pool.frames().get(ValueLayout.JAVA_LONG, off + PAGE - 8), "last of " + pid);
            pool.unfixShared(pid);
        }
    }

    private static long[] values() {
        final long[] v = new long[PAGES];
        for (int i = 0; i < PAGES; i++) {
            v[i] = i + 1;
        }
        return v;
    }

    @Test
    void shouldUndoAMissWhoseUsedFails() {
        try (BufferPool pool = open(false)) {
            fill(pool);
            final BufferPoolStats before = pool.stats();
            assertTrue(before.residentPages() < PAGES, "page 0 went long ago: " + before);
            kernel.failNth(Operation.USED, 1, 12);
            assertThrows(OsOutOfMemoryException.class, () -> pool.fixExclusive(0));
            final BufferPoolStats after = pool.stats();
            assertEquals(before.misses(), after.misses());
            assertTrue(after.residentPages() <= before.residentPages(), "a batch may have been evicted first");
            assertConsistent(pool, values());
        }
    }

    @Test
    void shouldKeepABatchWhoseReleaseFailsResidentAndClean() {
        try (BufferPool pool = open(false)) {
            fill(pool);
            final long evictionsBefore = pool.stats().evictions();
            kernel.failNth(Operation.UNUSED, 1, 22);
            final long dirtyBefore = pool.stats().dirtyPages();
            assertEquals(16, dirtyBefore, "every resident page was written to");
            final OsMemoryException e = assertThrows(OsMemoryException.class, () -> pool.fixShared(0));
            assertEquals(Operation.UNUSED, e.operation());
            final BufferPoolStats s = pool.stats();
            assertEquals(evictionsBefore, s.evictions(), "nothing was evicted");
            assertEquals(16, s.residentPages(), "the batch stayed resident");
            assertEquals(dirtyBefore - pool.evictionBatch(), s.dirtyPages(), "but was written back, so it is clean");
            assertConsistent(pool, values());
        }
    }

    @Test
    void shouldLeaveTheFileAndCountAloneWhenGrowingTheMappingFails() throws IOException {
        try (BufferPool pool = open(false)) {
            kernel.failNth(Operation.MAP, 1, 12); // the first page maps the page table's first chunk
            assertThrows(OsOutOfMemoryException.class, pool::allocatePage);
            assertEquals(0, pool.pageCount());
            assertEquals(0, Files.size(dir.resolve("p")));
            kernel.failNth(Operation.USED, 1, 22);
            assertThrows(OsMemoryException.class, pool::allocatePage);
            assertEquals(0, pool.pageCount());
            fill(pool);
            assertEquals(PAGES * PAGE, Files.size(dir.resolve("p")));
            assertConsistent(pool, values());
        }
    }

    @Test
    void shouldRefuseToLockPastTheLockLimitNamingItAndStayConsistent() {
        final Simulation limited = Simulation.builder().lockLimit(4 * PAGE).build();
        final OsMemory small = OsMemory.simulated(limited);
        try (BufferPool pool = BufferPool.builder().file(dir.resolve("p")).os(small).pageSize(PAGE).maxPages(64)
                .memoryBudget(8 * PAGE).lockFrames(true).jmx(false).build()) {
            for (int i = 0; i < 6; i++) {
                pool.allocatePage();
            }
            assertEquals(8, pool.memoryBudget() / PAGE);
            for (int pid = 0; pid < 4; pid++) {
                stamp(pool, pid, pid + 1);
            }
            assertEquals(4, pool.stats().lockedPages());
            assertEquals(4 * PAGE, limited.lockedBytes());
            final OsMemoryException e = assertThrows(OsMemoryException.class, () -> pool.fixExclusive(4));
            assertTrue(e.getMessage().contains("RLIMIT_MEMLOCK") && e.getMessage().contains("ulimit -l"),
                    e.getMessage());
            assertEquals(4, pool.stats().residentPages(), "the refused frame went back");
            assertEquals(4, pool.stats().lockedPages());
            for (int pid = 0; pid < 4; pid++) {
                assertEquals(pid + 1, first(pool, pid));
            }
        }
        assertEquals(0, limited.lockedBytes(), "close unlocks everything");
    }

    @Test
    void shouldUnlockFramesBeforeGivingThemBack() {
        try (BufferPool pool = open(true)) {
            fill(pool);
            final BufferPoolStats s = pool.stats();
            assertEquals(s.residentPages(), s.lockedPages());
            assertEquals(s.residentPages() * PAGE, kernel.lockedBytes());
            assertTrue(kernel.calls(Operation.UNLOCK) > 0 && kernel.calls(Operation.UNLOCK) <= s.evictions(),
                    "one unlock per run of an eviction batch: " + kernel.calls(Operation.UNLOCK));
            kernel.failNth(Operation.UNLOCK, 1, 22);
            assertThrows(OsMemoryException.class, () -> pool.fixShared(0));
            assertEquals(pool.stats().residentPages() * PAGE, kernel.lockedBytes(), "the batch kept its locks");
            assertConsistent(pool, values());
            assertEquals(pool.stats().residentPages(), pool.stats().lockedPages());
        }
        assertEquals(0, kernel.lockedBytes());
    }

    @Test
    void shouldEvictTheRunsReleasedBeforeARefusalAndKeepTheRest() {
        try (BufferPool pool = open(false)) {
            fill(pool);
        }
        try (BufferPool pool = open(false)) {
            for (int pid = 0; pid < PAGES; pid += 2) { // 16 frames: pages 0, 2, 4 ... 30, in the clock in that order
                pool.fixShared(pid);
                pool.unfixShared(pid);
            }
            assertEquals(16, pool.stats().residentPages());
            // The next miss evicts a batch of two pages that are not adjacent: pages 0 and 2, two runs, one call of
            // the OS layer, which the simulation answers range by range. The second range is refused.
            kernel.failNth(Operation.UNUSED, 2, 22);
            final OsMemoryException e = assertThrows(OsMemoryException.class, () -> pool.fixShared(1));
            assertEquals(Operation.UNUSED, e.operation());
            final BufferPoolStats s = pool.stats();
            assertEquals(1, s.evictions(), "page 0 was released before the refusal: " + s);
            assertEquals(15, s.residentPages(), "page 2 stayed: " + s);
            assertEquals(0, pool.residency(0, 1).residentPages() + (pool.residency(2, 1).residentPages() == 0 ? 1 : 0),
                    "page 0's frame is gone, page 2's is there");
            assertConsistent(pool, values());
        }
    }

    @Test
    void shouldReleaseBatchesInAsFewCallsAsRunsAllow() {
        try (BufferPool pool = open(false, 16)) {
            assertEquals(2, pool.evictionBatch());
            fill(pool); // pages loaded in order: the clock takes them in order, two adjacent pages a batch
            final BufferPoolStats s = pool.stats();
            assertEquals(PAGES - 16, s.evictions(), s.toString());
            assertEquals(s.evictions() / 2, kernel.calls(Operation.UNUSED),
                    "each batch's run of adjacent frames goes back in one call");
        }
    }

    @Test
    void shouldCloseTheFileEvenWhenUnmappingFails() {
        final BufferPool pool = open(false);
        fill(pool);
        kernel.failNth(Operation.FREE, 1, 22);
        assertThrows(OsMemoryException.class, pool::close);
        assertTrue(pool.isClosed());
        kernel.clearFailures();
        final long leaked = os.stats().readyBytes();
        assertTrue(leaked > 0, "the frames whose unmapping failed are still the OS layer's: " + os.stats());
        try (BufferPool again = open(false)) {
            assertConsistent(again, values(), leaked);
        }
        assertFalse(kernel.pendingFailures() > 0);
    }
}
