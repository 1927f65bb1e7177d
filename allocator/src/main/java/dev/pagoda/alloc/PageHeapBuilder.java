package dev.pagoda.alloc;

import dev.pagoda.os.Clock;
import dev.pagoda.alloc.pageheap.PageHeapConfig;
import dev.pagoda.os.OsMemory;
import dev.pagoda.os.Platform;

import java.util.Objects;

/**
 * Configures a {@link PageHeap}: {@code PageHeap.builder()...build()}. Every setter checks its argument at
 * once; {@link #build()} checks the combination against the OS layer.
 */
public final class PageHeapBuilder {
    /** The default page size where the OS page is not larger: Go's, and what the size classes are tuned for. */
    private static final long DEFAULT_PAGE_SIZE = 8192;
    /** The default cap on the background scavenger's pace for a heap far above its goal, in percent of one core. */
    static final double DEFAULT_SCAVENGER_MAX_CPU_PERCENT = 25;

    private OsMemory os;
    /** The page size set by {@link #pageSize(long)}, or 0 for the default, which follows the OS. */
    private long pageSize;
    private long arenaBytes = 64L << 20;
    private long budget = 256L << 30;
    private boolean zeroing = true;
    private boolean pageCaches = true;
    private long memoryLimit = Long.MAX_VALUE;
    private boolean guardPages;
    private String name;
    private boolean backgroundScavenger = true;
    private long memoryTarget = Long.MAX_VALUE;
    private double scavengerMaxCpuPercent = DEFAULT_SCAVENGER_MAX_CPU_PERCENT;
    private HugePagePolicy hugePages = HugePagePolicy.SYSTEM;
    private boolean scavengerTrace = Boolean.getBoolean("pagoda.scavtrace");
    private Clock clock = Clock.system();

    PageHeapBuilder() {
    }

    /**
     * The OS-memory layer to build on; {@link OsMemory#system()} by default.
     *
     * @param os the layer, e.g. {@link OsMemory#simulated()} for tests (then also {@code zeroing(false)})
     * @return this builder
     */
    public PageHeapBuilder os(final OsMemory os) {
        this.os = Objects.requireNonNull(os, "os");
        return this;
    }

    /**
     * The page size: a power of two, at least the OS page size (checked at build).
     *
     * @param bytes the page size; by default 8 KiB, or the OS page size where that is larger (16 KiB on Apple
     *              silicon, 16 or 64 KiB on some arm64 Linux kernels)
     * @return this builder
     * @throws IllegalArgumentException if not a power of two from 4096 to 1 GiB
     */
    public PageHeapBuilder pageSize(final long bytes) {
        if (bytes < 4096 || Long.bitCount(bytes) != 1 || bytes > (1L << 30)) {
            throw new IllegalArgumentException("pageSize must be a power of two from 4096 to 1 GiB: pageSize="
                    + bytes);
        }
        this.pageSize = bytes;
        return this;
    }

    /**
     * The arena size: a power of two, at least one chunk of 512 pages (checked at build).
     *
     * @param bytes the arena size; 64 MiB by default
     * @return this builder
     * @throws IllegalArgumentException if not a power of two up to 2<sup>40</sup>
     */
    public PageHeapBuilder arenaBytes(final long bytes) {
        if (bytes <= 0 || Long.bitCount(bytes) != 1 || bytes > (1L << 40)) {
            throw new IllegalArgumentException("arenaBytes must be a power of two up to 2^40: arenaBytes=" + bytes);
        }
        this.arenaBytes = bytes;
        return this;
    }

    /**
     * The most address space the heap may reserve, arenas and large runs together.
     *
     * @param bytes a positive number of bytes; 256 GiB by default
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public PageHeapBuilder addressSpaceBudget(final long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("addressSpaceBudget must be positive: addressSpaceBudget=" + bytes);
        }
        this.budget = bytes;
        return this;
    }

    /**
     * Whether runs are zeroed by default; callers may still opt out per call.
     *
     * @param zero true by default; must be false over a simulated OS
     * @return this builder
     */
    public PageHeapBuilder zeroing(final boolean zero) {
        this.zeroing = zero;
        return this;
    }

