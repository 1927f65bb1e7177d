package dev.pagoda.pool;

import dev.pagoda.os.OsMemory;
import dev.pagoda.os.Platform;
import dev.pagoda.os.Residency;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.management.ObjectName;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pool's contract on the real kernel: allocation, the three kinds of access, eviction, flush, reopen, figures. */
class BufferPoolTest {
    private static final long PAGE = 4096;

    @TempDir
    Path dir;

    private BufferPool open(final Path file, final long budgetPages) {
        return BufferPool.builder().file(file).pageSize(PAGE).maxPages(1 << 20).memoryBudget(budgetPages * PAGE)
                .jmx(false).build();
    }

    @Test
    void shouldGrowTheFileByZeroedPagesAndKeepWhatIsWrittenAcrossReopen() throws IOException {
        final Path file = dir.resolve("pages");
        try (BufferPool pool = open(file, 8)) {
            assertEquals(0, pool.pageCount());
            for (long i = 0; i < 20; i++) {
                assertEquals(i, pool.allocatePage());
            }
            assertEquals(20 * PAGE, Files.size(file), "every page is in the file at once");
            final MemorySegment frames = pool.frames();
            for (long pid = 0; pid < 20; pid++) {
                final long off = pool.fixExclusive(pid);
                assertEquals(pid * PAGE, off);
                assertEquals(0L, frames.get(ValueLayout.JAVA_LONG, off), "a new page reads as zero");
                frames.set(ValueLayout.JAVA_LONG, off, pid * 31);
                frames.set(ValueLayout.JAVA_LONG, off + PAGE - 8, ~pid);
                pool.markDirty(pid);
                pool.unfixExclusive(pid);
            }
            assertTrue(pool.stats().evictions() > 0, "20 pages through 8 frames evict");
        }
        try (BufferPool pool = open(file, 8)) {
            assertEquals(20, pool.pageCount());
            for (long pid = 19; pid >= 0; pid--) {
                final long off = pool.fixShared(pid);
                assertEquals(pid * 31, pool.frames().get(ValueLayout.JAVA_LONG, off));
                assertEquals(~pid, pool.frames().get(ValueLayout.JAVA_LONG, off + PAGE - 8));
                pool.unfixShared(pid);
            }
        }
    }

    @Test
    void shouldReadOptimisticallyAndCountHitsMissesReadsWritesAndEvictions() {
        try (BufferPool pool = open(dir.resolve("pages"), 8)) {
            for (int i = 0; i < 16; i++) {
                pool.allocatePage();
            }
            final long writesAfterAllocation = pool.stats().writes();
            assertEquals(16, writesAfterAllocation, "each allocation writes its zeroed page");
            for (long pid = 0; pid < 4; pid++) {
                final long off = pool.fixExclusive(pid);
                pool.frames().set(ValueLayout.JAVA_LONG, off + 8, 1000 + pid);
                pool.markDirty(pid);
                pool.unfixExclusive(pid);
            }
            final PageReader second = (f, o) -> f.get(ValueLayout.JAVA_LONG, o + 8);
            for (long pid = 0; pid < 4; pid++) {
                assertEquals(1000 + pid, pool.readOptimistic(pid, second));
            }
            BufferPoolStats s = pool.stats();
            assertEquals(4, s.misses());
            assertEquals(4, s.hits());
            assertEquals(4, s.reads());
            assertEquals(4, s.residentPages());
            assertEquals(4 * PAGE, s.residentBytes());
            assertEquals(4, s.dirtyPages());
            assertEquals(0, s.evictions());

            assertEquals(4, pool.flush());
            assertEquals(0, pool.stats().dirtyPages());
            assertEquals(writesAfterAllocation + 4, pool.stats().writes());
            assertEquals(0, pool.flush(), "nothing left to write");

            for (long pid = 4; pid < 16; pid++) {
                assertEquals(0, pool.readOptimistic(pid, second), "an evicted page is loaded for the reader");
            }
            s = pool.stats();
            assertEquals(16, s.misses());
            assertTrue(s.residentPages() <= 8, "never above the budget: " + s);
            assertEquals(s.misses() - s.residentPages(), s.evictions(), "every load not resident was evicted");
            assertEquals(0, s.dirtyPages());
            for (long pid = 0; pid < 4; pid++) {
                assertEquals(1000 + pid, pool.readOptimistic(pid, second), "written back before its frame went");
            }
        }
    }

    @Test
    void shouldWriteBackDirtyPagesWhenTheClockEvictsThem() {
        try (BufferPool pool = open(dir.resolve("pages"), 8)) {
            for (int i = 0; i < 64; i++) {
                final long pid = pool.allocatePage();
                final long off = pool.fixExclusive(pid);
                pool.frames().asSlice(off, PAGE).fill((byte) (i + 1));
                pool.markDirty(pid);
                pool.unfixExclusive(pid);
            }
            final BufferPoolStats s = pool.stats();
            assertTrue(s.evictions() >= 56, "the clock made room for 64 pages in 8 frames: " + s);
            assertEquals(64 + s.evictions(), s.writes(), "every evicted page was dirty and written once");
            for (int i = 0; i < 64; i++) {
                final long off = pool.fixShared(i);
                final MemorySegment page = pool.frames().asSlice(off, PAGE);
                for (long b = 0; b < PAGE; b += 512) {
                    assertEquals((byte) (i + 1), page.get(ValueLayout.JAVA_BYTE, b));
                }
                pool.unfixShared(i);
            }
        }
    }

