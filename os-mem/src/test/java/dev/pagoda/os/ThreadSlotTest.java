package dev.pagoda.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ThreadSlotTest {
    /** A per-thread value; identity matters, so no record equality. */
    static final class Value {
        final int id;
        final Thread owner = Thread.currentThread();

        Value(final int id) {
            this.id = id;
        }

        @Override
        public String toString() {
            return "Value[" + id + " of " + owner + "]";
        }
    }

    private final AtomicInteger ids = new AtomicInteger();
    private final Queue<Value> destroyed = new ConcurrentLinkedQueue<>();
    private final Map<Value, Integer> destroyCounts = new ConcurrentHashMap<>();
    private final List<ThreadSlot<?>> slots = new ArrayList<>();

    @AfterEach
    void closeSlots() {
        slots.forEach(ThreadSlot::close);
    }

    private ThreadSlot<Value> newSlot() {
        final ThreadSlot<Value> slot = ThreadSlot.create("test", () -> new Value(ids.incrementAndGet()), this::destroy);
        slots.add(slot);
        return slot;
    }

    private void destroy(final Value value) {
        destroyCounts.merge(value, 1, Integer::sum);
        destroyed.add(value);
    }

    private static <T> T inNewPlatformThread(final ThreadSlot<T> slot) throws InterruptedException {
        final AtomicReference<T> value = new AtomicReference<>();
        final Thread thread = Thread.ofPlatform().start(() -> value.set(slot.get()));
        thread.join();
        return value.get();
    }

    @Test
    void shouldGiveEachThreadItsOwnValue() throws InterruptedException {
        final ThreadSlot<Value> slot = newSlot();

        final Value mine = slot.get();
        final Value other = inNewPlatformThread(slot);

        assertSame(mine, slot.get());
        assertNotNull(other);
        assertNotSame(mine, other);
        assertEquals(2, ids.get(), "the supplier runs once per thread");
    }

    @Test
    void shouldNeverCreateAValueInGetIfPresent() {
        final ThreadSlot<Value> slot = newSlot();

        assertNull(slot.getIfPresent());
        assertEquals(0, slot.size());
        assertEquals(0, ids.get());

        final Value value = slot.get();
        assertSame(value, slot.getIfPresent());
        assertEquals(1, slot.size());
    }

    @Test
    void shouldRunTheDestructorAfterAPlatformThreadEnds() throws InterruptedException {
        final ThreadSlot<Value> slot = newSlot();
        final Value value = inNewPlatformThread(slot); // joined: the thread has ended

        slot.reap();

        assertEquals(List.of(value), List.copyOf(destroyed));
        assertEquals(0, slot.size());
        assertEquals(0, slot.reap(), "a second reap finds nothing");
        assertEquals(1, destroyCounts.get(value));
    }

    @Test
    void shouldNotDestroyTheValuesOfLiveThreadsOnReap() {
        final ThreadSlot<Value> slot = newSlot();
        final Value mine = slot.get();

        assertEquals(0, slot.reap());

        assertTrue(destroyed.isEmpty());
        assertSame(mine, slot.get());
        assertEquals(1, slot.size());
    }

    @Test
    void shouldRunTheDestructorOnTheReaperThreadWithoutBeingAsked() throws InterruptedException {
        final CountDownLatch ran = new CountDownLatch(1);
        final AtomicReference<String> destructorThread = new AtomicReference<>();
        final ThreadSlot<Value> slot = ThreadSlot.create("background", () -> new Value(1), value -> {
            destructorThread.set(Thread.currentThread().getName());
            ran.countDown();
        });
        slots.add(slot);

        inNewPlatformThread(slot);

        assertTrue(ran.await(5, TimeUnit.SECONDS), "the reaper did not run the destructor within 5 s");
        assertEquals("pagoda-thread-reaper", destructorThread.get());
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (slot.size() != 0 && System.nanoTime() - deadline < 0) {
            Thread.onSpinWait();
        }
        assertEquals(0, slot.size());
    }

    @Test
    void shouldRunTheDestructorSynchronouslyOnRemove() {
        final Thread caller = Thread.currentThread();
        final AtomicReference<Thread> destructorThread = new AtomicReference<>();
        final ThreadSlot<Value> slot = ThreadSlot.create("remove", () -> new Value(ids.incrementAndGet()), value -> {
            destructorThread.set(Thread.currentThread());
            destroy(value);
        });
        slots.add(slot);
        final Value first = slot.get();

        slot.remove();

        assertEquals(List.of(first), List.copyOf(destroyed));
        assertSame(caller, destructorThread.get());
        assertNull(slot.getIfPresent());
        assertEquals(0, slot.size());

        final Value second = slot.get();
        assertNotSame(first, second);
        slot.remove();
        slot.remove(); // nothing left: does nothing
        assertEquals(List.of(first, second), List.copyOf(destroyed));
    }

    @Test
    void shouldRethrowTheDestructorsExceptionFromRemoveAndForgetTheValue() {
        final IllegalStateException failure = new IllegalStateException("boom");
        final ThreadSlot<Value> slot = ThreadSlot.create("failing", () -> new Value(ids.incrementAndGet()), value -> {
            destroy(value);
            throw failure;
        });
        slots.add(slot);
        final Value value = slot.get();

        assertSame(failure, assertThrows(IllegalStateException.class, slot::remove));

        assertEquals(1, destroyCounts.get(value));
        assertNull(slot.getIfPresent());
        assertEquals(0, slot.size());
    }

    @Test
    void shouldDestroyTheValuesOfLiveAndEndedThreadsOnClose() throws InterruptedException {
        final ThreadSlot<Value> slot = newSlot();
        final Value mine = slot.get();
        final Value ended = inNewPlatformThread(slot);
        final CountDownLatch holding = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicReference<Value> live = new AtomicReference<>();
        final Thread liveThread = Thread.ofPlatform().start(() -> {
            live.set(slot.get());
            holding.countDown();
            try {
                release.await();
            } catch (final InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(holding.await(5, TimeUnit.SECONDS));

        try {
            slot.close();

            assertEquals(Set.of(mine, ended, live.get()), new HashSet<>(destroyed));
            assertEquals(3, destroyed.size(), "each destructor runs exactly once");
            assertEquals(0, slot.size());
            assertTrue(slot.isClosed());
            assertNull(slot.getIfPresent());
        } finally {
            release.countDown();
            liveThread.join();
        }

        slot.close();
        assertEquals(0, slot.reap());
        assertEquals(3, destroyed.size(), "closing or reaping again destroys nothing twice");
    }

    @Test
    void shouldThrowFromGetAfterClose() throws InterruptedException {
        final ThreadSlot<Value> slot = ThreadSlot.create("closed-slot", () -> new Value(1), value -> { });
        slot.get();
        slot.close();

        final IllegalStateException ex = assertThrows(IllegalStateException.class, slot::get);
        assertTrue(ex.getMessage().contains("closed-slot"), ex.getMessage());

        final AtomicReference<Throwable> otherThread = new AtomicReference<>();
        final Thread thread = Thread.ofPlatform().start(() -> {
            try {
                slot.get();
            } catch (final Throwable t) {
                otherThread.set(t);
            }
        });
        thread.join();
        assertTrue(otherThread.get() instanceof IllegalStateException, String.valueOf(otherThread.get()));
    }

    @Test
    void shouldKeepDestroyingAndReportWhenADestructorThrows() throws InterruptedException {
        final Queue<Throwable> reported = new ConcurrentLinkedQueue<>();
        final Thread.UncaughtExceptionHandler saved = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((thread, ex) -> reported.add(ex));
        try {
            final IllegalStateException failure = new IllegalStateException("destructor failed on purpose");
            final ThreadSlot<Value> slot = ThreadSlot.create("partly-failing", () -> new Value(ids.incrementAndGet()),
                value -> {
                    destroy(value);
                    if (value.id % 2 == 0) {
                        throw failure;
                    }
                });
            slots.add(slot);
            final List<Value> values = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                values.add(inNewPlatformThread(slot));
            }

            slot.reap();

            assertEquals(new HashSet<>(values), new HashSet<>(destroyed));
            assertEquals(6, destroyed.size());
            assertEquals(3, reported.size(), String.valueOf(reported));
            for (final Throwable report : reported) {
                assertSame(failure, report.getCause());
                assertTrue(report.getMessage().contains("partly-failing"), report.getMessage());
            }
        } finally {
            Thread.setDefaultUncaughtExceptionHandler(saved);
        }
    }

    @Test
    void shouldGiveEachVirtualThreadItsOwnValueAndDestroyEachAfterItEnds() throws InterruptedException {
        final ThreadSlot<Value> slot = newSlot();
        final int count = 1_000;
        final Set<Value> created = ConcurrentHashMap.newKeySet();
        final AtomicInteger mismatches = new AtomicInteger();
        final List<Thread> threads = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            threads.add(Thread.ofVirtual().start(() -> {
                final Value value = slot.get();
                Thread.yield(); // may resume on another carrier: the value must follow the virtual thread
                if (value != slot.get() || value.owner != Thread.currentThread()) {
                    mismatches.incrementAndGet();
                }
                created.add(value);
            }));
        }
        for (final Thread thread : threads) {
            thread.join();
        }

        slot.reap();

        assertEquals(0, mismatches.get());
        assertEquals(count, created.size(), "one value per virtual thread");
        assertEquals(created, new HashSet<>(destroyed));
        assertEquals(count, destroyed.size(), "each destructor runs exactly once");
        assertEquals(0, slot.size());
    }

    @Test
    void shouldRunEachDestructorExactlyOnceWhenReapAndCloseRace() throws InterruptedException {
        final int count = 200;
        final ThreadSlot<Value> slot = ThreadSlot.create("race", () -> new Value(ids.incrementAndGet()), value -> {
            destroy(value);
            final long until = System.nanoTime() + TimeUnit.MICROSECONDS.toNanos(20);
            while (System.nanoTime() - until < 0) {
                Thread.onSpinWait(); // widen the window in which destroyers overlap
            }
        });
        slots.add(slot);
        final CountDownLatch end = new CountDownLatch(1);
        final List<Thread> owners = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            owners.add(Thread.ofPlatform().start(() -> {
                slot.get();
                awaitQuietly(end);
            }));
        }
        end.countDown();
        for (final Thread owner : owners) {
            owner.join(); // all end together, so the reaper thread, reap() and close() all find them
        }

        final CountDownLatch start = new CountDownLatch(1);
        final List<Thread> reapers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            reapers.add(Thread.ofPlatform().start(() -> {
                awaitQuietly(start);
                slot.reap();
            }));
        }
        start.countDown();
        slot.close();
        for (final Thread reaper : reapers) {
            reaper.join();
        }

        assertEquals(count, destroyed.size());
        assertEquals(count, destroyCounts.size());
        assertTrue(destroyCounts.values().stream().allMatch(n -> n == 1), String.valueOf(destroyCounts));
        assertEquals(0, slot.size());
    }

    @Test
    void shouldWaitInReapAndCloseForADestructorTheReaperThreadIsRunning() throws InterruptedException {
        final CountDownLatch started = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final ThreadSlot<Value> slot = ThreadSlot.create("slow", () -> new Value(ids.incrementAndGet()), value -> {
            started.countDown();
            awaitQuietly(release);
            destroy(value);
        });
        slots.add(slot);
        final Value value = inNewPlatformThread(slot);
        assertTrue(started.await(5, TimeUnit.SECONDS), "the reaper thread did not start the destructor");

        final CountDownLatch reaped = new CountDownLatch(1);
        final CountDownLatch closed = new CountDownLatch(1);
        final Thread reaper = Thread.ofPlatform().start(() -> {
            slot.reap();
            reaped.countDown();
        });
        final Thread closer = Thread.ofPlatform().start(() -> {
            slot.close();
            closed.countDown();
        });
        try {
            assertFalse(reaped.await(50, TimeUnit.MILLISECONDS), "reap() returned before the destructor completed");
            assertFalse(closed.await(1, TimeUnit.MILLISECONDS), "close() returned before the destructor completed");
        } finally {
            release.countDown();
        }

        assertTrue(reaped.await(5, TimeUnit.SECONDS));
        assertTrue(closed.await(5, TimeUnit.SECONDS));
        reaper.join();
        closer.join();
        assertEquals(List.of(value), List.copyOf(destroyed));
        assertEquals(0, slot.size());
    }

    private static void awaitQuietly(final CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("latch not released within 10 s");
            }
        } catch (final InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void shouldRejectBadArguments() {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> ThreadSlot.create(" ", Object::new, value -> { }));
        assertTrue(ex.getMessage().contains("name"), ex.getMessage());
        assertThrows(NullPointerException.class, () -> ThreadSlot.create(null, Object::new, value -> { }));
        assertThrows(NullPointerException.class, () -> ThreadSlot.create("x", null, value -> { }));
        assertThrows(NullPointerException.class, () -> ThreadSlot.create("x", Object::new, null));
    }

    @Test
    void shouldRejectANullInitialValueAndRegisterNothing() {
        final ThreadSlot<Object> slot = ThreadSlot.create("null-supplier", () -> null, value -> { });
        slots.add(slot);

        final NullPointerException ex = assertThrows(NullPointerException.class, slot::get);
        assertTrue(ex.getMessage().contains("null-supplier"), ex.getMessage());
        assertEquals(0, slot.size());
        assertNull(slot.getIfPresent());
    }
}
