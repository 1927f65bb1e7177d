package dev.pagoda.verify;

import dev.pagoda.alloc.Heap;
import dev.pagoda.alloc.LocalHeap;
import dev.pagoda.alloc.SizeClassStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The thread-bound {@link LocalHeap}: misuse fails loudly, memory is zeroed and never overlaps, and handles mix with
 * the heap's default API and with other threads, remote frees both ways, including frees of a closed handle's
 * objects by other threads.
 */
@EnabledOnOs(OS.LINUX)
class LocalHeapTest {
    @SuppressWarnings("restricted")
    private static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private static long liveObjects(final Heap heap) {
        long live = 0;
        for (final SizeClassStats c : heap.stats().classes()) {
            live += c.liveObjects();
        }
        return live;
    }

    @Test
    void misuseFailsLoudlyAndChangesNothing() throws Exception {
        try (Heap heap = Heap.builder().jmx(false).build()) {
            final LocalHeap local = heap.local();
            final long a = local.allocate(64);
            final AtomicReference<Throwable> fromOther = new AtomicReference<>();
            final Thread other = new Thread(() -> {
                final List<Throwable> seen = new ArrayList<>();
                for (final Runnable call : new Runnable[] {() -> local.allocate(8), () -> local.free(a),
                        () -> local.usableSize(a), () -> local.allocate(8, 64), local::close}) {
                    try {
                        call.run();
                        seen.add(null);
                    } catch (final Throwable t) {
                        seen.add(t);
                    }
                }
                fromOther.set(seen.stream().allMatch(t -> t instanceof WrongThreadException) ? null
                        : new AssertionError("not all refused with WrongThreadException: " + seen));
            });
            other.start();
            other.join();
            assertEquals(null, fromOther.get());
            assertThrows(IllegalArgumentException.class, () -> local.allocate(0));
            assertThrows(IllegalArgumentException.class, () -> local.allocate(8, 3));
            assertThrows(IllegalArgumentException.class, () -> local.free(0));
            assertThrows(IllegalArgumentException.class, () -> local.free(a + 16), "interior");
            assertThrows(IllegalArgumentException.class, () -> local.free(0x1234_5000L), "foreign");
            assertEquals(64, local.usableSize(a));
            local.free(a);
            assertThrows(IllegalArgumentException.class, () -> local.free(a), "double free");
            assertThrows(IllegalArgumentException.class, () -> heap.free(a), "double free through the heap");
            local.close();
            local.close();
            assertThrows(IllegalStateException.class, () -> local.allocate(8), "after close");
            assertThrows(IllegalStateException.class, () -> local.free(a), "after close");
            final LocalHeap again = heap.local();
            final long b = again.allocate(64);
            heap.close();
            assertThrows(IllegalStateException.class, () -> again.allocate(8), "after the heap closed");
            assertThrows(IllegalStateException.class, () -> again.free(b), "after the heap closed");
            assertThrows(IllegalStateException.class, heap::local, "no handle on a closed heap");
        }
    }

    @Test
    void memoryIsZeroedAlignedAndSharedWithTheDefaultApi() {
        try (Heap heap = Heap.builder().jmx(false).build(); LocalHeap local = heap.local()) {
            for (int round = 0; round < 3; round++) {
                final long[] blocks = new long[500];
                for (int i = 0; i < blocks.length; i++) {
                    final long size = 1 + (i * 37L) % 3000;
                    blocks[i] = i % 3 == 0 ? local.allocate(size, 64) : local.allocate(size);
                    assertEquals(0, blocks[i] % (i % 3 == 0 ? 64 : 16), "alignment");
                    for (long off = 0; off < size; off++) {
                        assertEquals(0, ALL.get(ValueLayout.JAVA_BYTE, blocks[i] + off), "zeroed");
                    }
                    ALL.asSlice(blocks[i], size).fill((byte) 0x5A); // dirty it for the next round
                }
                for (int i = 0; i < blocks.length; i++) {
                    if (i % 2 == 0) {
                        local.free(blocks[i]);
                    } else {
                        heap.free(blocks[i]); // the default API frees a handle's objects too
                    }
                }
            }
            final long big = local.allocate(200_000);
            assertEquals(heap.usableSize(big), local.usableSize(big));
            heap.free(big);
            assertEquals(0, liveObjects(heap));
            heap.checkInvariants();
        }
    }

