package dev.pagoda.os;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * This process's physical memory use at one moment; see {@link Platform#processMemory()}.
 *
 * <p>On Linux both facts come from {@code /proc/self/smaps_rollup} (Linux 4.14+), the resident set falling
 * back to {@code VmRSS} of {@code /proc/self/status}. Elsewhere, or when {@code /proc} is hidden, they are
 * empty.
 *
 * @param rssBytes           the resident set size in bytes ({@code Rss} of {@code smaps_rollup}, else
 *                           {@code VmRSS} of {@code status}); empty when neither could be read
 * @param anonHugePagesBytes the bytes of anonymous memory backed by transparent huge pages
 *                           ({@code AnonHugePages} of {@code smaps_rollup}); empty when it could not be read
 */
public record ProcessMemory(OptionalLong rssBytes, OptionalLong anonHugePagesBytes) {
    /**
     * Checks that no component is {@code null}.
     *
     * @param rssBytes           the resident set size in bytes, or empty
     * @param anonHugePagesBytes the bytes backed by transparent huge pages, or empty
     * @throws NullPointerException if either component is {@code null}
     */
    public ProcessMemory {
        Objects.requireNonNull(rssBytes, "rssBytes");
        Objects.requireNonNull(anonHugePagesBytes, "anonHugePagesBytes");
    }

    /**
     * The facts in bytes.
     *
     * @return for example {@code "rss=1814528 bytes, anonHugePages=0 bytes"}, with {@code unknown} for an
     *         empty fact
     */
    @Override
    public String toString() {
        return "rss=" + bytes(rssBytes) + ", anonHugePages=" + bytes(anonHugePagesBytes);
    }

    private static String bytes(final OptionalLong value) {
        return value.isPresent() ? value.getAsLong() + " bytes" : "unknown";
    }
}
