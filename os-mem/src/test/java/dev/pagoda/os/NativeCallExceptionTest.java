package dev.pagoda.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class NativeCallExceptionTest {
    @Test
    void shouldCarryCallAndErrnoInException() {
        final NativeCallException ex = new NativeCallException("madvise", 35, "EAGAIN", "address=0x1000, bytes=4096");
        assertEquals("madvise", ex.call());
        assertEquals(35, ex.errno());
        assertEquals("EAGAIN", ex.errnoName());
        assertEquals("madvise(address=0x1000, bytes=4096) failed: EAGAIN (errno 35)", ex.getMessage());
        assertThrows(NullPointerException.class, () -> new NativeCallException(null, 1, "EPERM", ""));
    }
}
