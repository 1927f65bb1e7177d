package dev.pagoda.os;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The argument checks of {@link Platform#hugePageBytes(long[])}; the reading itself is {@code platform.SmapsTest}'s. */
class HugePageBytesTest {
    private static final long A = 0x7f0000000000L;
    private static final long B = 0x7f0000400000L;
    private static final long MIB = 1L << 20;

    @Test
    void shouldCheckTheRangesOfThePublicCall() {
        final IllegalArgumentException odd = assertThrows(IllegalArgumentException.class,
                () -> Platform.hugePageBytes(new long[] {A}));
        assertTrue(odd.getMessage().contains("ranges.length=1"), odd.getMessage());
        final IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                () -> Platform.hugePageBytes(new long[] {A, MIB, B, -1}));
        assertTrue(negative.getMessage().contains("ranges[3]=-1"), negative.getMessage());
        final NullPointerException none = assertThrows(NullPointerException.class,
                () -> Platform.hugePageBytes(null));
        assertEquals("ranges", none.getMessage());
        assertEquals(0, Platform.hugePageBytes(new long[0]));
    }
}
