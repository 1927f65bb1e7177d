package dev.pagoda.verify;

import dev.pagoda.alloc.PageHeap;
import dev.pagoda.alloc.PageHeapStats;
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
 * Threads allocate runs on one real heap, fill them with a pattern derived from the address and the owner,
 * and check the pattern before freeing; a share of the runs is handed to another thread to free (cross-thread
 * frees), and every new run must read as zero where it is sampled. Fixed seeds, bounded work. Zero corruptions,
 * and no live bytes at the end.
 */
@EnabledOnOs(OS.LINUX)
class PageHeapStressTest {
    private static final int THREADS = 4;
    private static final int OPS = 20_000;

    @Test
    void shouldNeverHandOutOverlappingOrDirtyMemoryUnderConcurrency() throws Exception {
        try (PageHeap heap = PageHeap.builder().arenaBytes(8L << 20).build()) {
            final long page = heap.pageSize();
            final ConcurrentLinkedQueue<long[]> handoff = new ConcurrentLinkedQueue<>();
            final AtomicLong corruptions = new AtomicLong();
            final AtomicLong nonZero = new AtomicLong();
            final List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                final int owner = t;
                threads.add(Thread.ofPlatform().name("stress-" + t).start(() -> {
                    final SplittableRandom rnd = new SplittableRandom(0xC0FFEE + owner);
                    final List<long[]> mine = new ArrayList<>();
                    for (int i = 0; i < OPS; i++) {
                        final int what = rnd.nextInt(10);
                        if (what < 5 || mine.isEmpty()) {
                            final long n = rnd.nextInt(20) == 0 ? 16 + rnd.nextInt(600) : 1 + rnd.nextInt(15);
                            final long a = heap.allocate(n);
                            if (!sampledZero(a, n * page, page)) {
                                nonZero.incrementAndGet();
                            }
                            stamp(a, n * page, page, owner);
                            mine.add(new long[] {a, n, owner});
                        } else if (what < 8) {
                            final long[] run = mine.remove(rnd.nextInt(mine.size()));
                            if (!check(run[0], run[1] * page, page, (int) run[2])) {
                                corruptions.incrementAndGet();
                            }
                            heap.free(run[0]);
                        } else if (what < 9) {
                            handoff.add(mine.remove(rnd.nextInt(mine.size())));
                        } else {
                            final long[] run = handoff.poll();
                            if (run != null) {
                                if (!check(run[0], run[1] * page, page, (int) run[2])) {
                                    corruptions.incrementAndGet();
                                }
                                heap.free(run[0]);
                            }
                        }
                    }
                    for (final long[] run : mine) {
                        if (!check(run[0], run[1] * page, page, (int) run[2])) {
                            corruptions.incrementAndGet();
                        }
                        heap.free(run[0]);
                    }
                }));
            }
            for (final Thread t : threads) {
                t.join();
            }
            for (long[] run; (run = handoff.poll()) != null; ) {
                if (!check(run[0], run[1] * page, page, (int) run[2])) {
                    corruptions.incrementAndGet();
                }
                heap.free(run[0]);
            }
            assertEquals(0, corruptions.get(), "runs whose pattern changed while they were live");
            assertEquals(0, nonZero.get(), "new runs that did not read as zero");
            heap.checkInvariants();
            final PageHeapStats s = heap.stats();
            assertEquals(0, s.inUseBytes());
            assertEquals(0, s.largeBytes());
            heap.releaseToOs();
            heap.checkInvariants();
        }
    }

    @SuppressWarnings("restricted")
    private static MemorySegment segment(final long address, final long bytes) {
        return MemorySegment.ofAddress(address).reinterpret(bytes);
    }

    /** Writes a word derived from address and owner at the start and end of every page of the run. */
    private static void stamp(final long address, final long bytes, final long page, final int owner) {
        final MemorySegment s = segment(address, bytes);
        for (long off = 0; off < bytes; off += page) {
            s.set(ValueLayout.JAVA_LONG, off, pattern(address + off, owner));
            s.set(ValueLayout.JAVA_LONG, off + page - Long.BYTES, ~pattern(address + off, owner));
        }
    }

    private static boolean check(final long address, final long bytes, final long page, final int owner) {
        final MemorySegment s = segment(address, bytes);
        for (long off = 0; off < bytes; off += page) {
            if (s.get(ValueLayout.JAVA_LONG, off) != pattern(address + off, owner)
                    || s.get(ValueLayout.JAVA_LONG, off + page - Long.BYTES) != ~pattern(address + off, owner)) {
                return false;
            }
        }
        return true;
    }

    private static boolean sampledZero(final long address, final long bytes, final long page) {
        final MemorySegment s = segment(address, bytes);
        for (long off = 0; off < bytes; off += page) {
            if (s.get(ValueLayout.JAVA_LONG, off) != 0 || s.get(ValueLayout.JAVA_LONG, off + page - Long.BYTES) != 0
                    || s.get(ValueLayout.JAVA_LONG, off + page / 2) != 0) {
                return false;
            }
        }
        return true;
    }

    private static long pattern(final long address, final int owner) {
        return address * 0x9E3779B97F4A7C15L ^ ((long) owner << 56);
    }
}
