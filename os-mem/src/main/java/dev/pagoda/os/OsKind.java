package dev.pagoda.os;

import java.util.Locale;

/**
 * The operating systems Pagoda tells apart, read from the {@code os.name} system property.
 *
 * <p>Each has its own table of constants ({@code MAP_ANON}, {@code MADV_*}, {@code errno} numbers), which is
 * why the distinction matters even where the system calls share a name.
 */
public enum OsKind {
    /** Linux, any distribution ({@code os.name} is {@code "Linux"}). */
    LINUX,
    /** macOS, the Darwin kernel ({@code os.name} is {@code "Mac OS X"} or {@code "Darwin"}). */
    DARWIN,
    /** Any other system: Pagoda has no port for it, and the facts it cannot read are reported unknown. */
    OTHER;

    private static final OsKind CURRENT = fromOsName(System.getProperty("os.name", ""));

    /** The kind of the running system. */
    static OsKind current() {
        return CURRENT;
    }

    /** Maps an {@code os.name} value to its kind; {@code null} or unrecognised names give {@link #OTHER}. */
    static OsKind fromOsName(final String osName) {
        if (osName == null) {
            return OTHER;
        }
        final String name = osName.strip().toLowerCase(Locale.ROOT);
        if (name.startsWith("linux")) {
            return LINUX;
        }
        if (name.startsWith("mac") || name.startsWith("darwin")) {
            return DARWIN;
        }
        return OTHER;
    }
}
