package dev.pagoda.os;

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
    OTHER
}
