package dev.pagoda.alloc;

import dev.pagoda.alloc.small.SizeClasses;
import dev.pagoda.os.MemState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Debug mode: poison and use-after-free detection, live-allocation records, guard pages. */
@EnabledOnOs(OS.LINUX)
class HeapDebugTest {
    @Test
    @SuppressWarnings("restricted")
    void shouldCatchAWriteAfterFreeWhenTheObjectIsHandedOutAgain() {
        try (Heap heap = Heap.builder().debug(true).build()) {
            final long a = heap.allocate(64);
            heap.free(a);
            assertEquals((byte) 0xDB, MemorySegment.ofAddress(a).reinterpret(64).get(ValueLayout.JAVA_BYTE, 63),
                    "freed memory is poisoned");
            MemorySegment.ofAddress(a).reinterpret(64).set(ValueLayout.JAVA_LONG, 8, 42L); // the bug
            final IllegalStateException e = assertThrows(IllegalStateException.class, () -> heap.allocate(64));
            assertTrue(e.getMessage().contains("use after free") && e.getMessage().contains(Long.toHexString(a)),
                    e.getMessage());
            heap.checkInvariants();
        }
    }

    @Test
    @SuppressWarnings("restricted")
    void shouldQuarantineAnObjectWrittenAfterFreeAndServeItsClassFromOthers() {
        try (Heap heap = Heap.builder().debug(true).build()) {
            final SizeClassStats before = heap.stats().classes().get(SizeClasses.classOf(64));
            final long a = heap.allocate(64);
            heap.free(a);
            MemorySegment.ofAddress(a).reinterpret(64).set(ValueLayout.JAVA_LONG, 0, 7L); // the bug
            final IllegalStateException e = assertThrows(IllegalStateException.class, () -> heap.allocate(64));
            assertTrue(e.getMessage().contains(Long.toHexString(a)) && e.getMessage().contains("quarantined"),
                    "reported once, naming the object: " + e.getMessage());
            final List<Long> later = new ArrayList<>();
            for (int i = 0; i < 300; i++) { // more than one span's worth: the whole class keeps working
                final long b = heap.allocate(64);
                assertNotEquals(a, b, "the corrupted object is never handed out again");
                later.add(b);
            }
            final SizeClassStats during = heap.stats().classes().get(SizeClasses.classOf(64));
            assertEquals(before.liveObjects() + later.size(), during.liveObjects(),
                    "only the objects handed out count as live, not the quarantined one");
            final IllegalArgumentException free = assertThrows(IllegalArgumentException.class, () -> heap.free(a));
            assertTrue(free.getMessage().contains("quarantined"), free.getMessage());
            assertThrows(IllegalArgumentException.class, () -> heap.usableSize(a));
            assertTrue(heap.liveAllocations().stream().noneMatch(l -> l.address() == a));
            for (final long b : later) {
                heap.free(b);
            }
            for (int i = 0; i < 300; i++) {
                assertNotEquals(a, heap.allocate(64), "not even after the rest of its span was freed");
            }
            heap.checkInvariants();
        }
    }

    @Test
    @SuppressWarnings("restricted")
    void shouldHandOutZeroedObjectsWhenNothingWroteAfterFree() {
        try (Heap heap = Heap.builder().debug(true).build()) {
            final long a = heap.allocate(100);
            heap.free(a);
            final long b = heap.allocate(100);
            assertEquals(a, b);
            assertEquals(0L, MemorySegment.ofAddress(b).reinterpret(112).get(ValueLayout.JAVA_LONG, 104));
            heap.free(b);
            assertThrows(IllegalArgumentException.class, () -> heap.free(b), "double free still refused");
        }
    }

    @Test
    void shouldRecordWhereLiveAllocationsWereMade() {
        try (Heap heap = Heap.builder().debug(true).build()) {
            final long a = heap.allocate(10);
            final long b = heap.allocate(50_000);
            final long c = heap.allocate(300, 64);
            heap.free(a);
            final List<LiveAllocation> live = heap.liveAllocations();
            assertEquals(2, live.size());
            for (final LiveAllocation l : live) {
                assertTrue(l.address() == b || l.address() == c);
                assertTrue(Arrays.stream(l.allocatedAt()).anyMatch(f ->
                        f.getMethodName().equals("shouldRecordWhereLiveAllocationsWereMade")), "the allocating frame");
            }
            heap.free(b);
            heap.free(c);
            assertEquals(0, heap.liveAllocations().size());
        }
        try (Heap plain = Heap.create()) {
            assertThrows(IllegalStateException.class, plain::liveAllocations);
        }
    }

    @Test
    void shouldPutGuardPagesAroundLargeRuns() {
        try (Heap heap = Heap.builder().debug(true).arenaBytes(4L << 20).build()) {
            final long bytes = 5L << 20;
            final long a = heap.allocate(bytes);
            final long page = heap.pageHeap().pageSize();
            assertEquals(MemState.READY, heap.pageHeap().os().stateOf(a));
            assertEquals(MemState.RESERVED, heap.pageHeap().os().stateOf(a - page), "guard below");
            assertEquals(MemState.RESERVED, heap.pageHeap().os().stateOf(a + bytes), "guard above");
            heap.free(a);
            assertEquals(MemState.NONE, heap.pageHeap().os().stateOf(a - page), "guards go with the run");
            heap.checkInvariants();
        }
    }
}
