package dev.pagoda.verify;

import dev.pagoda.alloc.Heap;
import dev.pagoda.alloc.HeapResidency;
import dev.pagoda.alloc.PageHeap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Measuring residency while another thread frees large runs (each its own mapping, unmapped when freed): a run
 * listed by the heap and unmapped before {@code mincore} reaches it must count as gone, not fail the measurement
 * with {@code mincore ... ENOMEM}.
 */
@EnabledOnOs(OS.LINUX)
class ResidencyRaceTest {
    private static final long ARENA = 4L << 20;
    /**
     * Each measurement reads {@code /proc/self/smaps} and {@code smaps_rollup}, some 10 ms here; without the fix
     * the race showed within the first 3 to 52 measurements (six runs), so 400 find it with a wide margin.
     */
    private static final int MEASUREMENTS = 400;

    @Test
    void shouldMeasureAPageHeapWhileAnotherThreadFreesLargeRuns() throws InterruptedException {
        try (PageHeap heap = PageHeap.builder().arenaBytes(ARENA).build()) {
            final long npages = ARENA / heap.pageSize() + 1; // one page more than an arena: a large run
            heap.allocate(4); // an arena chunk too, which stays mapped throughout
            race(() -> heap.allocate(npages), heap::free, heap::residency, heap.pageSize());
        }
    }

    @Test
    void shouldMeasureAHeapWhileAnotherThreadFreesLargeRuns() throws InterruptedException {
        try (Heap heap = Heap.builder().arenaBytes(ARENA).build()) {
            final long bytes = ARENA + 8192;
            heap.allocate(100);
            race(() -> heap.allocate(bytes), heap::free, heap::residency, 8192);
        }
    }

    /**
     * Runs a churner (keeps up to four large runs live, touching one page of each, freeing the oldest) against
     * {@value #MEASUREMENTS} measurements on this thread; every measurement must succeed and be consistent.
     */
    private static void race(final LongSupplier allocate, final LongConsumer free,
                             final Supplier<HeapResidency> measure, final long page)
            throws InterruptedException {
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicReference<Throwable> churnFailure = new AtomicReference<>();
        final AtomicLong freed = new AtomicLong();
        final Thread churner = Thread.ofPlatform().name("large-run-churner").start(() -> {
            final ArrayDeque<Long> live = new ArrayDeque<>();
            try {
                while (!stop.get()) {
                    final long run = allocate.getAsLong();
                    touch(run, page);
                    live.addLast(run);
                    if (live.size() > 4) {
                        free.accept(live.removeFirst());
                        freed.incrementAndGet();
                    }
                }
            } catch (final Throwable t) {
                churnFailure.set(t);
            } finally {
                live.forEach(free::accept);
            }
        });
        try {
            for (int i = 0; i < MEASUREMENTS; i++) {
                final HeapResidency r = measure.get();
                assertTrue(r.residentBytes() >= 0 && r.residentBytes() <= r.mappedBytes(), r::toString);
                assertTrue(r.hugePageCoverage() >= 0 && r.hugePageCoverage() <= 1, r::toString);
            }
        } finally {
            stop.set(true);
            churner.join();
        }
        assertNull(churnFailure.get());
        assertTrue(freed.get() > 0, "the churner freed large runs while we measured");
        final HeapResidency quiet = measure.get();
        assertEquals(quiet.mappedBytes(), measure.get().mappedBytes(), "nothing changes when nothing runs");
    }

    @SuppressWarnings("restricted")
    private static void touch(final long address, final long page) {
        MemorySegment.ofAddress(address).reinterpret(page).set(ValueLayout.JAVA_LONG, 0, 1L);
    }
}