    @Test
    void shouldKeepTheKernelsResidencyWithinTheBudgetAndGiveFramesBack() {
        try (BufferPool pool = open(dir.resolve("pages"), 16)) {
            for (int i = 0; i < 200; i++) {
                final long pid = pool.allocatePage();
                final long off = pool.fixExclusive(pid);
                pool.frames().set(ValueLayout.JAVA_LONG, off, i);
                pool.markDirty(pid);
                pool.unfixExclusive(pid);
                final Residency r = pool.residency();
                final long residentBytes = r.residentPages() * Platform.current().pageSize();
                assertTrue(residentBytes <= pool.memoryBudget(),
                        "mincore: " + residentBytes + " bytes resident with a budget of " + pool.memoryBudget());
            }
            assertEquals(16 * PAGE, pool.stats().residentBytes());
            final long perPage = PAGE / Platform.current().pageSize();
            assertEquals(16 * perPage, pool.residency().residentPages());
            assertEquals(200 * perPage, pool.residency().pages());
            // The clock took pages in order of loading: the last 16 loaded are the resident ones.
            assertEquals(16 * perPage, pool.residency(184, 16).residentPages());
            assertEquals(0, pool.residency(0, 184).residentPages());
            assertEquals(0, pool.residency(200, 0).pages());
            assertThrows(IllegalArgumentException.class, () -> pool.residency(190, 11));
            assertThrows(IllegalArgumentException.class, () -> pool.residency(-1, 1));
        }
    }

    @Test
    void shouldLetReadersShareAPageAndAWriterWaitForThem() throws Exception {
        try (BufferPool pool = open(dir.resolve("pages"), 8)) {
            final long pid = pool.allocatePage();
            pool.fixShared(pid);
            pool.fixShared(pid);
            final Thread writer = new Thread(() -> {
                pool.fixExclusive(pid);
                pool.unfixExclusive(pid);
            });
            writer.start();
            writer.join(100);
            assertTrue(writer.isAlive(), "the writer waits for both readers");
            pool.unfixShared(pid);
            writer.join(100);
            assertTrue(writer.isAlive(), "and for the second");
            pool.unfixShared(pid);
            writer.join(10_000);
            assertFalse(writer.isAlive());
        }
    }

    @Test
    void shouldRegisterItsMXBeanWhileOpen() throws Exception {
        final ObjectName name = new ObjectName("dev.pagoda:type=BufferPool,name=\"jmx-test\"");
        try (BufferPool pool = BufferPool.builder().file(dir.resolve("pages")).pageSize(PAGE).maxPages(64)
                .memoryBudget(8 * PAGE).name("jmx-test").build()) {
            pool.allocatePage();
            final long off = pool.fixExclusive(0);
            pool.frames().set(ValueLayout.JAVA_LONG, off, 7);
            pool.markDirty(0);
            pool.unfixExclusive(0);
            final var server = ManagementFactory.getPlatformMBeanServer();
            assertEquals(1L, server.getAttribute(name, "PageCount"));
            assertEquals(1L, server.getAttribute(name, "DirtyPages"));
            assertEquals(PAGE, server.getAttribute(name, "ResidentBytes"));
            assertEquals(PAGE, server.getAttribute(name, "ResidentBytesByMincore"));
            assertEquals(8 * PAGE, server.getAttribute(name, "MemoryBudget"));
            assertEquals(1L, server.invoke(name, "flush", null, null));
            assertEquals(0L, server.getAttribute(name, "DirtyPages"));
            final IllegalArgumentException taken = assertThrows(IllegalArgumentException.class,
                    () -> BufferPool.builder().file(dir.resolve("other")).pageSize(PAGE).maxPages(64)
                            .memoryBudget(8 * PAGE).name("jmx-test").build());
            assertTrue(taken.getMessage().contains("jmx-test"), taken.getMessage());
            assertFalse(Files.exists(dir.resolve("other")) && Files.size(dir.resolve("other")) != 0);
        }
        assertFalse(ManagementFactory.getPlatformMBeanServer().isRegistered(name), "unregistered at close");
    }

    @Test
    void shouldReserveTerabytesForNothing() {
        final OsMemory os = OsMemory.system();
        try (BufferPool pool = BufferPool.builder().file(dir.resolve("pages")).os(os).pageSize(16 << 10)
                .maxPages(1L << 26).memoryBudget(1L << 20).jmx(false).build()) {
            assertEquals(1L << 40, pool.maxPages() * pool.pageSize());
            assertTrue(os.stats().ownedBytes() >= 1L << 40, os.toString());
            assertEquals(0, os.stats().readyBytes(), "nothing Ready for an empty file");
            pool.allocatePage();
            assertTrue(os.stats().readyBytes() < 1L << 20, "one chunk of page table: " + os);
        }
        assertEquals(0, os.stats().ownedBytes(), "close gives everything back");
    }
}