    /**
     * Whether platform threads get per-thread page caches.
     *
     * @param enabled true by default
     * @return this builder
     */
    public PageHeapBuilder pageCaches(final boolean enabled) {
        this.pageCaches = enabled;
        return this;
    }

    /**
     * The hard limit on Ready bytes (Go's memory limit, counted as its {@code mappedReady}); changeable later
     * with {@link PageHeap#memoryLimit(long)}.
     *
     * @param bytes a positive limit; {@link Long#MAX_VALUE}, the default, for none
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public PageHeapBuilder memoryLimit(final long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("memoryLimit must be positive: memoryLimit=" + bytes);
        }
        this.memoryLimit = bytes;
        return this;
    }

    /**
     * Whether runs larger than an arena get a guard page range on each side that faults on access (a debug
     * aid: an overrun crashes at the faulting instruction instead of corrupting memory). Off by default.
     *
     * @param guards true to add guards
     * @return this builder
     */
    public PageHeapBuilder guardPages(final boolean guards) {
        this.guardPages = guards;
        return this;
    }

    /**
     * The heap's name in the scavenger trace, JFR events and JMX; by default {@code heap-N}, numbered per process.
     *
     * @param heapName a non-blank name
     * @return this builder
     * @throws IllegalArgumentException if {@code heapName} is blank
     */
    public PageHeapBuilder name(final String heapName) {
        if (heapName == null || heapName.isBlank()) {
            throw new IllegalArgumentException("name must not be blank: name=" + heapName);
        }
        this.name = heapName;
        return this;
    }

    /**
     * Whether the process's background scavenger returns this heap's free pages to the OS (on by default).
     * Without it, memory goes back only through {@link PageHeap#releaseToOs()}, {@link PageHeap#scavenge()}
     * and the hard limit.
     *
     * @param on false to leave the heap out of background scavenging
     * @return this builder
     */
    public PageHeapBuilder backgroundScavenger(final boolean on) {
        this.backgroundScavenger = on;
        return this;
    }

    /**
     * A soft target on Ready bytes (Go's {@code GOMEMLIMIT} as the scavenger sees it): the background scavenger
     * releases free pages until Ready bytes are at most 95% of it, on top of its usual goal of live pages plus
     * 10%. Allocation never fails because of it; changeable later with {@link PageHeap#memoryTarget(long)}.
     *
     * @param bytes a positive target; {@link Long#MAX_VALUE}, the default, for none
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public PageHeapBuilder memoryTarget(final long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("memoryTarget must be positive (Long.MAX_VALUE for none): "
                    + "memoryTarget=" + bytes);
        }
        this.memoryTarget = bytes;
        return this;
    }

    /**
     * The most of one core the background scavenger may spend on this heap while the heap is far above its goal.
     * The scavenger's pace follows the excess: while retained memory is at most twice its goal (live pages plus
     * 10%; or Ready bytes at most twice 95% of a soft target) it is the process's budget, 1% of one core by
     * default ({@code -Dpagoda.scavenger.cpuPercent}); beyond that it rises to what would return the whole excess
     * within about half a second at the measured cost of a release, up to this cap, and falls back as the excess goes.
     * So a drop of gigabytes goes back within a couple of seconds (at 0.2-0.4 ms of kernel time per MiB released,
     * 25% of a core returns about 600-1,200 MiB a second), while a heap that churns near its goal costs no more
     * than before. The work is the scavenger thread's own, in steps of at most a huge page with no lock held across
     * the system call; the cap bounds that thread's share of a core, not the allocating threads'. One thread
     * serves every heap of the process, at the largest pace any of them asks for.
     *
     * @param percent a share of one core in (0, 100]; 25 by default. At or below the process's budget, the pace
     *                never rises above the budget.
     * @return this builder
     * @throws IllegalArgumentException if {@code percent} is not in (0, 100] (NaN included)
     */
    public PageHeapBuilder scavengerMaxCpuPercent(final double percent) {
        if (!(percent > 0 && percent <= 100)) {
            throw new IllegalArgumentException("scavengerMaxCpuPercent must be a share of one core in (0, 100]: "
                    + "scavengerMaxCpuPercent=" + percent);
        }
        this.scavengerMaxCpuPercent = percent;
        return this;
    }

