package dev.pagoda.alloc;

import dev.pagoda.alloc.small.SizeClasses;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SizeClassesTest {
    @Test
    void shouldMapEverySizeToTheSmallestClassThatHoldsIt() {
        int previous = 0;
        for (int size = 1; size <= SizeClasses.MAX_SIZE; size++) {
            final int c = SizeClasses.classOf(size);
            assertTrue(SizeClasses.size(c) >= size, "class too small for " + size);
            assertTrue(c == 0 || SizeClasses.size(c - 1) < size, "a smaller class holds " + size);
            assertTrue(c >= previous, "classes must not decrease with size");
            previous = c;
        }
        assertEquals(SizeClasses.COUNT - 1, SizeClasses.classOf(SizeClasses.MAX_SIZE));
    }

    @Test
    void shouldWasteUnder16BytesUpTo128AndUnderAQuarterAbove() {
        for (int size = 1; size <= SizeClasses.MAX_SIZE; size++) {
            final int rounded = SizeClasses.size(SizeClasses.classOf(size));
            if (size <= 128) {
                assertTrue(rounded - size < 16, "rounding " + size + " to " + rounded);
            } else {
                assertTrue((rounded - size) * 4 < size, "rounding " + size + " to " + rounded);
            }
        }
    }

    @Test
    void shouldGiveEverySpanAtLeastTwoObjectsAndLittleTailWaste() {
        for (int c = 0; c < SizeClasses.COUNT; c++) {
            final long bytes = SizeClasses.spanPages(c) * 8192L;
            final int size = SizeClasses.size(c);
            assertTrue(bytes / size >= 2, "class " + c);
            assertTrue(bytes % size * 8 <= bytes || SizeClasses.spanPages(c) == 8, "class " + c + " tail");
            assertTrue(size % 16 == 0, "16-byte alignment of every object");
        }
        assertEquals(40, SizeClasses.COUNT);
    }

    @Test
    void shouldRefuseSizesOutsideTheSmallRangeNamingTheArgumentAndTheRange() {
        final long[] sizes = {0, -1, Long.MIN_VALUE, SizeClasses.MAX_SIZE + 1L, 1L << 20, Long.MAX_VALUE};
        for (final long size : sizes) {
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SizeClasses.classOf(size), "classOf(" + size + ")");
            assertTrue(e.getMessage().contains("size=" + size) && e.getMessage().contains("1 to 32768"),
                    e.getMessage());
        }
    }

    @Test
    void shouldRefuseClassIndexesOutsideTheTableNamingTheArgumentAndTheRange() {
        for (final int c : new int[] {-1, Integer.MIN_VALUE, SizeClasses.COUNT, Integer.MAX_VALUE}) {
            final IllegalArgumentException size = assertThrows(IllegalArgumentException.class,
                    () -> SizeClasses.size(c), "size(" + c + ")");
            final IllegalArgumentException pages = assertThrows(IllegalArgumentException.class,
                    () -> SizeClasses.spanPages(c), "spanPages(" + c + ")");
            for (final IllegalArgumentException e : new IllegalArgumentException[] {size, pages}) {
                assertTrue(e.getMessage().contains("c=" + c)
                        && e.getMessage().contains("0 to " + (SizeClasses.COUNT - 1)), e.getMessage());
            }
        }
        assertEquals(SizeClasses.MAX_SIZE, SizeClasses.size(SizeClasses.COUNT - 1), "the ends of the range still work");
        assertEquals(16, SizeClasses.size(0));
    }
}
