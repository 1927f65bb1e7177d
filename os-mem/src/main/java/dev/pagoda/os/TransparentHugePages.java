package dev.pagoda.os;

import java.util.Objects;
import java.util.OptionalInt;

/**
 * The kernel's transparent-huge-page settings, read from {@code /sys/kernel/mm/transparent_hugepage/}
 * (falling back, file by file, to RHEL&nbsp;6's {@code /sys/kernel/mm/redhat_transparent_hugepage/}).
 *
 * <p>Every fact may be unknown: on a system without THP (Darwin, a kernel built without it, a container
 * hiding {@code /sys}) the modes are {@code UNKNOWN} and {@code maxPtesNone} is empty. Reading never throws.
 *
 * @param enabled     the selected option of {@code enabled}: when anonymous memory gets huge pages;
 *                    {@link ThpMode#UNKNOWN} when the file is missing or malformed
 * @param defrag      the selected option of {@code defrag}: how hard faults try to find a huge page;
 *                    {@link ThpDefrag#UNKNOWN} when the file is missing or malformed
 * @param maxPtesNone {@code khugepaged/max_ptes_none}: how many unmapped 4 KiB pages khugepaged fills in
 *                    when it collapses a range into a huge page (511 by default, 0 means it only collapses
 *                    fully populated ranges); empty when the file is missing or not a non-negative number
 */
public record TransparentHugePages(ThpMode enabled, ThpDefrag defrag, OptionalInt maxPtesNone) {
    private static final TransparentHugePages UNKNOWN =
            new TransparentHugePages(ThpMode.UNKNOWN, ThpDefrag.UNKNOWN, OptionalInt.empty());

    /**
     * Checks that no component is {@code null}.
     *
     * @param enabled     the selected option of {@code enabled}
     * @param defrag      the selected option of {@code defrag}
     * @param maxPtesNone {@code khugepaged/max_ptes_none}, or empty
     * @throws NullPointerException if any component is {@code null}
     */
    public TransparentHugePages {
        Objects.requireNonNull(enabled, "enabled");
        Objects.requireNonNull(defrag, "defrag");
        Objects.requireNonNull(maxPtesNone, "maxPtesNone");
    }

    /**
     * The settings of a system where none could be read.
     *
     * @return {@code UNKNOWN} modes and an empty {@code maxPtesNone}
     */
    public static TransparentHugePages unknown() {
        return UNKNOWN;
    }

    /**
     * Whether {@code madvise(MADV_HUGEPAGE)} can give a range huge pages: THP is enabled {@code always} or
     * {@code madvise}. False when THP is off or its mode is unknown.
     *
     * @return {@code true} if {@link #enabled()} is {@link ThpMode#ALWAYS} or {@link ThpMode#MADVISE}
     */
    public boolean madviseHugePagesWork() {
        return enabled == ThpMode.ALWAYS || enabled == ThpMode.MADVISE;
    }

    /**
     * Whether anonymous memory gets huge pages without being asked: THP is enabled {@code always}.
     *
     * @return {@code true} if {@link #enabled()} is {@link ThpMode#ALWAYS}
     */
    public boolean hugePagesByDefault() {
        return enabled == ThpMode.ALWAYS;
    }

    /**
     * The settings in the kernel's own words.
     *
     * @return for example {@code "enabled=madvise, defrag=madvise, max_ptes_none=511"}
     */
    @Override
    public String toString() {
        return "enabled=" + enabled.token() + ", defrag=" + defrag.token() + ", max_ptes_none=" +
                (maxPtesNone.isPresent() ? Integer.toString(maxPtesNone.getAsInt()) : "unknown");
    }
}
