package dev.pagoda.alloc;

import dev.pagoda.alloc.scavenge.Scavenger;
import dev.pagoda.os.Clock;
import dev.pagoda.os.FakeClock;
import dev.pagoda.os.MemState;
import dev.pagoda.os.Operation;
import dev.pagoda.os.OsMemory;
import dev.pagoda.os.Simulation;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The scavenger's choices on the simulated OS, one page allocator step at a time: which pages it releases, in
 * what order, which it leaves alone, and how far it goes. Heaps here have no page caches and no background
 * scavenger, and a fake clock drives the generations, so every release is one the test asked for.
 */
class ScavengerTest {
    private static final long PAGE = 8192;
    private static final long GENERATION = Scavenger.GENERATION_MS * 1_000_000L;

    private final Simulation kernel = Simulation.builder().build();
    private final OsMemory os = OsMemory.simulated(kernel);
    private final FakeClock clock = Clock.fake(0);

    private PageHeap heap(final HugePagePolicy policy) {
        return PageHeap.builder().os(os).zeroing(false).pageCaches(false).backgroundScavenger(false)
                .hugePages(policy).clock(clock).build();
    }

    /** Allocates {@code n} single pages from the bottom of an empty heap; returns their addresses by page. */
    private static long[] fill(final PageHeap heap, final int n) {
        final long[] at = new long[n];
        for (int i = 0; i < n; i++) {
            at[i] = heap.allocate(1);
        }
        for (int i = 1; i < n; i++) {
            assertEquals(at[0] + i * PAGE, at[i], "first fit hands out pages in address order");
        }
        return at;
    }

    /** Lets two generations pass, so no chunk counts as recently dense any more. */
    private void forgetDensity(final PageHeap heap) {
        for (int i = 0; i < 2; i++) {
            clock.advance(GENERATION);
            heap.scavenge();
        }
    }

    private MemState state(final long address) {
        return os.stateOf(address);
    }

    @Test
    void shouldReleaseHighestAddressesFirstDownToLivePlusTenPercent() {
        try (PageHeap heap = heap(HugePagePolicy.SYSTEM)) {
            final long[] at = fill(heap, 1024);
            for (int i = 100; i < 1024; i++) {
                heap.free(at[i]);
            }
            clock.advance(2 * GENERATION);
            assertEquals(0, heap.scavenge(), "chunks dense in this generation are left alone");
            forgetDensity(heap);
            final ScavengerStats s = heap.stats().scavenger();
            assertEquals(110 * PAGE, s.goalBytes(), "goal = live 100 pages + 10%");
            assertEquals(s.goalBytes(), s.retainedBytes(), "released down to the goal exactly");
            assertEquals(914 * PAGE, s.releasedBackgroundBytes());
            assertEquals(1, s.cycles());
            assertEquals(MemState.READY, state(at[109]), "the lowest free pages stay resident");
            assertEquals(MemState.PREPARED, state(at[110]), "everything above them is released");
            assertEquals(MemState.PREPARED, state(at[1023]));
            heap.checkInvariants();
        }
    }

    @Test
    void shouldSkipADenseChunkEvenWhenItIsHighest() {
        try (PageHeap heap = heap(HugePagePolicy.SYSTEM)) {
            final long[] at = fill(heap, 1024);
            for (int i = 10; i < 512; i++) {
                heap.free(at[i]); // chunk 0 keeps 10 pages
            }
            for (int i = 1012; i < 1024; i++) {
                heap.free(at[i]); // chunk 1 keeps 500 of 512: dense
            }
            forgetDensity(heap);
            assertEquals(MemState.READY, state(at[1015]), "a free page of a dense chunk is not released");
            assertEquals(MemState.PREPARED, state(at[511]), "the sparse chunk below is released from its top");
            final ScavengerStats s = heap.stats().scavenger();
            assertEquals(s.goalBytes(), s.retainedBytes());
            assertEquals(510 * PAGE + 51 * PAGE, s.goalBytes(), "live 510 pages + 10%, rounded up to a page");
            heap.releaseToOs();
            assertEquals(MemState.PREPARED, state(at[1015]), "a forced release ignores density");
            heap.checkInvariants();
        }
    }

    @Test
    void shouldRememberDensityForThisGenerationAndTheNext() {
        try (PageHeap heap = heap(HugePagePolicy.SYSTEM)) {
            final long[] at = fill(heap, 512);
            for (int i = 10; i < 512; i++) {
                heap.free(at[i]);
            }
            assertEquals(0, heap.scavenge(), "dense earlier in this generation");
            clock.advance(GENERATION);
            assertEquals(0, heap.scavenge(), "dense in the last generation");
            clock.advance(GENERATION);
            assertEquals(501 * PAGE, heap.scavenge(), "two generations later: down to 11 pages");
        }
    }

