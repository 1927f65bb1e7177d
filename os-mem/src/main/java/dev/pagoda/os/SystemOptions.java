package dev.pagoda.os;

import java.util.Objects;

/**
 * Options for {@link OsMemory#system(SystemOptions)}, the port to the running OS.
 *
 * @param release         how the Linux port releases memory in {@code unused}; {@link ReleaseAdvice#DONTNEED}
 *                        by default
 * @param noHugePagesOnMap whether every {@code map} also advises {@code MADV_NOHUGEPAGE} (Go's
 *                        {@code GODEBUG=disablethp=1}), keeping khugepaged away from the range; false by default
 * @param vmaNamePrefix   the prefix of the names given to Pagoda's mappings on Linux 5.17+ so that
 *                        {@code /proc/self/maps} shows them, e.g. {@code "pagoda"} gives
 *                        {@code [anon:pagoda heap]}; at most 32 characters, no {@code [ ] \ $ `}
 */
public record SystemOptions(ReleaseAdvice release, boolean noHugePagesOnMap, String vmaNamePrefix) {
    private static final SystemOptions DEFAULTS = new SystemOptions(ReleaseAdvice.DONTNEED, false, "pagoda");

    /**
     * Checks the options.
     *
     * @throws NullPointerException     if {@code release} or {@code vmaNamePrefix} is null
     * @throws IllegalArgumentException if {@code vmaNamePrefix} is too long or has a character the kernel refuses
     */
    public SystemOptions {
        Objects.requireNonNull(release, "release");
        Objects.requireNonNull(vmaNamePrefix, "vmaNamePrefix");
        if (vmaNamePrefix.length() > 32) {
            throw new IllegalArgumentException("vmaNamePrefix must be at most 32 characters: vmaNamePrefix=\""
                    + vmaNamePrefix + "\"");
        }
        for (int i = 0; i < vmaNamePrefix.length(); i++) {
            final char c = vmaNamePrefix.charAt(i);
            if (c < 0x20 || c > 0x7e || "[]\\$`".indexOf(c) >= 0) {
                throw new IllegalArgumentException("vmaNamePrefix must be printable ASCII without [ ] \\ $ `: "
                        + "vmaNamePrefix=\"" + vmaNamePrefix + "\"");
            }
        }
    }

    /**
     * The defaults: {@code MADV_DONTNEED}, no huge-page advice, mappings named {@code pagoda ...}.
     *
     * @return the default options
     */
    public static SystemOptions defaults() {
        return DEFAULTS;
    }

    /**
     * These options with another release advice.
     *
     * @param advice how {@code unused} releases memory on Linux
     * @return a copy with {@code release} replaced
     */
    public SystemOptions withRelease(final ReleaseAdvice advice) {
        return new SystemOptions(advice, noHugePagesOnMap, vmaNamePrefix);
    }

    /**
     * These options with {@code MADV_NOHUGEPAGE} on every map switched on or off.
     *
     * @param noHugePages whether {@code map} advises {@code MADV_NOHUGEPAGE}
     * @return a copy with {@code noHugePagesOnMap} replaced
     */
    public SystemOptions withNoHugePagesOnMap(final boolean noHugePages) {
        return new SystemOptions(release, noHugePages, vmaNamePrefix);
    }
}
