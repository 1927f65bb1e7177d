package dev.pagoda.verify;

import dev.pagoda.alloc.Heap;
import dev.pagoda.alloc.SizeClassStats;
import dev.pagoda.os.MemState;
import dev.pagoda.os.OsMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Release inside spans: the OS pages of a span on which no object lives go back to the OS while the span lives on
 * (by {@code releaseToOs()} at once, by the scavenger for spans idle for a generation), the objects still living
 * there keep their bytes, objects handed out again on those pages are Ready and zeroed, and the heap's invariant
 * checker, which compares every page's state in the OS layer with the heap's books, passes throughout.
 */
class InsideReleaseTest {
    @SuppressWarnings("restricted")
    private static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
    /** 2 KiB objects: a span holds many, each OS page a couple. */
    private static final int SIZE = 2048;
    private static final int COUNT = 4096;
    /** One object in this many stays live: a sparse remnant spread over every span. */
    private static final int KEEP_EVERY = 8;

    private static long live(final Heap heap) {
        long n = 0;
        for (final SizeClassStats c : heap.stats().classes()) {
            n += c.liveObjects();
        }
        return n;
    }

    /** Whether every OS page under the object at {@code a} is Ready. */
    private static boolean onReadyPages(final OsMemory os, final long a) {
        final long first = a & -os.pageSize();
        final long end = (a + SIZE + os.pageSize() - 1) & -os.pageSize();
        return os.bytesIn(first, end - first, MemState.READY) == end - first;
    }

    /** Allocates {@link #COUNT} objects, writes each one's index into all its words, frees all but a remnant. */
    private static List<Long> sparseRemnant(final Heap heap, final boolean write) {
        final List<Long> kept = new ArrayList<>();
        final long[] all = new long[COUNT];
        for (int i = 0; i < COUNT; i++) {
            all[i] = heap.allocate(SIZE);
            if (write) {
                for (int off = 0; off < SIZE; off += 8) {
                    ALL.set(ValueLayout.JAVA_LONG_UNALIGNED, all[i] + off, i);
                }
            }
        }
        for (int i = 0; i < COUNT; i++) {
            if (i % KEEP_EVERY == 0) {
                kept.add(all[i]);
            } else {
                heap.free(all[i]);
            }
        }
        return kept;
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void releaseToOsGivesBackThePagesOfSparseSpansAndKeepsEveryLiveByte() {
        try (Heap heap = Heap.builder().jmx(false).backgroundScavenger(false).build()) {
            final List<Long> kept = sparseRemnant(heap, true);
            final long spanBytes = heap.stats().spanBytes();
            final long readyBefore = heap.stats().pages().readyBytes();

            final long released = heap.releaseToOs();
            heap.checkInvariants();

            // A 2 KiB object in every 8th slot (one per 16 KiB span) leaves 3 of its 4 OS pages free: they go back.
            final long pagesBytes = (long) COUNT * SIZE;
            assertTrue(released >= pagesBytes / 2, () -> "released only " + released + " of " + pagesBytes
                    + " bytes whose objects were all freed");
            final long readyAfter = heap.stats().pages().readyBytes();
            assertTrue(readyAfter <= readyBefore - pagesBytes / 2, () -> "Ready " + readyBefore + " -> " + readyAfter);
            assertEquals(spanBytes, heap.stats().spanBytes(), "the spans themselves live on");
            assertTrue(heap.stats().spanReleasedBytes() >= pagesBytes / 2, () -> "counted: " + heap.stats());
            for (int k = 0; k < kept.size(); k++) {
                final long a = kept.get(k);
                final long index = (long) k * KEEP_EVERY;
                for (int off = 0; off < SIZE; off += 8) {
                    assertEquals(index, ALL.get(ValueLayout.JAVA_LONG_UNALIGNED, a + off), "a live object's bytes");
                }
            }

            // Handing the freed objects out again makes their pages Ready, zeroed; the books stay exact.
            final long[] again = new long[COUNT - kept.size()];
            for (int i = 0; i < again.length; i++) {
                again[i] = heap.allocate(SIZE);
                for (int off = 0; off < SIZE; off += 8) {
                    assertEquals(0L, ALL.get(ValueLayout.JAVA_LONG_UNALIGNED, again[i] + off), "zeroed");
                }
                ALL.set(ValueLayout.JAVA_LONG_UNALIGNED, again[i], -1L);
            }
            heap.checkInvariants();
            assertEquals(0, heap.stats().spanReleasedBytes(), "every released page came back for an object on it");
            assertEquals(COUNT, live(heap));
            for (final long a : again) {
                heap.free(a);
            }
            for (final long a : kept) {
                heap.free(a);
            }
            assertEquals(0, live(heap));
            heap.releaseToOs();
            heap.checkInvariants();
        }
    }

    @Test
    void onTheSimulatedOsEveryPageStateMatchesTheBooksThroughReleaseAndReuse() {
        final OsMemory os = OsMemory.simulated();
        try (Heap heap = Heap.builder().os(os).zeroing(false).jmx(false).backgroundScavenger(false).build()) {
            final List<Long> kept = sparseRemnant(heap, false);
            assertTrue(heap.releaseToOs() > 0);
            heap.checkInvariants(); // per page: Prepared bytes equal those released inside its span
            for (final long a : kept) {
                assertTrue(onReadyPages(os, a), "a live object stays on Ready pages");
            }
            final List<Long> again = new ArrayList<>();
            for (int i = 0; i < COUNT / 2; i++) {
                final long a = heap.allocate(SIZE);
                assertTrue(onReadyPages(os, a), "an object handed out is on Ready pages");
                again.add(a);
                if (i % 97 == 0) {
                    heap.checkInvariants();
                }
            }
            for (final long a : kept) {
                heap.free(a);
            }
            assertTrue(heap.releaseToOs() > 0, "the spans emptied by the last frees go back whole");
            heap.checkInvariants();
            for (final long a : again) {
                heap.free(a);
            }
            heap.releaseToOs();
            heap.checkInvariants();
            assertEquals(0, live(heap));
        }
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void theScavengerReleasesInsideSpansIdleForAGeneration() {
        try (Heap heap = Heap.builder().jmx(false).build()) {
            sparseRemnant(heap, true);
            final long readyBefore = heap.stats().pages().readyBytes();
            final long want = readyBefore - (long) COUNT * SIZE / 2;
            assertTrue(Await.until(Duration.ofSeconds(10), () -> { },
                    () -> heap.stats().pages().readyBytes() <= want),
                    () -> "Ready still " + heap.stats().pages().readyBytes() + ", wanted at most " + want);
            heap.checkInvariants();
        }
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void aDebugHeapKeepsItsSpansWholeSoThatPoisonStaysReadable() {
        try (Heap heap = Heap.builder().jmx(false).debug(true).backgroundScavenger(false).build()) {
            final List<Long> kept = sparseRemnant(heap, false);
            final long spanBytes = heap.stats().spanBytes();
            heap.releaseToOs();
            heap.checkInvariants();
            assertEquals(spanBytes, heap.stats().spanBytes());
            for (int i = 0; i < COUNT; i++) {
                heap.allocate(SIZE); // each reused object's poison is checked: none may read as written after free
            }
            assertEquals(COUNT + kept.size(), live(heap));
        }
    }
}
