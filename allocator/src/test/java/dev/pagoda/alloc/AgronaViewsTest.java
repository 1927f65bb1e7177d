package dev.pagoda.alloc;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

@EnabledOnOs(OS.LINUX)
class AgronaViewsTest {
    private final Heap heap = Heap.create();

    @AfterEach
    void close() {
        heap.close();
    }

    @Test
    @SuppressWarnings("restricted")
    void shouldViewAnAllocationAsAnAgronaBuffer() {
        final long a = heap.allocate(100);
        final UnsafeBuffer buffer = AgronaViews.wrap(heap, a);
        assertEquals(112, buffer.capacity());
        assertEquals(a, buffer.addressOffset());
        assertEquals(0L, buffer.getLong(104));
        buffer.putLong(8, 0x1122334455667788L);
        assertEquals(0x1122334455667788L, MemorySegment.ofAddress(a).reinterpret(16).get(ValueLayout.JAVA_LONG, 8));
        assertEquals(16, AgronaViews.wrap(heap, a, 16).capacity());
        heap.free(a);
    }

    @Test
    void shouldRefuseWhatItCannotView() {
        final long a = heap.allocate(64);
        assertThrows(IllegalArgumentException.class, () -> AgronaViews.wrap(heap, a, 65));
        assertThrows(IllegalArgumentException.class, () -> AgronaViews.wrap(heap, a, -1));
        assertThrows(IllegalArgumentException.class, () -> AgronaViews.wrap(heap, a + 16));
        heap.free(a);
        assertThrows(IllegalArgumentException.class, () -> AgronaViews.wrap(heap, a));
    }
}
