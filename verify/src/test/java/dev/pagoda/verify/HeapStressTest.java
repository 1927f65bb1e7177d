package dev.pagoda.verify;

import dev.pagoda.alloc.Heap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Threads allocate objects of every size class and some page runs on one real {@link Heap}, stamp each with a
 * pattern derived from its address and owner, check the pattern before freeing, and hand a share of their
 * objects to other threads to free (remote frees). Every new object must read as zero where sampled. Fixed
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
                            if (!zero(a, size)) {
                                dirty.incrementAndGet();
                            }
                            stamp(a, size, owner);
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
        if (!check(run[0], run[1], (int) run[2])) {
            corruptions.incrementAndGet();
        }
        heap.free(run[0]);
    }

    @SuppressWarnings("restricted")
    private static MemorySegment segment(final long address, final long bytes) {
        return MemorySegment.ofAddress(address).reinterpret(bytes);
    }

    /** Stamps the first and last 8 bytes (and every 4 KiB between) with a word derived from address and owner. */
    private static void stamp(final long address, final long size, final int owner) {
        final MemorySegment s = segment(address, size);
        for (long off = 0; off + 8 <= size; off += 4096) {
            s.set(ValueLayout.JAVA_LONG_UNALIGNED, off, pattern(address + off, owner));
        }
        s.set(ValueLayout.JAVA_LONG_UNALIGNED, size - 8, ~pattern(address, owner));
    }

    private static boolean check(final long address, final long size, final int owner) {
        final MemorySegment s = segment(address, size);
        for (long off = 0; off + 8 <= size; off += 4096) {
            if (off + 8 <= size - 8 && s.get(ValueLayout.JAVA_LONG_UNALIGNED, off) != pattern(address + off, owner)) {
                return false;
            }
        }
        return s.get(ValueLayout.JAVA_LONG_UNALIGNED, size - 8) == ~pattern(address, owner);
    }

    private static boolean zero(final long address, final long size) {
        final MemorySegment s = segment(address, size);
        return s.get(ValueLayout.JAVA_LONG_UNALIGNED, 0) == 0 && s.get(ValueLayout.JAVA_LONG_UNALIGNED, size - 8) == 0
                && s.get(ValueLayout.JAVA_BYTE, size / 2) == 0;
    }

    private static long pattern(final long address, final int owner) {
        return address * 0x9E3779B97F4A7C15L ^ ((long) owner << 56) ^ 1;
    }
}
