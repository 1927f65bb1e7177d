package dev.pagoda.verify;

import dev.pagoda.alloc.Heap;
import dev.pagoda.alloc.HugePagePolicy;
import dev.pagoda.os.OsMemory;
import dev.pagoda.os.OsMemoryException;
import dev.pagoda.os.OsMemoryStats;
import dev.pagoda.os.Operation;
import dev.pagoda.os.Simulation;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A heap on the simulated OS under injected kernel failures: whatever the OS refuses, the heap keeps what it owns
 * and its accounting, stays usable, and gives everything back at close; and a heap on a simulated OS never touches
 * memory, which the simulation does not have.
 */
class SimulatedHeapFaultsTest {
    private static final int EINVAL = 22;
    private static final int ENOMEM = 12;

    private static Heap heap(final OsMemory os) {
        return Heap.builder().os(os).zeroing(false).jmx(false).arenaBytes(8L << 20).build();
    }

    /** Item 10: a failed unmap of a large run once made the heap forget the run and keep 5 MiB mapped for good. */
    @Test
    void aLargeRunWhoseUnmapFailsStaysLiveAccountedAndFreeable() {
        final Simulation kernel = Simulation.builder().build();
        final OsMemory os = OsMemory.simulated(kernel);
        final Heap heap = heap(os);
        final long large = heap.allocate(12L << 20); // above the 8 MiB arena: a dedicated reservation
        final long usable = heap.usableSize(large);
        final OsMemoryStats before = os.stats();
        kernel.failNth(Operation.FREE, 1, EINVAL);

        final OsMemoryException e = assertThrows(OsMemoryException.class, () -> heap.free(large));
        assertEquals(EINVAL, e.errno());

        assertEquals(before, os.stats(), "the OS layer kept the run as it was");
        assertEquals(usable, heap.usableSize(large), "the heap still knows the run");
        heap.checkInvariants();
        heap.free(large);
        assertThrows(IllegalArgumentException.class, () -> heap.free(large), "now it is gone");
        heap.checkInvariants();
        heap.close();
        assertEquals(new OsMemoryStats(0, 0, 0), os.stats(), "nothing left mapped after close");
    }

    /** Item 12: a failing huge-page hint once left a chunk Prepared but unknown, and every allocation failed. */
    @Test
    void failingHugePageHintsNeitherThrowNorBreakTheHeap() {
        final Simulation kernel = Simulation.builder().hugePageSize(2L << 20).build();
        final OsMemory os = OsMemory.simulated(kernel);
        for (final HugePagePolicy policy : new HugePagePolicy[]{HugePagePolicy.PREFER, HugePagePolicy.FORBID}) {
            kernel.failNth(Operation.HUGE_PAGE, 1, EINVAL);
            kernel.failNth(Operation.NO_HUGE_PAGE, 1, EINVAL);
            try (Heap heap = Heap.builder().os(os).zeroing(false).jmx(false).hugePages(policy).build()) {
                final long a = heap.allocate(100);
                final long run = heap.allocate(1 << 20);
                final long b = heap.allocate(3L << 20);
                heap.checkInvariants();
                heap.free(a);
                heap.free(run);
                heap.free(b);
            }
            assertEquals(new OsMemoryStats(0, 0, 0), os.stats(), policy + ": nothing left mapped after close");
        }
    }

    /** A failed map during growth leaves the heap as it was: the allocation fails, the next one succeeds. */
    @Test
    void aFailedGrowthIsAnOutOfMemoryErrorAndTheHeapStaysUsable() {
        final Simulation kernel = Simulation.builder().build();
        final OsMemory os = OsMemory.simulated(kernel);
        try (Heap heap = heap(os)) {
            kernel.failNth(Operation.MAP, 1, ENOMEM);
            assertThrows(OutOfMemoryError.class, () -> heap.allocate(64));
            final long a = heap.allocate(64);
            heap.checkInvariants();
            heap.free(a);
        }
        assertEquals(new OsMemoryStats(0, 0, 0), os.stats());
    }

    /** Item 4: a simulated OS has no memory, so nothing that reads or writes memory may run on it. */
    @Test
    void nothingTouchesMemoryOnASimulatedOs() {
        final OsMemory os = OsMemory.simulated();
        final IllegalArgumentException debug = assertThrows(IllegalArgumentException.class,
                () -> Heap.builder().os(os).zeroing(false).debug(true).jmx(false).build());
        assertTrue(debug.getMessage().contains("debug"), debug.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Heap.builder().os(os).jmx(false).build(),
                "zeroing on a simulated OS is refused");
        try (Heap heap = heap(os)) {
            final long a = heap.allocate(64);
            assertEquals(a, heap.reallocate(a, 60), "a reallocation that fits in place touches nothing");
            final UnsupportedOperationException move = assertThrows(UnsupportedOperationException.class,
                    () -> heap.reallocate(a, 100_000));
            assertTrue(move.getMessage().contains("simulated"), move.getMessage());
            assertEquals(64, heap.usableSize(a), "the refused reallocation left the allocation as it was");
            heap.free(a);
            heap.checkInvariants();
        }
    }
}
