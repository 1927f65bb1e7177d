package dev.pagoda.verify;

import dev.pagoda.alloc.small.SizeClasses;
import dev.pagoda.alloc.Heap;
import dev.pagoda.alloc.HugePagePolicy;
import dev.pagoda.alloc.PageHeap;
import dev.pagoda.alloc.PageHeapStats;
import dev.pagoda.os.MemState;
import dev.pagoda.os.Operation;
import dev.pagoda.os.OsMemory;
import dev.pagoda.os.OsMemoryStats;
import dev.pagoda.os.OsOutOfMemoryException;
import dev.pagoda.os.Simulation;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pagoda on simulated kernels whose pages are larger than 8 KiB, as on Apple silicon (16 KiB) and arm64 Linux
 * kernels built for 16 or 64 KiB pages, on any machine. Each test runs for 16 KiB pages with 32 MiB huge pages and
 * for 64 KiB pages with 512 MiB huge pages (the PMD sizes of those arm64 kernels).
 *
 * <p>The README's "Use it" examples run here as written, with two changes the simulated OS needs: heaps are built
 * with {@code zeroing(false)}, and nothing dereferences an address (a simulated kernel has no memory behind its
 * addresses), so the examples' lines that write or read memory ({@code first.fill(...)}) and
 * {@code heap.residency()} (which asks the real kernel, and refuses a simulated OS) are left out; everything else
 * is checked against the state and figures it must produce.
 */
class SimulatedOsTest {
    private static final long MIB = 1L << 20;
    private static final long GIB = 1L << 30;

    /** The kernel of an arm64 configuration with {@code osPage} pages: its PMD huge page goes with it. */
    private static Simulation kernel(final long osPage) {
        return Simulation.builder().pageSize(osPage).hugePageSize(osPage == 16384 ? 32 * MIB : 512 * MIB).build();
    }

    @ParameterizedTest(name = "{0}-byte OS pages")
    @ValueSource(longs = {16384, 65536})
    void shouldRunTheReadmeOsMemoryExample(final long osPage) {
        final OsMemory os = OsMemory.simulated(kernel(osPage));
        assertEquals(osPage, os.pageSize());
        final long arena = os.reserveAligned(64L << 20, 64L << 20);
        assertEquals(0, arena % (64L << 20), "aligned to its size");
        os.map(arena, 64L << 20);
        os.used(arena, 1L << 20);
        assertEquals(new OsMemoryStats(0, 63 * MIB, MIB), os.stats());
        // The example wraps the first MiB in a MemorySegment and fills it here: left out, there is no memory.
        os.unused(arena, 1L << 20);
        assertEquals(MemState.PREPARED, os.stateOf(arena));
        os.free(arena, 64L << 20);
        assertEquals(new OsMemoryStats(0, 0, 0), os.stats(), "bytes per state, exact");
    }

    @ParameterizedTest(name = "{0}-byte OS pages")
    @ValueSource(longs = {16384, 65536})
    void shouldRunTheReadmePageHeapExampleWithTheDefaultPageSize(final long osPage) {
        try (PageHeap heap = PageHeap.builder().os(OsMemory.simulated(kernel(osPage))).zeroing(false).build()) {
            assertEquals(osPage, heap.pageSize(), "the default page follows the OS page where it is above 8 KiB");
            final long run = heap.allocate(16);
            assertEquals(0, run % osPage);
            assertEquals(16 * osPage, heap.stats().inUseBytes());
            heap.free(run);
            assertThrows(IllegalArgumentException.class, () -> heap.free(run), "a second free is refused");
            heap.releaseToOs();
            final PageHeapStats stats = heap.stats();
            assertEquals(0, stats.inUseBytes());
            assertEquals(0, stats.cachedBytes() + stats.freeBytes(), "every free page was released");
            assertEquals(stats.releasedBytes(), heap.os().stats().preparedBytes());
            heap.checkInvariants();
        }
    }

    @ParameterizedTest(name = "{0}-byte OS pages")
    @ValueSource(longs = {16384, 65536})
    void shouldRunTheReadmeHeapAndArenaExample(final long osPage) {
        try (Heap heap = Heap.builder().os(OsMemory.simulated(kernel(osPage))).zeroing(false)
                .memoryLimit(1L << 30).build()) {
            assertEquals(osPage, heap.pageHeap().pageSize(), "the heap's pages are the OS's");
            final long a = heap.allocate(100);
            assertEquals(0, a % 16);
            assertEquals(112, heap.usableSize(a));
            final long b = heap.allocate(4096, 4096);
            assertEquals(0, b % 4096, "page aligned");
            heap.free(a);
            heap.free(b);
            assertThrows(IllegalArgumentException.class, () -> heap.free(a), "a second free is refused");
            try (Arena arena = heap.newArena()) {
                final MemorySegment s = arena.allocate(ValueLayout.JAVA_LONG, 1024);
                assertEquals(8 * 1024, s.byteSize());
                assertEquals(0, s.address() % 8);
                // The example stops here; writing to s would touch memory the simulated kernel does not have.
            }
            assertEquals(0, heap.stats().classes().stream().mapToLong(c -> c.liveObjects()).sum(),
                    "the arena's segments went back with it");
            heap.checkInvariants();
        }
    }

