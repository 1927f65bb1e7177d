package dev.pagoda.alloc;

import dev.pagoda.os.OsMemory;

/**
 * Configures a {@link Heap}: {@code Heap.builder()...build()}. The settings are those of the {@link PageHeap}
 * underneath (the heap's pages are 8 KiB, which its size classes are tuned for, or the OS page size where that
 * is larger); every setter checks its argument at once.
 */
public final class HeapBuilder {
    private final PageHeapBuilder pages = PageHeap.builder().pageSize(8192);
    private boolean debug;
    private boolean jmx = true;

    HeapBuilder() {
    }

    /**
     * The OS-memory layer to build on; {@link OsMemory#system()} by default.
     *
     * @param os the layer; a simulated one needs {@code zeroing(false)}, no debug mode, and its addresses must not
     *           be touched
     * @return this builder
     */
    public HeapBuilder os(final OsMemory os) {
        pages.os(os);
        return this;
    }

    /**
     * The size of the arenas the heap reserves as it grows. An arena holds at least one chunk of 512 pages: 4 MiB
     * with 8 KiB pages, 8 MiB where the OS page is 16 KiB, 32 MiB where it is 64 KiB (checked at {@link #build()}).
     *
     * @param bytes a power of two of at least 4 MiB and at least a chunk; 64 MiB by default
     * @return this builder
     * @throws IllegalArgumentException if not a power of two of at least 4 MiB
     */
    public HeapBuilder arenaBytes(final long bytes) {
        if (bytes < (4L << 20)) {
            throw new IllegalArgumentException("arenaBytes must be a power of two from 4 MiB to 2^40: arenaBytes="
                    + bytes);
        }
        pages.arenaBytes(bytes);
        return this;
    }

    /**
     * The most address space the heap may reserve.
     *
     * @param bytes a positive number of bytes; 256 GiB by default
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public HeapBuilder addressSpaceBudget(final long bytes) {
        pages.addressSpaceBudget(bytes);
        return this;
    }

    /**
     * Whether allocations are zeroed. Off, allocation skips zeroing entirely (like {@code malloc}).
     *
     * @param zero true by default
     * @return this builder
     */
    public HeapBuilder zeroing(final boolean zero) {
        pages.zeroing(zero);
        return this;
    }

    /**
     * The hard limit on Ready bytes: beyond it an allocation first releases free pages, then throws
     * {@link PagodaOutOfMemoryError}; changeable later with {@link Heap#memoryLimit(long)}.
     *
     * @param bytes a positive limit; {@link Long#MAX_VALUE}, the default, for none
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public HeapBuilder memoryLimit(final long bytes) {
        pages.memoryLimit(bytes);
        return this;
    }

    /**
     * Debug mode, off by default: freed small objects are filled with a poison pattern that is checked when the
     * object is handed out again (a write after free then throws {@link IllegalStateException} naming the object,
     * once: the object is quarantined, never handed out again nor counted as live, and later allocations of its
     * size get other objects);
     * runs larger than an arena get guard pages that fault on access; every allocation records the stack that
     * made it ({@link Heap#liveAllocations()}), and closing the heap with allocations still live logs a leak
     * report (to the {@link System.Logger} {@code dev.pagoda.alloc}, level WARNING). Costs a stack trace per
     * allocation and a fill and a check per small object: for tests and debugging only.
     *
     * @param on true for debug mode; refused at {@link #build()} over a simulated OS, which has no memory to poison
     * @return this builder
     */
    public HeapBuilder debug(final boolean on) {
        this.debug = on;
        pages.guardPages(on);
        return this;
    }

    /**
     * The heap's name in the scavenger trace, JFR events and JMX ({@link PageHeapBuilder#name(String)}).
     *
     * @param name a non-blank name, unique among open heaps while JMX is on
     * @return this builder
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public HeapBuilder name(final String name) {
        pages.name(name);
        return this;
    }

    /**
     * Whether the process's background scavenger returns the heap's free pages to the OS; on by default
     * ({@link PageHeapBuilder#backgroundScavenger(boolean)}).
     *
     * @param on false to leave the heap out of background scavenging
     * @return this builder
     */
    public HeapBuilder backgroundScavenger(final boolean on) {
        pages.backgroundScavenger(on);
        return this;
    }

    /**
     * A soft target on Ready bytes that the scavenger works toward ({@link PageHeapBuilder#memoryTarget(long)}).
     *
     * @param bytes a positive target; {@link Long#MAX_VALUE}, the default, for none
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public HeapBuilder memoryTarget(final long bytes) {
        pages.memoryTarget(bytes);
        return this;
    }

    /**
     * The most of one core the background scavenger may spend on this heap while it is far above its goal
     * ({@link PageHeapBuilder#scavengerMaxCpuPercent(double)}): near its goal the scavenger spends the process's
     * budget (1% of one core by default); after a large drop, when retained memory is more than twice its goal,
     * its pace rises up to this cap so that gigabytes go back within a couple of seconds.
     *
     * @param percent a share of one core in (0, 100]; 25 by default
     * @return this builder
     * @throws IllegalArgumentException if {@code percent} is not in (0, 100] (NaN included)
     */
    public HeapBuilder scavengerMaxCpuPercent(final double percent) {
        pages.scavengerMaxCpuPercent(percent);
        return this;
    }

    /**
     * What to ask of transparent huge pages ({@link PageHeapBuilder#hugePages(HugePagePolicy)}).
     *
     * @param policy the policy; {@link HugePagePolicy#SYSTEM} by default
     * @return this builder
     * @throws NullPointerException if {@code policy} is null
     */
    public HeapBuilder hugePages(final HugePagePolicy policy) {
        pages.hugePages(policy);
        return this;
    }

    /**
     * Whether the scavenger prints a line per cycle ({@link PageHeapBuilder#scavengerTrace(boolean)}).
     *
     * @param on true to trace
     * @return this builder
     */
    public HeapBuilder scavengerTrace(final boolean on) {
        pages.scavengerTrace(on);
        return this;
    }

    /**
     * Whether the heap registers its {@link HeapMXBean} with the platform MBean server while open; on by default.
     *
     * @param on false to stay out of JMX
     * @return this builder
     */
    public HeapBuilder jmx(final boolean on) {
        this.jmx = on;
        return this;
    }

    /**
     * Creates the heap. Nothing is reserved until the first allocation.
     *
     * @return the heap
     * @throws IllegalArgumentException if the address-space budget is smaller than one arena (no allocation could
     *                                  ever succeed), if the arena is smaller than a chunk of 512 pages, or if
     *                                  zeroing or debug mode is asked of a simulated OS (both write to memory it
     *                                  does not have)
     */
    public Heap build() {
        pages.checkCombination();
        final OsMemory os = pages.os();
        if (debug && os != null && "simulated".equals(os.port())) {
            throw new IllegalArgumentException("debug mode poisons and checks freed memory, and a simulated OsMemory "
                    + "has no memory behind its addresses: build a heap over a simulated OS without it: debug=true");
        }
        return new Heap(this);
    }

    PageHeapBuilder pages() {
        return pages;
    }

    boolean jmx() {
        return jmx;
    }

    boolean debug() {
        return debug;
    }
}