    /**
     * Threads with handles and threads with the default API allocate, hand half of their objects to each other
     * through queues, and free what they receive: remote frees in both directions. Every object carries a pattern
     * checked before it is freed; nothing may be lost or overlap.
     */
    @Test
    void handlesAndTheDefaultApiMixAcrossThreads() throws Exception {
        try (Heap heap = Heap.builder().jmx(false).build()) {
            final int threads = 4;
            final int perThread = 20_000;
            final List<BlockingQueue<long[]>> inboxes = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                inboxes.add(new ArrayBlockingQueue<>(perThread + 1));
            }
            final CountDownLatch allSent = new CountDownLatch(threads);
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final List<Thread> all = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                final int me = t;
                final boolean withHandle = t % 2 == 0;
                final Thread thread = new Thread(() -> {
                    try (LocalHeap local = withHandle ? heap.local() : null) {
                        final SplittableRandom random = new SplittableRandom(me);
                        for (int i = 0; i < perThread; i++) {
                            final long size = 1 + random.nextInt(2048);
                            final long a = withHandle ? local.allocate(size) : heap.allocate(size);
                            final byte tag = (byte) (me * 31 + i);
                            ALL.asSlice(a, size).fill(tag);
                            final long[] block = {a, size, tag};
                            if (random.nextBoolean()) {
                                inboxes.get((me + 1) % threads).put(block);
                            } else {
                                check(block);
                                if (withHandle) {
                                    local.free(a);
                                } else {
                                    heap.free(a);
                                }
                            }
                        }
                        allSent.countDown();
                        allSent.await();
                        for (long[] block; (block = inboxes.get(me).poll()) != null; ) {
                            check(block);
                            if (withHandle) {
                                local.free(block[0]);
                            } else {
                                heap.free(block[0]);
                            }
                        }
                    } catch (final Throwable e) {
                        failure.compareAndSet(null, e);
                        allSent.countDown();
                    }
                });
                all.add(thread);
                thread.start();
            }
            for (final Thread thread : all) {
                thread.join();
            }
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            assertEquals(0, liveObjects(heap), "every object freed");
            heap.checkInvariants();
        }
    }

    private static void check(final long[] block) {
        for (long off = 0; off < block[1]; off++) {
            if (ALL.get(ValueLayout.JAVA_BYTE, block[0] + off) != (byte) block[2]) {
                throw new AssertionError("block at 0x" + Long.toHexString(block[0]) + " was overwritten at " + off);
            }
        }
    }

    @Test
    void otherThreadsFreeAClosedHandlesObjects() throws Exception {
        try (Heap heap = Heap.builder().jmx(false).build()) {
            final long[] blocks = new long[5000];
            final Thread maker = Thread.ofVirtual().start(() -> {
                try (LocalHeap local = heap.local()) {
                    for (int i = 0; i < blocks.length; i++) {
                        blocks[i] = local.allocate(48);
                    }
                }
            });
            maker.join();
            final Thread freer = new Thread(() -> {
                for (final long a : blocks) {
                    heap.free(a);
                }
            });
            freer.start();
            freer.join();
            assertEquals(0, liveObjects(heap));
            heap.checkInvariants();
        }
    }

    @Test
    void manyVirtualThreadsWithHandles() throws Exception {
        try (Heap heap = Heap.builder().jmx(false).build()) {
            final List<Thread> all = new ArrayList<>();
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            for (int t = 0; t < 2000; t++) {
                all.add(Thread.ofVirtual().start(() -> {
                    try (LocalHeap local = heap.local()) {
                        final long[] mine = new long[20];
                        for (int i = 0; i < mine.length; i++) {
                            mine[i] = local.allocate(16 + i * 8);
                        }
                        Thread.yield(); // may resume on another carrier: the handle is the virtual thread's
                        for (final long a : mine) {
                            local.free(a);
                        }
                    } catch (final Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            for (final Thread thread : all) {
                thread.join();
            }
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            assertEquals(0, liveObjects(heap));
            assertTrue(heap.stats().spans() < 2000, "closed handles gave their spans back: " + heap.stats().spans());
            heap.checkInvariants();
        }
    }
}
