package dev.pagoda.os;

import dev.pagoda.os.libc.HostOs;
import dev.pagoda.os.platform.FactFiles;
import dev.pagoda.os.platform.Mincore;
import dev.pagoda.os.platform.NativeFacts;
import dev.pagoda.os.platform.Smaps;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.pagoda.os.platform.FactFiles.HPAGE_PMD_SIZE;
import static dev.pagoda.os.platform.FactFiles.OSRELEASE;
import static dev.pagoda.os.platform.FactFiles.OVERCOMMIT_MEMORY;
import static dev.pagoda.os.platform.FactFiles.THP_DEFRAG;
import static dev.pagoda.os.platform.FactFiles.THP_ENABLED;
import static dev.pagoda.os.platform.FactFiles.THP_MAX_PTES_NONE;

/**
 * The facts about this machine that the allocator tunes itself by: page and huge-page size,
 * transparent-huge-page settings, overcommit policy, CPU count and kernel version. An immutable snapshot,
 * read once by {@link #current()}.
 *
 * <p>Every fact has a documented source (a system call or a file under {@code /sys} or {@code /proc}) and a
 * documented "unknown" value used when the source is missing or unreadable, as on Darwin, in containers that
 * hide {@code /sys}, or on old kernels. Reading facts never throws.
 *
 * <p>Two queries are not part of the snapshot because their answers change from moment to moment:
 * {@link #residency(long, long)} (which pages of a range are resident, by {@code mincore(2)}) and
 * {@link #processMemory()} (this process's resident set).
 *
 * {@snippet :
 * Platform platform = Platform.current();
 * if (platform.hugePageSize() > 0 && platform.thp().madviseHugePagesWork()) {
 *     // align arenas to platform.hugePageSize() and advise MADV_HUGEPAGE
 * }
 * System.out.println(platform.describe());
 * System.out.println(Platform.processMemory());
 * }
 */
public final class Platform {
    /** The kernel version reported when it cannot be read. */
    public static final String UNKNOWN_KERNEL = "unknown";

    private static final Path ROOT = Path.of("/");
    private static final Pattern KERNEL_VERSION = Pattern.compile("^(\\d+)(?:\\.(\\d+))?");

    private static volatile Platform cached;

    private final OsKind os;
    private final String arch;
    private final long pageSize;
    private final long hugePageSize;
    private final TransparentHugePages thp;
    private final Overcommit overcommit;
    private final int cpuCount;
    private final String kernelVersion;
    private final int kernelMajor;
    private final int kernelMinor;

    private Platform(final OsKind os, final String arch, final long pageSize, final long hugePageSize,
                     final TransparentHugePages thp, final Overcommit overcommit, final int cpuCount,
                     final String kernelVersion) {
        this.os = os;
        this.arch = arch;
        this.pageSize = pageSize;
        this.hugePageSize = hugePageSize;
        this.thp = thp;
        this.overcommit = overcommit;
        this.cpuCount = cpuCount;
        this.kernelVersion = kernelVersion;
        final Matcher version = KERNEL_VERSION.matcher(kernelVersion);
        int major = -1;
        int minor = -1;
        if (version.find()) {
            try {
                major = Integer.parseInt(version.group(1));
                minor = version.group(2) == null ? 0 : Integer.parseInt(version.group(2));
            } catch (final NumberFormatException ex) {
                major = -1;
                minor = -1;
            }
        }
        this.kernelMajor = major;
        this.kernelMinor = minor;
    }

    /**
     * The facts of the machine this JVM runs on, read on the first call and cached.
     *
     * <p>The first call makes one system call for the page size ({@code sysconf} on Linux,
     * {@code sysctlbyname} on Darwin) and reads a handful of small files; it needs native access (see the
     * module description).
     *
     * @return the snapshot, the same instance on every call
     */
    public static Platform current() {
        Platform platform = cached;
        if (platform == null) {
            synchronized (Platform.class) {
                platform = cached;
                if (platform == null) {
                    platform = detect();
                    cached = platform;
                }
            }
        }
        return platform;
    }

