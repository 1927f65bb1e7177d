package dev.pagoda.verify;

import dev.pagoda.alloc.Heap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Threads allocate objects of every size class and some page runs on one real {@link Heap}, stamp each with a
 * pattern derived from its address and owner ({@link BlockPattern}), check the pattern before freeing, and hand
 * a share of their objects to other threads to free (remote frees). Every new object must read as zero. Fixed
 * seeds, bounded work; zero corruptions, and when the threads have ended every span and page is back.
 */
@EnabledOnOs(OS.LINUX)
class HeapStressTest {
    private static final int THREADS = 4;
    private static final int OPS = 50_000;

    @Test
    void shouldNeverCorruptOrLeakUnderConcurrency() throws Exception {
        try (Heap heap = Heap.create()) {
            final ConcurrentLinkedQueue<long[]> handoff = new ConcurrentLinkedQueue<>();
            final AtomicLong corruptions = new AtomicLong();
            final AtomicLong dirty = new AtomicLong();
            final List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                final int owner = t;
                threads.add(Thread.ofPlatform().name("heap-stress-" + t).start(() -> {
                    final SplittableRandom rnd = new SplittableRandom(0xBEEF + owner);
                    final List<long[]> mine = new ArrayList<>();
                    for (int i = 0; i < OPS; i++) {
                        final int what = rnd.nextInt(10);
                        if (what < 5 || mine.isEmpty()) {
                            final long size = rnd.nextInt(100) == 0 ? 32_769 + rnd.nextInt(100_000)
                                    : 8 + rnd.nextInt(rnd.nextBoolean() ? 256 : 8192);
                            final long a = heap.allocate(size);
                            if (BlockPattern.firstNonZero(a, size) >= 0) {
                                dirty.incrementAndGet();
                            }
                            BlockPattern.stamp(a, size, tag(a, owner));
                            mine.add(new long[] {a, size, owner});
                        } else if (what < 8) {
                            free(heap, mine.remove(rnd.nextInt(mine.size())), corruptions);
                        } else if (what < 9) {
                            handoff.add(mine.remove(rnd.nextInt(mine.size())));
                        } else {
                            final long[] run = handoff.poll();
                            if (run != null) {
                                free(heap, run, corruptions);
                            }
                        }
                    }
                    for (final long[] run : mine) {
                        free(heap, run, corruptions);
                    }
                }));
            }
            for (final Thread t : threads) {
                t.join();
            }
            for (long[] run; (run = handoff.poll()) != null; ) {
                free(heap, run, corruptions);
            }
            assertEquals(0, corruptions.get(), "objects whose pattern changed while they were live");
            assertEquals(0, dirty.get(), "new objects that did not read as zero");
            final long deadline = System.nanoTime() + 10_000_000_000L;
            while ((heap.stats().spans() > 0 || heap.stats().pages().inUseBytes() > 0) && System.nanoTime() < deadline) {
                heap.releaseToOs(); // the ended threads' caches come back through their destructors
                Thread.onSpinWait();
            }
            assertEquals(0, heap.stats().spans(), "spans left after every object was freed");
            assertEquals(0, heap.stats().pages().inUseBytes(), "pages left in use");
            heap.checkInvariants();
        }
    }

    private static void free(final Heap heap, final long[] run, final AtomicLong corruptions) {
        if (BlockPattern.firstDamage(run[0], run[1], tag(run[0], (int) run[2])) >= 0) {
            corruptions.incrementAndGet();
        }
        heap.free(run[0]);
    }

    /** The pattern's tag: derived from address and owner, so that blocks of one owner differ too. */
    private static long tag(final long address, final int owner) {
        return address ^ ((long) owner << 56);
    }
}
