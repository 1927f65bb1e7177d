package dev.pagoda.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

class ClockTest {
    @Test
    void shouldStartFakeMonotonicAndWallTimeAtTheGivenValue() {
        final FakeClock clock = Clock.fake(1_000L);

        assertEquals(1_000L, clock.nanoTime());
        assertEquals(1_000L, clock.wallTimeNanos());
    }

    @Test
    void shouldAdvanceMonotonicAndWallTimeTogether() {
        final FakeClock clock = Clock.fake(1_000L);
        clock.setWallTimeNanos(5_000_000L);

        assertEquals(1_250L, clock.advance(250L));
        assertEquals(1_250L, clock.nanoTime());
        assertEquals(5_000_250L, clock.wallTimeNanos());

        assertEquals(1_250L, clock.advance(0L));
        assertEquals(1_250L + TimeUnit.SECONDS.toNanos(2), clock.advance(Duration.ofSeconds(2)));
        assertEquals(5_000_250L + TimeUnit.SECONDS.toNanos(2), clock.wallTimeNanos());
    }

    @Test
    void shouldRejectNegativeAdvanceAndLeaveTheClockUnchanged() {
        final FakeClock clock = Clock.fake(10L);

        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> clock.advance(-1L));
        assertTrue(ex.getMessage().contains("nanos=-1"), ex.getMessage());
        assertThrows(IllegalArgumentException.class, () -> clock.advance(Duration.ofNanos(-5)));
        assertEquals(10L, clock.nanoTime());
        assertEquals(10L, clock.wallTimeNanos());
    }

    @Test
    void shouldRejectAdvanceThatWouldOverflow() {
        final FakeClock clock = Clock.fake(Long.MAX_VALUE - 10L);

        assertEquals(Long.MAX_VALUE, clock.advance(10L));
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> clock.advance(1L));
        assertTrue(ex.getMessage().contains("overflow"), ex.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Clock.fake(0L).advance(Duration.ofDays(365L * 300L)));
    }

    @Test
    void shouldRefuseToSetMonotonicTimeBackwards() {
        final FakeClock clock = Clock.fake(100L);

        clock.setNanoTime(150L);
        assertEquals(150L, clock.nanoTime());
        assertEquals(150L, clock.wallTimeNanos());

        final IllegalArgumentException ex =
            assertThrows(IllegalArgumentException.class, () -> clock.setNanoTime(149L));
        assertTrue(ex.getMessage().contains("nanos=149"), ex.getMessage());
        assertEquals(150L, clock.nanoTime());
    }

    @Test
    void shouldSetWallTimeBackwardsWithoutMovingMonotonicTime() {
        final FakeClock clock = Clock.fake(1_000L);
        clock.advance(500L);

        clock.setWallTimeNanos(-7L);

        assertEquals(1_500L, clock.nanoTime());
        assertEquals(-7L, clock.wallTimeNanos());
        clock.advance(10L);
        assertEquals(3L, clock.wallTimeNanos());
    }

    @Test
    void shouldCountEveryAdvanceFromConcurrentThreads() throws InterruptedException {
        final FakeClock clock = Clock.fake(0L);
        final int threads = 4;
        final int advances = 20_000;
        final List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            workers.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < advances; i++) {
                    clock.advance(3L);
                }
            }));
        }
        for (final Thread worker : workers) {
            worker.join();
        }

        assertEquals(3L * threads * advances, clock.nanoTime());
        assertEquals(3L * threads * advances, clock.wallTimeNanos());
    }

    @Test
    void shouldReturnTheSameSystemClockEveryTime() {
        assertSame(Clock.system(), Clock.system());
    }

    @Test
    void shouldNeverGoBackwardsOnTheSystemMonotonicClock() {
        final Clock clock = Clock.system();
        long previous = clock.nanoTime();
        for (int i = 0; i < 100_000; i++) {
            final long now = clock.nanoTime();
            assertTrue(now - previous >= 0, "went back from " + previous + " to " + now);
            previous = now;
        }
    }

    @Test
    void shouldReadSystemWallTimeAsNanosecondsSinceTheEpoch() {
        final long before = System.currentTimeMillis();
        final long wall = Clock.system().wallTimeNanos();
        final long after = System.currentTimeMillis();

        final long wallMillis = TimeUnit.NANOSECONDS.toMillis(wall);
        assertTrue(wallMillis >= before - 1 && wallMillis <= after + 1,
            "wall=" + wall + " not within [" + before + ", " + after + "] ms");
    }
}