    /**
     * What to ask of transparent huge pages; {@link HugePagePolicy#SYSTEM} by default.
     * {@link PageHeap#hugePages()} reports what is in force and why.
     *
     * @param policy the policy
     * @return this builder
     * @throws NullPointerException if {@code policy} is null
     */
    public PageHeapBuilder hugePages(final HugePagePolicy policy) {
        this.hugePages = Objects.requireNonNull(policy, "hugePages");
        return this;
    }

    /**
     * Whether the scavenger prints one line per background cycle to standard error, like Go's
     * {@code GODEBUG=scavtrace=1}: {@code pagoda scav NAME: B KiB work (bg), E KiB work (eager), R KiB now, U%
     * util}. Off by default, on with the system property {@code pagoda.scavtrace=true}.
     *
     * @param on true to trace
     * @return this builder
     */
    public PageHeapBuilder scavengerTrace(final boolean on) {
        this.scavengerTrace = on;
        return this;
    }

    /**
     * The clock the scavenger measures its work and its generations with; the system clock by default. Tests
     * pass a {@code FakeClock} to control generations.
     *
     * @param scavengerClock the clock
     * @return this builder
     * @throws NullPointerException if {@code scavengerClock} is null
     */
    public PageHeapBuilder clock(final Clock scavengerClock) {
        this.clock = Objects.requireNonNull(scavengerClock, "clock");
        return this;
    }

    /**
     * Creates the heap. Nothing is reserved until the first allocation.
     *
     * @return the heap
     * @throws IllegalArgumentException if the page size is below the OS page size, the arena is smaller
     *                                  than a chunk, the address-space budget is smaller than one arena (no
     *                                  allocation could ever succeed), or zeroing is asked of a simulated OS
     */
    public PageHeap build() {
        checkCombination();
        return new PageHeap(this, false);
    }

    /** Builds the page heap under a {@link Heap}: it refuses what would break the heap. */
    PageHeap buildOwned() {
        checkCombination();
        return new PageHeap(this, true);
    }

    /** The settings for the engine, with the system's OS layer if none was set. */
    PageHeapConfig config() {
        return new PageHeapConfig(os != null ? os : OsMemory.system(), pageSize(), arenaBytes, budget, zeroing, name,
                hugePages(), memoryLimit, guardPages, pageCaches);
    }

    /**
     * Refuses settings that are each valid but together leave the heap unable to allocate anything.
     *
     * @throws IllegalArgumentException naming the values and the rule
     */
    void checkCombination() {
        if (budget < arenaBytes) {
            throw new IllegalArgumentException("addressSpaceBudget must be at least arenaBytes, or the heap can "
                    + "never reserve an arena and every allocation fails: addressSpaceBudget=" + budget
                    + ", arenaBytes=" + arenaBytes);
        }
    }


    OsMemory os() {
        return os;
    }

    /**
     * The page size the heap uses: the one set, or max(8 KiB, the OS page). Without an OS set, the heap runs on
     * {@link OsMemory#system()}, whose page is the platform's.
     */
    long pageSize() {
        if (pageSize != 0) {
            return pageSize;
        }
        return Math.max(DEFAULT_PAGE_SIZE, os != null ? os.pageSize() : Platform.current().pageSize());
    }

    long arenaBytes() {
        return arenaBytes;
    }

    long budget() {
        return budget;
    }

    boolean zeroing() {
        return zeroing;
    }

    boolean pageCaches() {
        return pageCaches;
    }

    long memoryLimit() {
        return memoryLimit;
    }

    boolean guardPages() {
        return guardPages;
    }

    String name() {
        return name;
    }

    boolean backgroundScavenger() {
        return backgroundScavenger;
    }

    long memoryTarget() {
        return memoryTarget;
    }

    HugePagePolicy hugePages() {
        return hugePages;
    }

    double scavengerMaxCpuPercent() {
        return scavengerMaxCpuPercent;
    }

    boolean scavengerTrace() {
        return scavengerTrace;
    }

    Clock clock() {
        return clock;
    }
}
