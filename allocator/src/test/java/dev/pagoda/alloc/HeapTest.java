package dev.pagoda.alloc;

import dev.pagoda.alloc.small.SizeClasses;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The general-purpose heap on the real kernel: sizes, zeroing, alignment, threads (misuse: verify's HeapMisuseTest). */
@EnabledOnOs(OS.LINUX)
class HeapTest {
    private final Heap heap = Heap.create();

    @AfterEach
    void close() {
        heap.close();
    }

    @Test
    void shouldHandOutNonOverlappingAlignedBlocksOfEverySize() {
        final TreeMap<Long, Long> live = new TreeMap<>();
        final SplittableRandom rnd = new SplittableRandom(3);
        for (int i = 0; i < 20_000; i++) {
            if (!live.isEmpty() && rnd.nextInt(3) == 0) {
                final long a = live.firstKey() + rnd.nextLong(1 + live.lastKey() - live.firstKey());
                final long key = live.ceilingKey(a);
                heap.free(key);
                live.remove(key);
            } else {
                final long size = rnd.nextInt(50) == 0 ? 1 + rnd.nextInt(200_000) : 1 + rnd.nextInt(2048);
                final long a = heap.allocate(size);
                assertEquals(0, a % 16, "16-byte aligned");
                final long usable = heap.usableSize(a);
                assertTrue(usable >= size);
                final var below = live.floorEntry(a);
                assertTrue(below == null || below.getKey() + below.getValue() <= a, "overlaps below");
                final var above = live.ceilingEntry(a);
                assertTrue(above == null || a + usable <= above.getKey(), "overlaps above");
                live.put(a, usable);
            }
        }
        live.keySet().forEach(heap::free);
        heap.checkInvariants();
    }

    @Test
    void shouldHandOutZeroedMemoryAfterReuse() {
        for (final long size : new long[] {8, 100, 1000, 5000, 32768, 40000, 300_000}) {
            final long a = heap.allocate(size);
            segment(a, size).fill((byte) 0x7F);
            heap.free(a);
            final long b = heap.allocate(size);
            final MemorySegment s = segment(b, size);
            for (long off = 0; off < size; off++) {
                if (s.get(ValueLayout.JAVA_BYTE, off) != 0) {
                    throw new AssertionError("size " + size + ": non-zero byte at " + off);
                }
            }
            heap.free(b);
        }
    }

    @Test
    void shouldAlignWhereAsked() {
        for (final long alignment : new long[] {32, 64, 256, 4096, 8192, 65536, 2L << 20}) {
            for (final long size : new long[] {1, 100, 5000, 70_000}) {
                final long a = heap.allocate(size, alignment);
                assertEquals(0, a % alignment, "size " + size + " alignment " + alignment);
                assertTrue(heap.usableSize(a) >= size);
                segment(a, size).fill((byte) 1);
                heap.free(a);
            }
        }
    }

    @Test
    void shouldReallocateKeepingTheContents() {
        long a = heap.allocate(24);
        segment(a, 24).fill((byte) 9);
        assertEquals(a, heap.reallocate(a, 30), "fits in its size class");
        a = heap.reallocate(a, 10_000);
        assertEquals(9, segment(a, 24).get(ValueLayout.JAVA_BYTE, 23));
        assertEquals(0, segment(a, 10_000).get(ValueLayout.JAVA_BYTE, 9_999));
        a = heap.reallocate(a, 100_000);
        assertEquals(9, segment(a, 24).get(ValueLayout.JAVA_BYTE, 0));
        heap.free(a);
    }

    @Test
    void shouldZeroTheTailOfAReallocationOnAZeroingHeap() {
        // Dirty the memory each reallocation will move into: a freed object of the target class (small) and a
        // freed page run (large), both filled with 0x5A, so a zero tail proves zeroing, not fresh pages.
        for (final long newSize : new long[] {1000, 100_000}) {
            final long dirty = heap.allocate(newSize);
            segment(dirty, heap.usableSize(dirty)).fill((byte) 0x5A);
            final long a = heap.allocate(24);
            segment(a, 32).fill((byte) 9);
            heap.free(dirty);
            final long b = heap.reallocate(a, newSize);
            assertEquals(dirty, b, "the reallocation reuses the dirtied memory");
            final MemorySegment s = segment(b, newSize);
            for (long off = 0; off < newSize; off++) {
                final byte expected = off < 32 ? (byte) 9 : 0; // the old 32 usable bytes, then zeros
                if (s.get(ValueLayout.JAVA_BYTE, off) != expected) {
                    throw new AssertionError("newSize " + newSize + ": byte " + off + " is "
                            + s.get(ValueLayout.JAVA_BYTE, off) + ", expected " + expected);
                }
            }
            heap.free(b);
        }
    }

    @Test
    void shouldAcceptFreesFromOtherThreadsAndReuseTheirObjects() throws Exception {
        final BlockingQueue<Long> queue = new ArrayBlockingQueue<>(1024);
        final Thread consumer = Thread.ofPlatform().start(() -> {
            try {
                for (int i = 0; i < 50_000; i++) {
                    heap.free(queue.take());
                }
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        for (int i = 0; i < 50_000; i++) {
            queue.put(heap.allocate(64));
        }
        consumer.join();
        final long spansAfter = heap.stats().spans();
        assertTrue(spansAfter < 20, "remote frees were collected and reused: " + spansAfter + " spans");
        heap.checkInvariants();
    }

    @Test
    void shouldBoundTheCachesOfManyVirtualThreads() throws Exception {
        final List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            final int size = 16 + (i % 40) * 16;
            threads.add(Thread.ofVirtual().start(() -> heap.free(heap.allocate(size))));
        }
        for (final Thread t : threads) {
            t.join();
        }
        final long bound = (long) Math.max(2, 2 * Runtime.getRuntime().availableProcessors()) * SizeClasses.COUNT;
        assertTrue(heap.stats().spans() <= bound, heap.stats().spans() + " spans for 10,000 virtual threads");
    }

    @Test
    void shouldGiveSpansBackWhenTheirThreadEnds() throws Exception {
        final Thread t = Thread.ofPlatform().start(() -> heap.free(heap.allocate(48)));
        t.join();
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (heap.stats().spans() > 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(0, heap.stats().spans(), "the ended thread's empty span went back to the page heap");
    }

    @Test
    void shouldReleaseEmptySpansAndFreePagesToTheOs() throws Exception {
        final long[] addresses = new long[20_000];
        final Thread t = Thread.ofPlatform().start(() -> {
            for (int i = 0; i < addresses.length; i++) {
                addresses[i] = heap.allocate(256);
            }
        });
        t.join();
        for (final long a : addresses) {
            heap.free(a); // remote frees: the spans are detached or owned by a dead thread
        }
        final long deadline = System.nanoTime() + 5_000_000_000L;
        long released = 0;
        while (heap.stats().spans() > 0 && System.nanoTime() < deadline) {
            released += heap.releaseToOs();
        }
        assertEquals(0, heap.stats().spans());
        assertTrue(released >= 4L << 20, "released " + released);
        heap.checkInvariants();
    }

    @Test
    void shouldCountAllocationsFreesAndFragmentationPerSizeClass() throws Exception {
        final long[] a = new long[10];
        for (int i = 0; i < a.length; i++) {
            a[i] = heap.allocate(100);
        }
        for (int i = 0; i < 4; i++) {
            heap.free(a[i]);
        }
        final Thread t = Thread.ofPlatform().start(() -> {
            heap.free(a[4]);
            heap.free(a[5]);
        });
        t.join();
        final SizeClassStats c = heap.stats().classes().get(SizeClasses.classOf(100));
        assertEquals(112, c.size());
        assertEquals(10, c.allocations());
        assertEquals(6, c.frees());
        assertEquals(4, c.liveObjects());
        assertEquals(10 * 12, c.roundingBytes());
        assertEquals(1, c.spans());
        assertEquals(8192 % 112, c.tailBytes());
        assertTrue(heap.stats().fragmentationBytes() >= 120);
        for (int i = 6; i < a.length; i++) {
            heap.free(a[i]);
        }
    }

    @SuppressWarnings("restricted")
    private static MemorySegment segment(final long address, final long bytes) {
        return MemorySegment.ofAddress(address).reinterpret(bytes);
    }
}
