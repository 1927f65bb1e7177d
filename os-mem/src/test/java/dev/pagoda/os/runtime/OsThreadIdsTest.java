package dev.pagoda.os.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Locale;

import org.junit.jupiter.api.Test;

class OsThreadIdsTest {
    private static final boolean LINUX = System.getProperty("os.name").toLowerCase(Locale.ROOT).startsWith("linux");

    @Test
    void shouldMatchTheSyscallFallback() {
        assumeTrue(LINUX, "SYS_gettid is Linux only");

        assertEquals(OsThreadIds.current(), OsThreadIds.bySyscall());
    }
}
