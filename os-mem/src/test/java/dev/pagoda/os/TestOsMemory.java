package dev.pagoda.os;

import dev.pagoda.os.port.Backend;

/** Lets the tests of the engine packages run an {@link OsMemory} over a backend of their own (a recording fake). */
public final class TestOsMemory {
    private TestOsMemory() {
    }

    /**
     * {@link OsMemory#over(Backend)}.
     *
     * @param backend the port to drive
     * @return a new layer over it
     */
    @SuppressWarnings("exports") // a test helper: Backend is the engine's, which the module does not export
    public static OsMemory over(final Backend backend) {
        return OsMemory.over(backend);
    }
}
