package dev.pagoda.os.libc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pagoda.os.OsKind;
import org.junit.jupiter.api.Test;

class HostOsTest {
    @Test
    void shouldMapOsNames() {
        assertEquals(OsKind.LINUX, HostOs.fromOsName("Linux"));
        assertEquals(OsKind.DARWIN, HostOs.fromOsName("Mac OS X"));
        assertEquals(OsKind.DARWIN, HostOs.fromOsName("Darwin"));
        assertEquals(OsKind.OTHER, HostOs.fromOsName("Windows 11"));
        assertEquals(OsKind.OTHER, HostOs.fromOsName("FreeBSD"));
        assertEquals(OsKind.OTHER, HostOs.fromOsName(""));
        assertEquals(OsKind.OTHER, HostOs.fromOsName(null));
    }
}
