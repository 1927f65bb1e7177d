package dev.pagoda.os.platform;

import dev.pagoda.os.Overcommit;
import dev.pagoda.os.ProcessMemory;
import dev.pagoda.os.ThpDefrag;
import dev.pagoda.os.ThpMode;
import dev.pagoda.os.TransparentHugePages;

import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * Where each file-based fact of {@link dev.pagoda.os.Platform} lives under {@code /sys} and {@code /proc}, and
 * how it is read: every reader takes the directory that stands for {@code /}, so that tests can lay out a fake
 * tree. Nothing here throws: a missing or malformed file gives the fact's "unknown" value.
 */
public final class FactFiles {
    /** The transparent huge page size. */
    public static final String HPAGE_PMD_SIZE = "sys/kernel/mm/transparent_hugepage/hpage_pmd_size";
    /** When anonymous memory gets transparent huge pages. */
    public static final String THP_ENABLED = "sys/kernel/mm/transparent_hugepage/enabled";
    /** How hard a fault tries to get a transparent huge page. */
    public static final String THP_DEFRAG = "sys/kernel/mm/transparent_hugepage/defrag";
    /** How many unmapped pages khugepaged fills in when it collapses a range. */
    public static final String THP_MAX_PTES_NONE = "sys/kernel/mm/transparent_hugepage/khugepaged/max_ptes_none";
    /** RHEL 6's {@link #THP_ENABLED}. */
    public static final String RHEL_THP_ENABLED = "sys/kernel/mm/redhat_transparent_hugepage/enabled";
    /** RHEL 6's {@link #THP_DEFRAG}. */
    public static final String RHEL_THP_DEFRAG = "sys/kernel/mm/redhat_transparent_hugepage/defrag";
    /** RHEL 6's {@link #THP_MAX_PTES_NONE}. */
    public static final String RHEL_THP_MAX_PTES_NONE =
            "sys/kernel/mm/redhat_transparent_hugepage/khugepaged/max_ptes_none";
    /** The overcommit policy. */
    public static final String OVERCOMMIT_MEMORY = "proc/sys/vm/overcommit_memory";
    /** The kernel release. */
    public static final String OSRELEASE = "proc/sys/kernel/osrelease";
    /** This process's memory totals (Linux 4.14+). */
    public static final String SMAPS_ROLLUP = "proc/self/smaps_rollup";
    /** This process's status, with {@code VmRSS}. */
    public static final String STATUS = "proc/self/status";

    private FactFiles() {
    }

    /**
     * The transparent huge page size, validated as Go's runtime does.
     *
     * @param root the directory standing for {@code /}
     * @return the size in bytes, or 0 unless {@code hpage_pmd_size} holds a positive power of two
     */
    public static long hugePageSize(final Path root) {
        return SysFiles.hugePageSize(SysFiles.read(root.resolve(HPAGE_PMD_SIZE)));
    }

    /**
     * The transparent-huge-page settings, each file read from RHEL 6's location when the mainline one cannot
     * be read.
     *
     * @param root the directory standing for {@code /}
     * @return the settings; their parts unknown or empty where a file is missing or malformed
     */
    public static TransparentHugePages thp(final Path root) {
        return new TransparentHugePages(
                parseThpMode(SysFiles.read(root.resolve(THP_ENABLED), root.resolve(RHEL_THP_ENABLED))),
                parseThpDefrag(SysFiles.read(root.resolve(THP_DEFRAG), root.resolve(RHEL_THP_DEFRAG))),
                SysFiles.nonNegativeInt(
                        SysFiles.read(root.resolve(THP_MAX_PTES_NONE), root.resolve(RHEL_THP_MAX_PTES_NONE))));
    }

    /**
     * The overcommit policy.
     *
     * @param root the directory standing for {@code /}
     * @return the policy, {@link Overcommit#UNKNOWN} if the file is missing or malformed
     */
    public static Overcommit overcommit(final Path root) {
        return parseOvercommit(SysFiles.read(root.resolve(OVERCOMMIT_MEMORY)));
    }

    /**
     * The kernel release as the file holds it.
     *
     * @param root the directory standing for {@code /}
     * @return the contents of {@code osrelease}, or {@code null} if it cannot be read
     */
    public static String osRelease(final Path root) {
        return SysFiles.read(root.resolve(OSRELEASE));
    }

    /**
     * This process's resident set now: {@code Rss} and {@code AnonHugePages} of {@code smaps_rollup}, the
     * resident set falling back to {@code VmRSS} of {@code status}.
     *
     * @param root the directory standing for {@code /}
     * @return the facts, each empty when it cannot be read
     */
    public static ProcessMemory processMemory(final Path root) {
        final String rollup = SysFiles.read(root.resolve(SMAPS_ROLLUP));
        OptionalLong rss = SysFiles.kibField(rollup, "Rss");
        if (rss.isEmpty()) {
            rss = SysFiles.kibField(SysFiles.read(root.resolve(STATUS)), "VmRSS");
        }
        return new ProcessMemory(rss, SysFiles.kibField(rollup, "AnonHugePages"));
    }

    /**
     * Parses the contents of an {@code enabled} file; see {@link SysFiles#selectedOption(String)} for the
     * accepted formats.
     *
     * @param text the file's contents, or {@code null} for a missing file
     * @return the selected mode; {@link ThpMode#UNKNOWN} for {@code null} and anything malformed
     */
    public static ThpMode parseThpMode(final String text) {
        final String selected = SysFiles.selectedOption(text);
        if (selected != null) {
            for (final ThpMode mode : ThpMode.values()) {
                if (mode != ThpMode.UNKNOWN && mode.token().equals(selected)) {
                    return mode;
                }
            }
        }
        return ThpMode.UNKNOWN;
    }

    /**
     * Parses the contents of a {@code defrag} file; see {@link SysFiles#selectedOption(String)} for the
     * accepted formats.
     *
     * @param text the file's contents, or {@code null} for a missing file
     * @return the selected policy; {@link ThpDefrag#UNKNOWN} for {@code null} and anything malformed
     */
    public static ThpDefrag parseThpDefrag(final String text) {
        final String selected = SysFiles.selectedOption(text);
        if (selected != null) {
            for (final ThpDefrag defrag : ThpDefrag.values()) {
                if (defrag != ThpDefrag.UNKNOWN && defrag.token().equals(selected)) {
                    return defrag;
                }
            }
        }
        return ThpDefrag.UNKNOWN;
    }

    /**
     * Parses the contents of {@code overcommit_memory}.
     *
     * @param text the file's contents, or {@code null} for a missing file
     * @return the policy; {@link Overcommit#UNKNOWN} for {@code null} and malformed text
     */
    public static Overcommit parseOvercommit(final String text) {
        if (text == null) {
            return Overcommit.UNKNOWN;
        }
        try {
            return Overcommit.fromCode(Integer.parseInt(text.strip()));
        } catch (final NumberFormatException ex) {
            return Overcommit.UNKNOWN;
        }
    }
}
