package dev.pagoda.alloc;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
}
