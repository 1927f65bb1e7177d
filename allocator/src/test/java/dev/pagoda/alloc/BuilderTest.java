package dev.pagoda.alloc;

import dev.pagoda.os.OsMemory;
import dev.pagoda.os.Simulation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@code build()} of {@link PageHeapBuilder} and {@link HeapBuilder} decides from the settings together: the
 * combinations that could never allocate anything are refused there, naming the values, and the default page size
 * follows the OS page where that is larger than 8 KiB. All over the simulated OS; nothing here touches memory.
 */
class BuilderTest {
    private static final long GIB = 1L << 30;

    private static OsMemory simulated(final long osPage) {
        return OsMemory.simulated(Simulation.builder().pageSize(osPage).build());
    }

    private static void refused(final Executable build, final String... parts) {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build);
        for (final String part : parts) {
            assertTrue(e.getMessage().contains(part),
                    () -> "message \"" + e.getMessage() + "\" lacks \"" + part + "\"");
        }
    }

    @Test
    void shouldRefuseAnAddressSpaceBudgetSmallerThanOneArena() {
        // The case: 512 GiB arenas under the default 256 GiB budget, on both builders.
        refused(() -> PageHeap.builder().os(simulated(4096)).zeroing(false).arenaBytes(1L << 39).build(),
                "addressSpaceBudget=" + (256 * GIB), "arenaBytes=" + (1L << 39));
        refused(() -> Heap.builder().os(simulated(4096)).zeroing(false).jmx(false).arenaBytes(1L << 39).build(),
                "addressSpaceBudget=" + (256 * GIB), "arenaBytes=" + (1L << 39));
        refused(() -> PageHeap.builder().os(simulated(4096)).zeroing(false).addressSpaceBudget((64L << 20) - 1)
                .build(), "addressSpaceBudget=" + ((64L << 20) - 1), "arenaBytes=" + (64L << 20));
        refused(() -> Heap.builder().os(simulated(4096)).zeroing(false).jmx(false).addressSpaceBudget(1L << 20)
                .build(), "addressSpaceBudget=" + (1L << 20), "arenaBytes=" + (64L << 20));
        // One arena exactly is enough.
        try (PageHeap heap = PageHeap.builder().os(simulated(4096)).zeroing(false).backgroundScavenger(false)
                .addressSpaceBudget(64L << 20).build()) {
            heap.free(heap.allocate(16));
            heap.checkInvariants();
        }
    }

    @Test
    void shouldRefuseAScavengerCapThatIsNoShareOfACore() {
        for (final double bad : new double[] {0, -1, 100.5, Double.NaN, Double.POSITIVE_INFINITY}) {
            refused(() -> PageHeap.builder().scavengerMaxCpuPercent(bad), "scavengerMaxCpuPercent=" + bad,
                    "(0, 100]");
            refused(() -> Heap.builder().scavengerMaxCpuPercent(bad), "scavengerMaxCpuPercent=" + bad, "(0, 100]");
        }
        // The bounds themselves are shares of a core; a cap at the budget is allowed and keeps the budget.
        try (PageHeap heap = PageHeap.builder().os(simulated(4096)).zeroing(false).backgroundScavenger(false)
                .scavengerMaxCpuPercent(100).build()) {
            heap.free(heap.allocate(1));
        }
        try (Heap heap = Heap.builder().os(simulated(4096)).zeroing(false).jmx(false).backgroundScavenger(false)
                .scavengerMaxCpuPercent(0.5).build()) {
            heap.free(heap.allocate(64));
        }
    }

    @Test
    void shouldRefuseDebugModeOverASimulatedOs() {
        // Debug mode writes poison into every freed object: over addresses with no memory behind them that would
        // crash the JVM at the first free, so the heap is refused before it exists.
        refused(() -> Heap.builder().os(simulated(4096)).zeroing(false).jmx(false).debug(true).build(),
                "debug=true", "simulated");
    }

    @Test
    void shouldDefaultThePageSizeToTheOsPageWhereThatIsLarger() {
        for (final long osPage : new long[] {4096, 8192, 16384, 65536}) {
            try (PageHeap heap = PageHeap.builder().os(simulated(osPage)).zeroing(false).backgroundScavenger(false)
                    .build()) {
                assertEquals(Math.max(8192, osPage), heap.pageSize(), "OS page " + osPage);
                heap.free(heap.allocate(1));
            }
        }
        try (PageHeap heap = PageHeap.builder().os(simulated(4096)).zeroing(false).backgroundScavenger(false)
                .pageSize(4096).build()) {
            assertEquals(4096, heap.pageSize(), "a page size set explicitly is kept");
        }
        refused(() -> PageHeap.builder().os(simulated(16384)).zeroing(false).pageSize(8192).build(),
                "pageSize=8192", "16384");
    }
}