    @Test
    void shouldAlsoMeetNinetyFivePercentOfTheMemoryTarget() {
        try (PageHeap heap = heap(HugePagePolicy.SYSTEM)) {
            final long[] at = fill(heap, 1024);
            for (int i = 824; i < 1024; i++) {
                heap.free(at[i]);
            }
            forgetDensity(heap);
            final long byGoal = heap.stats().scavenger().releasedBackgroundBytes();
            assertEquals(1024 * PAGE - heap.stats().scavenger().goalBytes(), byGoal, "live + 10% only");
            heap.memoryTarget(800 * PAGE);
            assertEquals(800 * PAGE, heap.memoryTarget());
            heap.scavenge();
            assertEquals(200 * PAGE, heap.stats().scavenger().releasedBackgroundBytes(),
                    "95% of the target is below live: every free page goes");
            heap.checkInvariants();
        }
    }

    @Test
    void shouldNotSplitAMostlyUsedHugePageWhenHugePagesAreInPlay() {
        for (final HugePagePolicy policy : new HugePagePolicy[] {HugePagePolicy.PREFER, HugePagePolicy.SYSTEM}) {
            try (PageHeap heap = heap(policy)) {
                assertEquals(policy == HugePagePolicy.PREFER, heap.hugePages().hugePagesInPlay(), policy.name());
                final long[] at = fill(heap, 512);
                for (int i = 0; i < 200; i++) {
                    heap.free(at[i]); // huge page A = pages 0..255 keeps 56 pages
                }
                for (int i = 256; i < 356; i++) {
                    heap.free(at[i]); // huge page B = pages 256..511 keeps 156 pages: mostly used
                }
                forgetDensity(heap);
                if (policy == HugePagePolicy.PREFER) {
                    assertEquals(MemState.READY, state(at[300]), "B is mostly used: not split");
                    assertEquals(MemState.PREPARED, state(at[0]), "A is mostly free: released");
                } else {
                    assertEquals(MemState.PREPARED, state(at[300]), "without huge pages the highest go first");
                }
                heap.checkInvariants();
            }
        }
    }

    @Test
    void shouldAdviseNewChunksAsThePolicyAsks() {
        try (PageHeap heap = heap(HugePagePolicy.PREFER)) {
            heap.allocate(1);
            assertEquals(1, kernel.calls(Operation.HUGE_PAGE), "one MADV_HUGEPAGE for the new chunk");
        }
        try (PageHeap heap = heap(HugePagePolicy.FORBID)) {
            heap.allocate(1);
            assertEquals(1, kernel.calls(Operation.NO_HUGE_PAGE));
        }
        try (PageHeap heap = heap(HugePagePolicy.SYSTEM)) {
            heap.allocate(1);
            assertEquals(1, kernel.calls(Operation.HUGE_PAGE), "no advice of its own");
            assertEquals(1, kernel.calls(Operation.NO_HUGE_PAGE));
        }
    }

    @Test
    void shouldCollapseADenseChunkOnceUntilItIsReleasedAgain() {
        try (PageHeap heap = heap(HugePagePolicy.COLLAPSE)) {
            final long[] at = fill(heap, 512);
            assertEquals(512 * PAGE, heap.scavenge(), "nothing to release: the dense chunk is collapsed");
            assertEquals(1, kernel.calls(Operation.HUGE_PAGE_COLLAPSE));
            assertEquals(0, heap.scavenge(), "collapsed once");
            assertEquals(512 * PAGE, heap.stats().scavenger().collapsedBytes());
            heap.free(at[511]);
            heap.releaseToOs(); // splits the chunk's last huge page
            heap.allocate(1);
            heap.scavenge();
            assertEquals(2, kernel.calls(Operation.HUGE_PAGE_COLLAPSE), "dense again after a release: collapsed again");
        }
    }

    @Test
    void shouldReportWhyAPolicyIsNotInForce() {
        final OsMemory noHuge = OsMemory.simulated(Simulation.builder().hugePageSize(0).build());
        try (PageHeap heap = PageHeap.builder().os(noHuge).zeroing(false).backgroundScavenger(false)
                .hugePages(HugePagePolicy.PREFER).build()) {
            final HugePageReport r = heap.hugePages();
            assertEquals(HugePagePolicy.PREFER, r.requested());
            assertEquals(HugePagePolicy.SYSTEM, r.inForce());
            assertTrue(r.reason().contains("no transparent huge pages"), r.reason());
        }
        try (PageHeap heap = heap(HugePagePolicy.COLLAPSE)) {
            assertEquals(HugePagePolicy.COLLAPSE, heap.hugePages().inForce());
        }
    }

