package dev.pagoda.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

/**
 * A long-lived thread (a pool's worker, here the test thread) that uses many slots, one after the other,
 * must not keep what those slots held once their values are destroyed: neither the values nor, through the
 * destructors and suppliers, whatever the slots' owners hold (a heap, for the allocator).
 */
class ThreadSlotLeakTest {
    private static final int SLOTS = 200;
    private static final int GC_ATTEMPTS = 20;

    /** A value big enough that a leak of {@link #SLOTS} of them would show in a heap dump. */
    static final class Value {
        final byte[] payload = new byte[16 << 10];
    }

    @Test
    void shouldLeaveNoValueReachableFromAThreadThatClosedItsSlots() throws InterruptedException {
        final ReferenceQueue<Object> queue = new ReferenceQueue<>();
        final List<Reference<Object>> values = new ArrayList<>();
        final List<Reference<Object>> slots = new ArrayList<>();
        final AtomicInteger destroyed = new AtomicInteger();
        for (int i = 0; i < SLOTS; i++) {
            final ThreadSlot<Value> slot = ThreadSlot.create("leak-" + i, Value::new, v -> destroyed.incrementAndGet());
            final Value value = slot.get();
            assertSame(value, slot.get());
            values.add(new WeakReference<>(value, queue));
            slots.add(new WeakReference<>(slot, queue));
            slot.close();
        }

        assertEquals(SLOTS, destroyed.get());
        assertEquals(0, awaitCollected(queue, values, slots), "destroyed values or closed slots still reachable");
    }

    @Test
    void shouldNotLetAClosedSlotPinItsDestroyedValues() throws InterruptedException {
        final ReferenceQueue<Object> queue = new ReferenceQueue<>();
        final List<Reference<Object>> values = new ArrayList<>();
        final List<ThreadSlot<Value>> kept = new ArrayList<>();
        for (int i = 0; i < SLOTS; i++) {
            final ThreadSlot<Value> slot = ThreadSlot.create("kept-" + i, Value::new, v -> { });
            values.add(new WeakReference<>(slot.get(), queue));
            slot.close();
            kept.add(slot); // the owner of a closed slot may well keep it around
        }

        assertEquals(0, awaitCollected(queue, values, List.of()), "values destroyed by close still reachable");
        for (final ThreadSlot<Value> slot : kept) {
            assertNull(slot.getIfPresent());
            assertThrows(IllegalStateException.class, slot::get);
        }
    }

    @Test
    void shouldLeaveNothingReachableFromTheOwnerWhenAnotherThreadClosesItsSlots() throws InterruptedException {
        final ReferenceQueue<Object> queue = new ReferenceQueue<>();
        final List<Reference<Object>> values = new ArrayList<>();
        final List<Reference<Object>> slots = new ArrayList<>();
        for (int i = 0; i < SLOTS; i++) {
            final ThreadSlot<Value> slot = ThreadSlot.create("remote-" + i, Value::new, v -> { });
            values.add(new WeakReference<>(slot.get(), queue));
            slots.add(new WeakReference<>(slot, queue));
            final Thread closer = Thread.ofPlatform().start(slot::close);
            closer.join();
            assertEquals(0, slot.size());
            assertNull(slot.getIfPresent(), "the owner sees its value gone");
        }

        // The test thread, the values' owner, lives on and still has the slots' thread-locals in its map.
        assertEquals(0, awaitCollected(queue, values, slots),
                "values or slots closed by another thread still reachable from their live owner");
    }

    /**
     * Collects garbage until every reference of both lists is cleared or {@value #GC_ATTEMPTS} collections have
     * passed, and answers how many were not cleared.
     */
    static int awaitCollected(final ReferenceQueue<Object> queue, final List<Reference<Object>> first,
                              final List<Reference<Object>> second) throws InterruptedException {
        final int expected = first.size() + second.size();
        int cleared = 0;
        for (int attempt = 0; attempt < GC_ATTEMPTS && cleared < expected; attempt++) {
            System.gc();
            // Waits for the reference handler to enqueue what this collection cleared, not for the collection.
            for (Reference<?> r = queue.remove(100); r != null && ++cleared < expected; r = queue.poll()) {
                // counting
            }
        }
        return expected - cleared;
    }
}
