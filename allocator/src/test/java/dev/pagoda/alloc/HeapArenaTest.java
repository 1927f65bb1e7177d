package dev.pagoda.alloc;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The safe API: java.lang.foreign.Arena over a Heap. */
@EnabledOnOs(OS.LINUX)
class HeapArenaTest {
    private final Heap heap = Heap.create();

    @AfterEach
    void close() {
        heap.close();
    }

    @Test
    void shouldHandOutZeroedAlignedSegmentsAndFreeThemAllOnClose() {
        final MemorySegment a;
        final MemorySegment b;
        try (Arena arena = heap.newArena()) {
            a = arena.allocate(100);
            b = arena.allocate(ValueLayout.JAVA_LONG, 512);
            assertEquals(100, a.byteSize());
            assertEquals(0, b.address() % 8);
            for (long i = 0; i < 512; i++) {
                assertEquals(0, b.getAtIndex(ValueLayout.JAVA_LONG, i));
            }
            a.fill((byte) 1);
            b.setAtIndex(ValueLayout.JAVA_LONG, 511, 42L);
            assertEquals(42L, b.getAtIndex(ValueLayout.JAVA_LONG, 511));
            assertTrue(heap.usableSize(a.address()) >= 100);
        }
        assertThrows(IllegalStateException.class, () -> a.get(ValueLayout.JAVA_BYTE, 0),
                "the JDK refuses access after close");
        assertFalse(b.scope().isAlive());
        assertThrows(IllegalArgumentException.class, () -> heap.usableSize(a.address()), "freed on close");
    }

    @Test
    void shouldRefuseOtherThreadsOnAConfinedArena() throws Exception {
        try (Arena arena = heap.newArena()) {
            final MemorySegment s = arena.allocate(16);
            final Throwable[] seen = new Throwable[2];
            final Thread t = Thread.ofPlatform().start(() -> {
                try {
                    s.get(ValueLayout.JAVA_BYTE, 0);
                } catch (final WrongThreadException e) {
                    seen[0] = e;
                }
                try {
                    arena.allocate(16);
                } catch (final WrongThreadException e) {
                    seen[1] = e;
                }
            });
            t.join();
            assertTrue(seen[0] != null && seen[1] != null);
        }
    }

    @Test
    void shouldShareASharedArenaAcrossThreads() throws Exception {
        final Arena arena = heap.newSharedArena();
        final MemorySegment[] made = new MemorySegment[2];
        final Thread t = Thread.ofPlatform().start(() -> made[0] = arena.allocate(64));
        made[1] = arena.allocate(64);
        t.join();
        made[0].set(ValueLayout.JAVA_LONG, 0, 7L);
        assertEquals(7L, made[0].get(ValueLayout.JAVA_LONG, 0));
        arena.close();
        assertThrows(IllegalStateException.class, () -> made[1].get(ValueLayout.JAVA_LONG, 0));
        assertThrows(IllegalStateException.class, arena::close, "closing twice");
        assertThrows(IllegalStateException.class, () -> arena.allocate(8), "allocating after close");
    }

    @Test
    void shouldRefuseBadArguments() {
        try (Arena arena = heap.newArena()) {
            assertThrows(IllegalArgumentException.class, () -> arena.allocate(-1));
            assertThrows(IllegalArgumentException.class, () -> arena.allocate(8, 3));
            assertEquals(0, arena.allocate(0).byteSize());
        }
    }
}
