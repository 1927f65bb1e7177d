package dev.pagoda.verify;

import dev.pagoda.alloc.Heap;
import dev.pagoda.alloc.Reclaimer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A confined arena's allocations at the memory limit ask the heap's reclaimers, as {@code heap.allocate} does: a
 * cache that fills the heap to its limit makes room for an arena's segments by evicting, and the arena never fails.
 */
@EnabledOnOs(OS.LINUX)
class ArenaReclaimTest {
    private static final long LIMIT = 32L << 20;
    private static final long VALUE = 256 << 10;

    @Test
    void anArenaAtTheLimitGetsRoomFromTheReclaimers() {
        try (Heap heap = Heap.builder().jmx(false).memoryLimit(LIMIT).build()) {
            final ArrayDeque<Long> cache = new ArrayDeque<>();
            try (Reclaimer.Registration r = heap.onMemoryPressure(wanted -> {
                long freed = 0;
                while (freed < wanted && !cache.isEmpty()) {
                    heap.free(cache.pollFirst());
                    freed += VALUE;
                }
                return freed;
            })) {
                // The cache fills the heap up to its limit, evicting its oldest values once it is full.
                for (int i = 0; i < 4 * LIMIT / VALUE; i++) {
                    cache.addLast(heap.allocate(VALUE));
                }
                final long before = heap.stats().reclaims().rounds();
                try (Arena arena = heap.newArena()) {
                    for (int i = 0; i < 32; i++) {
                        final MemorySegment s = arena.allocate(VALUE); // on its own: above a quarter of a slab
                        assertEquals(0, s.get(java.lang.foreign.ValueLayout.JAVA_LONG, VALUE - 8), "zeroed");
                        s.set(java.lang.foreign.ValueLayout.JAVA_LONG, 0, i);
                    }
                }
                assertTrue(heap.stats().reclaims().rounds() > before, "the arena's requests asked the reclaimers");
                assertTrue(heap.stats().pages().readyBytes() <= LIMIT, "Ready stays within the limit");
            }
            while (!cache.isEmpty()) {
                heap.free(cache.pollFirst());
            }
        }
    }
}