    private static Platform detect() {
        final OsKind os = HostOs.current();
        final String arch = System.getProperty("os.arch", "unknown");
        final int cpus = Runtime.getRuntime().availableProcessors();
        return switch (os) {
            case LINUX -> read(ROOT, os, arch, NativeFacts.linuxPageSize(), cpus);
            case DARWIN -> read(ROOT, os, arch, NativeFacts.darwinSysctlLong("hw.pagesize"), cpus,
                    NativeFacts.darwinSysctlString("kern.osrelease"));
            case OTHER -> read(ROOT, os, arch, 0L, cpus);
        };
    }

    /**
     * Reads the file-based facts from the tree under {@code root} instead of {@code /}, so that tests can lay
     * out a fake {@code /sys} and {@code /proc}; everything not read from a file is given.
     */
    static Platform read(final Path root, final OsKind os, final String arch, final long pageSize,
                         final int cpuCount) {
        return read(root, os, arch, pageSize, cpuCount, null);
    }

    private static Platform read(final Path root, final OsKind os, final String arch, final long pageSize,
                                 final int cpuCount, final String kernelFallback) {
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(os, "os");
        Objects.requireNonNull(arch, "arch");
        final TransparentHugePages thp = FactFiles.thp(root);
        final String osRelease = FactFiles.osRelease(root);
        String kernel = osRelease == null ? kernelFallback : osRelease.strip();
        if (kernel == null || kernel.isBlank()) {
            kernel = UNKNOWN_KERNEL;
        }
        return new Platform(os, arch, Math.max(pageSize, 0L), FactFiles.hugePageSize(root), thp,
                FactFiles.overcommit(root), cpuCount, kernel);
    }

    /**
     * The operating system, from the {@code os.name} system property.
     *
     * @return {@link OsKind#LINUX}, {@link OsKind#DARWIN} or, for anything else, {@link OsKind#OTHER}
     */
    public OsKind os() {
        return os;
    }

    /**
     * The processor architecture, the {@code os.arch} system property as the JDK spells it.
     *
     * @return for example {@code "amd64"} or {@code "aarch64"}; {@code "unknown"} if the property is unset
     */
    public String arch() {
        return arch;
    }

    /**
     * The size of a system page, the unit of {@code mmap}, {@code madvise} and {@code mincore}: from
     * {@code sysconf(_SC_PAGESIZE)} on Linux and {@code sysctlbyname("hw.pagesize")} on Darwin.
     *
     * @return the page size in bytes, a power of two (4096 on x86-64; 16384 on Apple silicon); 0 when unknown
     *         (on other systems, or if the call failed)
     */
    public long pageSize() {
        return pageSize;
    }

    /**
     * The size of a transparent huge page, from {@code /sys/kernel/mm/transparent_hugepage/hpage_pmd_size},
     * validated as Go's runtime does: anything but a positive power of two counts as none.
     *
     * <p>This is the PMD size whether or not THP is enabled; see {@link #thp()} for that. Go additionally
     * ignores sizes above its 4 MiB chunk; that is a policy for the allocator, not a fact, so it is not applied
     * here.
     *
     * @return the huge page size in bytes (2 MiB on x86-64), or 0 when the file is missing (Darwin, kernels
     *         before 4.10 or without THP), unreadable, not a number, not positive or not a power of two
     */
    public long hugePageSize() {
        return hugePageSize;
    }

    /**
     * The transparent-huge-page settings, from {@code /sys/kernel/mm/transparent_hugepage/} (or RHEL 6's
     * {@code redhat_transparent_hugepage/}).
     *
     * @return the settings; their parts are {@code UNKNOWN} or empty when the files are missing or malformed
     */
    public TransparentHugePages thp() {
        return thp;
    }

