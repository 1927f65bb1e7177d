package dev.pagoda.os.libc;

import dev.pagoda.os.OsKind;

import java.util.Locale;

/**
 * Which operating system, and so which C library and which tables of constants, this JVM runs on: the
 * {@code os.name} system property read as an {@link OsKind}.
 */
public final class HostOs {
    private static final OsKind CURRENT = fromOsName(System.getProperty("os.name", ""));

    private HostOs() {
    }

    /**
     * The kind of the running system.
     *
     * @return {@link OsKind#LINUX}, {@link OsKind#DARWIN} or {@link OsKind#OTHER}, read once
     */
    public static OsKind current() {
        return CURRENT;
    }

    /**
     * Maps an {@code os.name} value to its kind; {@code null} or unrecognised names give {@link OsKind#OTHER}.
     *
     * @param osName a value of the {@code os.name} property, or {@code null}
     * @return the kind it names
     */
    public static OsKind fromOsName(final String osName) {
        if (osName == null) {
            return OsKind.OTHER;
        }
        final String name = osName.strip().toLowerCase(Locale.ROOT);
        if (name.startsWith("linux")) {
            return OsKind.LINUX;
        }
        if (name.startsWith("mac") || name.startsWith("darwin")) {
            return OsKind.DARWIN;
        }
        return OsKind.OTHER;
    }
}