    @Test
    void shouldActAsIfThereWereNoHugePagesWhenTheyAreLargerThanFourMiB() {
        // arm64 kernels with 16 and 64 KiB pages have 32 and 512 MiB PMD huge pages; Go's runtime ignores huge
        // pages above 4 MiB (maxPhysHugePageSize), and so does the heap. 4 MiB itself is still acted on.
        for (final long huge : new long[] {32L << 20, 512L << 20}) {
            final Simulation big = Simulation.builder().hugePageSize(huge).build();
            final OsMemory bigOs = OsMemory.simulated(big);
            for (final HugePagePolicy policy : HugePagePolicy.values()) {
                try (PageHeap heap = PageHeap.builder().os(bigOs).zeroing(false).pageCaches(false)
                        .backgroundScavenger(false).hugePages(policy).clock(clock).build()) {
                    final HugePageReport r = heap.hugePages();
                    final String where = (huge >> 20) + " MiB, " + policy;
                    assertEquals(policy, r.requested(), where);
                    assertEquals(policy == HugePagePolicy.FORBID ? HugePagePolicy.FORBID : HugePagePolicy.SYSTEM,
                            r.inForce(), where + ": only MADV_NOHUGEPAGE is still given, as Go gives it");
                    assertFalse(r.hugePagesInPlay(), where);
                    assertTrue(r.reason().contains((huge >> 20) + " MiB") && r.reason().contains("4 MiB"),
                            where + ": " + r.reason());
                    final long[] at = fill(heap, 512);
                    heap.scavenge(); // the chunk is dense: under COLLAPSE this would collapse it
                    for (int i = 256; i < 356; i++) {
                        heap.free(at[i]); // the chunk (one release block) stays 80% in use
                    }
                    forgetDensity(heap);
                    assertEquals(MemState.PREPARED, bigOs.stateOf(at[355]), where + ": no huge page kept whole");
                    heap.checkInvariants();
                }
            }
            assertEquals(0, big.calls(Operation.HUGE_PAGE), "no MADV_HUGEPAGE");
            assertEquals(0, big.calls(Operation.HUGE_PAGE_COLLAPSE), "no MADV_COLLAPSE");
            assertEquals(1, big.calls(Operation.NO_HUGE_PAGE), "FORBID's one chunk");
        }
        final OsMemory fourMiB = OsMemory.simulated(Simulation.builder().hugePageSize(4L << 20).build());
        try (PageHeap heap = PageHeap.builder().os(fourMiB).zeroing(false).backgroundScavenger(false)
                .hugePages(HugePagePolicy.PREFER).build()) {
            assertEquals(HugePagePolicy.PREFER, heap.hugePages().inForce());
            assertTrue(heap.hugePages().hugePagesInPlay());
        }
    }

    @Test
    void shouldCountForcedReleasesApartFromBackgroundOnes() {
        try (PageHeap heap = heap(HugePagePolicy.SYSTEM)) {
            final long[] at = fill(heap, 600);
            for (final long a : at) {
                heap.free(a);
            }
            heap.releaseToOs();
            final ScavengerStats s = heap.stats().scavenger();
            assertEquals(600 * PAGE, s.releasedOnDemandBytes());
            assertEquals(0, s.releasedBackgroundBytes());
            assertEquals(0, s.retainedBytes());
        }
    }

    @Test
    void shouldTraceOneLinePerCycle() {
        final PrintStream saved = System.err;
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setErr(new PrintStream(out, true, StandardCharsets.UTF_8));
        try (PageHeap heap = PageHeap.builder().os(os).zeroing(false).pageCaches(false).backgroundScavenger(false)
                .clock(clock).scavengerTrace(true).name("traced").build()) {
            final long[] at = fill(heap, 512);
            for (int i = 100; i < 512; i++) {
                heap.free(at[i]);
            }
            forgetDensity(heap);
        } finally {
            System.setErr(saved);
        }
        final String trace = out.toString(StandardCharsets.UTF_8);
        assertTrue(trace.matches("pagoda scav traced: 3216 KiB work \\(bg\\), 0 KiB work \\(eager\\), 3216 KiB now, "
                + "90% util\\R"), trace);
    }

    @Test
    void shouldSweepABacklogOfEmptySpansWithinAFewGenerations() throws Exception {
        final HeapBuilder b = Heap.builder().os(os).zeroing(false).jmx(false).backgroundScavenger(false);
        b.pages().clock(clock);
        try (Heap heap = b.build()) {
            // Another thread fills 2,048 spans of 1 KiB objects and frees them all: its cache keeps one span, the
            // others are queued with every object free. A sweep of 16 spans per class a generation needed 128
            // generations (32 s) for them; the scavenger's generation hook must return them within two seconds.
            final Thread t = new Thread(() -> {
                final long[] at = new long[16 << 10];
                for (int i = 0; i < at.length; i++) {
                    at[i] = heap.allocate(1024);
                }
                for (final long a : at) {
                    heap.free(a);
                }
            });
            t.start();
            t.join();
            final long spans = heap.stats().spans();
            assertTrue(spans >= 2000, () -> spans + " spans");
            int generations = 0;
            while (heap.stats().spans() > 1 && generations < 12) {
                clock.advance(GENERATION);
                heap.pageHeap().scavenge(); // the scavenger's cycle alone, with its generation hook
                generations++;
            }
            final long left = heap.stats().spans();
            assertTrue(left <= 1, () -> left + " spans left after 12 generations");
            assertTrue(generations <= 8, "the backlog took " + generations + " generations");
            heap.checkInvariants();
        }
    }
}