    /**
     * The kernel's overcommit policy, from {@code /proc/sys/vm/overcommit_memory}.
     *
     * @return the policy, or {@link Overcommit#UNKNOWN} when the file is missing (not Linux) or malformed
     */
    public Overcommit overcommit() {
        return overcommit;
    }

    /**
     * The number of CPUs this process may run on, {@link Runtime#availableProcessors()}: it honours the CPU
     * affinity mask and, in containers, cgroup CPU limits. Read once; it does not follow later changes.
     *
     * @return at least 1
     */
    public int cpuCount() {
        return cpuCount;
    }

    /**
     * The kernel release, from {@code /proc/sys/kernel/osrelease} on Linux and
     * {@code sysctlbyname("kern.osrelease")} on Darwin.
     *
     * @return for example {@code "6.18.44-fc-v669"}, or {@link #UNKNOWN_KERNEL} when it cannot be read
     */
    public String kernelVersion() {
        return kernelVersion;
    }

    /**
     * Whether the kernel is at least version {@code major.minor}, comparing the leading numbers of
     * {@link #kernelVersion()} (a Darwin kernel's own numbering on Darwin). For example
     * {@code kernelAtLeast(6, 1)} tells whether {@code MADV_COLLAPSE} may exist.
     *
     * @param major the major version, at least 0
     * @param minor the minor version, at least 0
     * @return {@code true} if the kernel's version is {@code major.minor} or later; {@code false} if it is
     *         earlier or unknown (a missing version, or one that does not start with a number)
     * @throws IllegalArgumentException if {@code major} or {@code minor} is negative
     */
    public boolean kernelAtLeast(final int major, final int minor) {
        if (major < 0) {
            throw new IllegalArgumentException("major must not be negative: major=" + major);
        }
        if (minor < 0) {
            throw new IllegalArgumentException("minor must not be negative: minor=" + minor);
        }
        if (kernelMajor < 0) {
            return false;
        }
        return kernelMajor > major || (kernelMajor == major && kernelMinor >= minor);
    }

    /**
     * How many pages of a mapped range are resident in physical memory now, by {@code mincore(2)}.
     *
     * <p>The arguments are checked before any system call. The range may span any number of pages; it is
     * queried in windows of 65,536 pages.
     *
     * @param address the first byte of the range, a multiple of {@link #pageSize()}
     * @param bytes   the length of the range, greater than 0; a partial last page counts as a page
     * @return the number of pages in the range and how many of them are resident
     * @throws IllegalArgumentException if {@code address} is not page aligned, {@code bytes} is not positive,
     *                                  or the range wraps around the end of the address space
     * @throws IllegalStateException    if the page size is unknown (see {@link #pageSize()})
     * @throws NativeCallException      if {@code mincore} fails, for example with {@code ENOMEM} when part of
     *                                  the range is not mapped
     */
    public Residency residency(final long address, final long bytes) {
        final long pages = checkRange(address, bytes);
        return new Residency(pages, Mincore.scan(address, pages, pageSize, null));
    }

    /**
     * How many pages of a native segment are resident now; {@link #residency(long, long)} of the segment's
     * address and size.
     *
     * @param segment a native segment whose address is a multiple of {@link #pageSize()} and whose size is
     *                greater than 0
     * @return the number of pages the segment spans and how many of them are resident
     * @throws IllegalArgumentException if {@code segment} is not native, not page aligned or empty
     * @throws IllegalStateException    if the page size is unknown
     * @throws NativeCallException      if {@code mincore} fails
     */
    public Residency residency(final MemorySegment segment) {
        if (!segment.isNative()) {
            throw new IllegalArgumentException("segment must be native: segment=" + segment);
        }
        return residency(segment.address(), segment.byteSize());
    }

