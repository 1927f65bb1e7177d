package dev.pagoda.verify;

import dev.pagoda.alloc.Heap;
import dev.pagoda.alloc.PageHeapStats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The misuse catalogue of the {@link Heap}: one test per kind of misuse, each checking the exception and its
 * message, that nothing changed (the page heap's statistics are the same), that the heap still passes its
 * invariant checker, and that it still allocates.
 */
@EnabledOnOs(OS.LINUX)
class HeapMisuseTest {
    private Heap heap;
    private long small;
    private long run;

    @BeforeEach
    void open() {
        heap = Heap.create();
        small = heap.allocate(100);
        run = heap.allocate(100_000);
    }

    @AfterEach
    void close() {
        heap.close();
    }

    @Test
    void shouldRefuseFreeOfZero() {
        refused(() -> heap.free(0), IllegalArgumentException.class, "must not be 0");
    }

    @Test
    void shouldRefuseFreeOfAnAddressNeverAllocated() {
        refused(() -> heap.free(0x1234_5000L), IllegalArgumentException.class, "not allocated by this heap");
    }

    @Test
    void shouldRefuseFreeOfAnInteriorAddressOfASmallObject() {
        refused(() -> heap.free(small + 16), IllegalArgumentException.class, "inside an allocation");
        refused(() -> heap.free(small + 1), IllegalArgumentException.class, "inside an allocation");
    }

    @Test
    void shouldRefuseFreeOfAnInteriorAddressOfAPageRun() {
        refused(() -> heap.free(run + 8192), IllegalArgumentException.class, "not the start of a live run");
    }

    @Test
    void shouldRefuseFreeOfAnAddressFromAnotherHeap() {
        try (Heap other = Heap.create()) {
            final long foreign = other.allocate(64);
            refused(() -> heap.free(foreign), IllegalArgumentException.class, "not allocated by this heap");
            other.free(foreign);
        }
    }

    @Test
    void shouldRefuseADoubleFreeOnTheSameThread() {
        heap.free(small);
        small = 0;
        final long freed = heap.allocate(64);
        heap.free(freed);
        refused(() -> heap.free(freed), IllegalArgumentException.class, "not a live allocation");
    }

    @Test
    void shouldRefuseADoubleFreeFromAnotherThread() throws Exception {
        final long a = heap.allocate(48);
        final Throwable[] seen = new Throwable[1];
        final Thread t = Thread.ofPlatform().start(() -> {
            heap.free(a);
            try {
                heap.free(a);
            } catch (final IllegalArgumentException e) {
                seen[0] = e;
            }
        });
        t.join();
        assertTrue(seen[0] != null && seen[0].getMessage().contains("not a live allocation"));
        healthy();
    }

    @Test
    void shouldRefuseADoubleFreeOfAPageRun() {
        heap.free(run);
        run = 0;
        final long r = heap.allocate(70_000);
        heap.free(r);
        refused(() -> heap.free(r), IllegalArgumentException.class, "freed already");
    }

    @Test
    void shouldRefuseNegativeZeroAndOverflowingSizes() {
        refused(() -> heap.allocate(0), IllegalArgumentException.class, "size=0");
        refused(() -> heap.allocate(-1), IllegalArgumentException.class, "size=-1");
        refused(() -> heap.allocate(Long.MAX_VALUE), IllegalArgumentException.class, "size=" + Long.MAX_VALUE);
        refused(() -> heap.allocate(Long.MAX_VALUE - 10, 4096), IllegalArgumentException.class,
                "leave room for the alignment");
        refused(() -> heap.reallocate(small, -5), IllegalArgumentException.class, "newSize=-5");
    }

    @Test
    void shouldRefuseAlignmentsThatAreNotPowersOfTwo() {
        refused(() -> heap.allocate(64, 3), IllegalArgumentException.class, "alignment=3");
        refused(() -> heap.allocate(64, 0), IllegalArgumentException.class, "alignment=0");
        refused(() -> heap.allocate(64, -8), IllegalArgumentException.class, "alignment=-8");
    }

    @Test
    void shouldRefuseUseOfAClosedHeap() {
        final Heap closed = Heap.create();
        final long a = closed.allocate(10);
        closed.close();
        assertThrows(IllegalStateException.class, () -> closed.allocate(10));
        assertThrows(IllegalStateException.class, () -> closed.allocate(10, 64));
        assertThrows(IllegalStateException.class, () -> closed.free(a));
        assertThrows(IllegalStateException.class, closed::newArena);
        closed.close(); // idempotent
        healthy();
    }

    /** The call fails as expected, and afterwards nothing changed and the heap is healthy. */
    private void refused(final Executable call, final Class<? extends Throwable> type, final String part) {
        final PageHeapStats before = heap.stats().pages();
        final Throwable e = assertThrows(type, call);
        assertTrue(e.getMessage().contains(part), () -> "message \"" + e.getMessage() + "\" lacks \"" + part + "\"");
        assertEquals(before, heap.stats().pages(), "a refused call changed the heap");
        healthy();
    }

    private void healthy() {
        heap.checkInvariants();
        final long a = heap.allocate(100);
        assertNotEquals(0, a);
        heap.free(a);
        heap.checkInvariants();
    }
}
