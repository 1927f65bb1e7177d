package dev.pagoda.verify;

import dev.pagoda.alloc.Heap;
import dev.pagoda.alloc.PageHeap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Heaps created, used and closed one after another on a long-lived thread (a pool's worker; here the test
 * thread) must not grow the Java heap: once closed and dropped, each heap, with its per-thread caches, must be
 * collectable although the thread that allocated from it lives on and still has the heap's thread-locals in
 * its map. Each cycle allocates a small object (the heap's per-thread span cache) and a page run (the page
 * heap's per-thread page cache), so both of a heap's thread slots hold a value for this thread.
 */
@EnabledOnOs(OS.LINUX)
class LifecycleLeakTest {
    private static final int CYCLES = 200;
    private static final int GC_ATTEMPTS = 20;

    @Test
    void shouldLetEveryClosedHeapBeCollectedWhileTheThreadThatUsedItLivesOn() throws InterruptedException {
        assertEquals(0, cycles(() -> {
            final Heap heap = Heap.create();
            use(heap);
            heap.close();
            return heap;
        }), "closed heaps still reachable");
    }

    @Test
    void shouldLetEveryHeapClosedByAnotherThreadBeCollected() throws InterruptedException {
        assertEquals(0, cycles(() -> {
            final Heap heap = Heap.create();
            use(heap);
            final Thread closer = Thread.ofPlatform().start(heap::close);
            closer.join();
            return heap;
        }), "heaps closed by another thread still reachable");
    }

    @Test
    void shouldLetEveryClosedPageHeapBeCollected() throws InterruptedException {
        assertEquals(0, cycles(() -> {
            final PageHeap heap = PageHeap.builder().build();
            heap.free(heap.allocate(1)); // a one-page run comes from, and goes back to, this thread's page cache
            heap.close();
            return heap;
        }), "closed page heaps still reachable");
    }

    /** One create-use-close cycle on this thread; returns the closed heap, to be watched. */
    private interface Cycle {
        Object run() throws InterruptedException;
    }

    /** Runs {@value #CYCLES} cycles on this thread and answers how many closed heaps stay reachable. */
    private static int cycles(final Cycle cycle) throws InterruptedException {
        final ReferenceQueue<Object> queue = new ReferenceQueue<>();
        final List<Reference<Object>> heaps = new ArrayList<>();
        for (int i = 0; i < CYCLES; i++) {
            heaps.add(new WeakReference<>(cycle.run(), queue));
        }
        return awaitCollected(queue, heaps);
    }

    private static void use(final Heap heap) {
        final long small = heap.allocate(100);
        final long run = heap.allocate(100_000);
        heap.free(small);
        heap.free(run);
        heap.free(heap.allocate(64)); // keeps a span in this thread's cache until close
    }

    /**
     * Collects garbage until every reference is cleared or {@value #GC_ATTEMPTS} collections have passed, and
     * answers how many were not cleared.
     */
    private static int awaitCollected(final ReferenceQueue<Object> queue, final List<Reference<Object>> refs)
            throws InterruptedException {
        int cleared = 0;
        for (int attempt = 0; attempt < GC_ATTEMPTS && cleared < refs.size(); attempt++) {
            System.gc();
            // Waits for the reference handler to enqueue what this collection cleared, not for the collection.
            for (Reference<?> r = queue.remove(100); r != null && ++cleared < refs.size(); r = queue.poll()) {
                // counting
            }
        }
        return refs.size() - cleared;
    }
}