    /**
     * Which pages of a mapped range are resident now, by {@code mincore(2)}: bit {@code i} is set when page
     * {@code i} of the range (the page at {@code address + i * pageSize()}) is resident.
     *
     * @param address the first byte of the range, a multiple of {@link #pageSize()}
     * @param bytes   the length of the range, greater than 0, spanning at most {@link Integer#MAX_VALUE} pages
     * @return the resident pages, indexed from the start of the range
     * @throws IllegalArgumentException if {@code address} is not page aligned, {@code bytes} is not positive
     *                                  or spans more than {@link Integer#MAX_VALUE} pages, or the range wraps
     *                                  around the end of the address space
     * @throws IllegalStateException    if the page size is unknown
     * @throws NativeCallException      if {@code mincore} fails, for example with {@code ENOMEM} when part of
     *                                  the range is not mapped
     */
    public BitSet residencyMap(final long address, final long bytes) {
        final long pages = checkRange(address, bytes);
        if (pages > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("bytes must span at most " + Integer.MAX_VALUE +
                    " pages of " + pageSize + " bytes: bytes=" + bytes);
        }
        final BitSet resident = new BitSet((int) pages);
        Mincore.scan(address, pages, pageSize, resident);
        return resident;
    }

    /** Checks a residency query's arguments and returns the number of pages the range spans. */
    private long checkRange(final long address, final long bytes) {
        if (pageSize <= 0) {
            throw new IllegalStateException("residency needs the page size, which is unknown on " + os);
        }
        if ((address & (pageSize - 1)) != 0) {
            throw new IllegalArgumentException("address must be a multiple of the page size " + pageSize +
                    ": address=0x" + Long.toHexString(address));
        }
        if (bytes <= 0) {
            throw new IllegalArgumentException("bytes must be positive: bytes=" + bytes);
        }
        if (Long.compareUnsigned(address + (bytes - 1), address) < 0) {
            throw new IllegalArgumentException("address + bytes must not wrap around the address space: " +
                    "address=0x" + Long.toHexString(address) + ", bytes=" + bytes);
        }
        return (bytes - 1) / pageSize + 1;
    }

    /**
     * This process's resident set now, read afresh on every call (it is meant to be called repeatedly, for
     * example after each step of a workload): {@code Rss} and {@code AnonHugePages} of
     * {@code /proc/self/smaps_rollup}, the resident set falling back to {@code VmRSS} of
     * {@code /proc/self/status} on kernels before 4.14.
     *
     * <p>Reading {@code smaps_rollup} walks the process's mappings in the kernel, which takes a few tens of
     * microseconds for a small process: cheap for reports, too slow for a hot path.
     *
     * @return the facts; each is empty when it cannot be read (always on Darwin)
     */
    public static ProcessMemory processMemory() {
        return processMemory(ROOT);
    }

    /** {@link #processMemory()} read from the tree under {@code root} instead of {@code /}. */
    static ProcessMemory processMemory(final Path root) {
        return FactFiles.processMemory(root);
    }