    @ParameterizedTest(name = "{0}-byte OS pages")
    @ValueSource(longs = {16384, 65536})
    void shouldRunTheReadmeGivingMemoryBackExample(final long osPage) {
        final Simulation kernel = kernel(osPage);
        try (Heap heap = Heap.builder().os(OsMemory.simulated(kernel)).zeroing(false)
                .memoryLimit(8L << 30)
                .memoryTarget(4L << 30)
                .hugePages(HugePagePolicy.PREFER)
                .name("cache-simulated-" + osPage)
                .build()) {
            assertEquals("cache-simulated-" + osPage, heap.name());
            assertEquals(HugePagePolicy.PREFER, heap.hugePages().requested());
            // These kernels' huge pages (32 and 512 MiB) are above the 4 MiB the heap acts on, as in Go: the report
            // says why PREFER is not in force, and no chunk is advised MADV_HUGEPAGE.
            assertEquals(HugePagePolicy.SYSTEM, heap.hugePages().inForce());
            assertFalse(heap.hugePages().hugePagesInPlay());
            assertTrue(heap.hugePages().reason().contains("above the 4 MiB"), heap.hugePages().reason());
            final long run = heap.allocate(100 * osPage); // a page run, to have something to give back
            heap.free(run);
            heap.memoryTarget(2L << 30);
            assertEquals(2L << 30, heap.memoryTarget());
            assertEquals(8L << 30, heap.memoryLimit());
            heap.releaseToOs();
            assertEquals(0, kernel.calls(Operation.HUGE_PAGE), "no MADV_HUGEPAGE for huge pages the heap ignores");
            assertEquals(0, heap.stats().pages().freeBytes(), "everything free went back");
            assertTrue(heap.stats().pages().scavenger().releasedOnDemandBytes() > 0);
            // The example ends with heap.residency(): mincore and smaps of the real kernel, refused here.
            assertThrows(UnsupportedOperationException.class, heap::residency);
        }
    }

    @ParameterizedTest(name = "{0}-byte OS pages")
    @ValueSource(longs = {16384, 65536})
    void shouldRunTheReadmeSimulationExample(final long osPage) {
        final Simulation kernel = Simulation.builder().pageSize(osPage).commitLimit(64L << 20).build();
        final OsMemory os = OsMemory.simulated(kernel);
        kernel.failNth(Operation.MAP, 1, 12); // the next map fails with ENOMEM
        final long base = os.reserve(64L << 20);
        final OsOutOfMemoryException e = assertThrows(OsOutOfMemoryException.class, () -> os.map(base, 1L << 20));
        assertTrue(e.getMessage().contains("ENOMEM"), e.getMessage());
        assertEquals(MemState.RESERVED, os.stateOf(base), "a failed call leaves the pages as they were");
        os.map(base, 64L << 20);
        assertThrows(OsOutOfMemoryException.class, () -> os.map(os.reserve(osPage), osPage), "the commit limit");
    }

    @ParameterizedTest(name = "{0}-byte OS pages")
    @ValueSource(longs = {16384, 65536})
    void shouldServeEverySizeClassFromSpansOfTheLargerPages(final long osPage) {
        try (Heap heap = Heap.builder().os(OsMemory.simulated(kernel(osPage))).zeroing(false).jmx(false).build()) {
            final List<Long> live = new ArrayList<>();
            for (int c = 0; c < SizeClasses.COUNT; c++) {
                final int size = SizeClasses.size(c);
                final long perSpan = SizeClasses.spanPages(c) * osPage / size;
                for (long i = 0; i < 2 * perSpan + 1; i++) { // three spans of the class, the last one just begun
                    final long a = heap.allocate(size);
                    assertEquals(size, heap.usableSize(a), "class " + c);
                    live.add(a);
                }
                assertEquals(3, heap.stats().classes().get(c).spans(), "class " + c);
            }
            final long spanBytes = heap.stats().spanBytes();
            assertEquals(spanBytes, heap.pageHeap().stats().inUseBytes(), "spans are the only pages in use");
            for (final long a : live) {
                heap.free(a);
            }
            heap.stats().classes().forEach(c -> assertEquals(0, c.liveObjects(), "size " + c.size()));
            heap.releaseToOs();
            assertEquals(SizeClasses.COUNT, heap.stats().spans(),
                    "every empty span went back to the page heap but each class's current one, in this thread's cache");
            heap.checkInvariants();
        }
    }
}