    /**
     * How many bytes of an address range are backed by transparent huge pages now: the {@code AnonHugePages}
     * of the mappings in {@code /proc/self/smaps} that overlap it, a mapping only partly inside counted in
     * proportion to its overlap. Reading {@code smaps} walks every mapping of the process (milliseconds for a
     * large one): for reports and tests, not for a hot path.
     *
     * @param address the start of the range
     * @param bytes   the length of the range, not negative
     * @return the bytes backed by huge pages; 0 where {@code smaps} cannot be read (always on Darwin)
     * @throws IllegalArgumentException if {@code bytes} is negative
     */
    public static long hugePageBytes(final long address, final long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes must not be negative: bytes=" + bytes);
        }
        return Smaps.anonHugePages(ROOT, address, bytes);
    }

    /**
     * How many bytes of several address ranges are backed by transparent huge pages now: the sum of
     * {@link #hugePageBytes(long, long)} over the ranges, from a single read of {@code /proc/self/smaps}, which
     * is what costs (milliseconds for a large process), so measuring many ranges costs about as much as one.
     *
     * @param ranges the ranges as {@code [address, bytes, address, bytes, ...]} pairs, disjoint, each length
     *               not negative; not modified
     * @return the bytes backed by huge pages; 0 where {@code smaps} cannot be read (always on Darwin)
     * @throws NullPointerException     if {@code ranges} is null
     * @throws IllegalArgumentException if {@code ranges} has an odd length or a length in it is negative
     */
    public static long hugePageBytes(final long[] ranges) {
        Objects.requireNonNull(ranges, "ranges");
        if (ranges.length % 2 != 0) {
            throw new IllegalArgumentException("ranges must hold [address, bytes] pairs: ranges.length="
                    + ranges.length);
        }
        for (int i = 1; i < ranges.length; i += 2) {
            if (ranges[i] < 0) {
                throw new IllegalArgumentException("the lengths in ranges must not be negative: ranges[" + i
                        + "]=" + ranges[i]);
            }
        }
        return ranges.length == 0 ? 0 : Smaps.anonHugePages(ROOT, ranges.clone());
    }

    /**
     * The facts on one line.
     *
     * @return for example {@code "Platform[os=LINUX, arch=amd64, kernel=6.18.44, cpus=2, pageSize=4096,
     *         hugePageSize=2097152, thp=[enabled=madvise, defrag=madvise, max_ptes_none=511],
     *         overcommit=HEURISTIC]"}
     */
    @Override
    public String toString() {
        return "Platform[os=" + os + ", arch=" + arch + ", kernel=" + kernelVersion + ", cpus=" + cpuCount +
                ", pageSize=" + pageSize + ", hugePageSize=" + hugePageSize + ", thp=[" + thp + "], overcommit=" +
                overcommit + ']';
    }

    /**
     * The facts as a multi-line report, one fact a line with its source, for a command-line probe.
     *
     * @return the report, ending with a line separator
     */
    public String describe() {
        final String nl = System.lineSeparator();
        return "Pagoda platform facts" + nl +
                line("os", os + " " + arch, "os.name, os.arch") + nl +
                line("kernel", kernelVersion, os == OsKind.DARWIN ? "kern.osrelease" : OSRELEASE) + nl +
                line("cpus", Integer.toString(cpuCount), "Runtime.availableProcessors()") + nl +
                line("page size", size(pageSize),
                        os == OsKind.DARWIN ? "sysctlbyname(hw.pagesize)" : "sysconf(_SC_PAGESIZE)") + nl +
                line("huge page size", size(hugePageSize), HPAGE_PMD_SIZE) + nl +
                line("THP enabled", thp.enabled().token(), THP_ENABLED) + nl +
                line("THP defrag", thp.defrag().token(), THP_DEFRAG) + nl +
                line("THP max_ptes_none", thp.maxPtesNone().isPresent() ?
                        Integer.toString(thp.maxPtesNone().getAsInt()) : "unknown", THP_MAX_PTES_NONE) + nl +
                line("overcommit", overcommit == Overcommit.UNKNOWN ? "unknown" :
                        overcommit.name().toLowerCase(Locale.ROOT) + " (" + overcommit.code() + ")",
                        OVERCOMMIT_MEMORY) + nl;
    }

    private static String line(final String name, final String value, final String source) {
        return String.format("  %-18s %-26s (%s)", name, value, source.startsWith("proc/") ||
                source.startsWith("sys/") ? "/" + source : source);
    }

    private static String size(final long bytes) {
        if (bytes <= 0) {
            return "unknown";
        }
        if (bytes >= 1L << 30 && (bytes & ((1L << 30) - 1)) == 0) {
            return (bytes >> 30) + " GiB (" + bytes + " bytes)";
        }
        if (bytes >= 1L << 20 && (bytes & ((1L << 20) - 1)) == 0) {
            return (bytes >> 20) + " MiB (" + bytes + " bytes)";
        }
        if (bytes >= 1L << 10 && (bytes & ((1L << 10) - 1)) == 0) {
            return (bytes >> 10) + " KiB (" + bytes + " bytes)";
        }
        return bytes + " bytes";
    }
}
