package dev.pagoda.pool;

import dev.pagoda.os.OsMemory;
import dev.pagoda.os.Platform;
import dev.pagoda.pool.engine.PoolConfig;
import dev.pagoda.pool.engine.PoolEngine;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Configures and opens a {@link BufferPool}. Each setter checks its own argument and names it in the exception;
 * {@link #build()} checks how they fit together, then opens the file.
 *
 * {@snippet :
 * try (BufferPool pool = BufferPool.builder()
 *         .file(Path.of("data.pages"))
 *         .pageSize(16 << 10)            // 16 KiB pages
 *         .maxPages(1L << 26)            // up to 1 TiB of file: address space only
 *         .memoryBudget(1L << 30)        // at most 1 GiB of frames resident
 *         .build()) {
 *     // ...
 * }
 * }
 */
public final class BufferPoolBuilder {
    /** The default page size. */
    public static final long DEFAULT_PAGE_SIZE = 16 << 10;
    /** The default memory budget. */
    public static final long DEFAULT_MEMORY_BUDGET = 256L << 20;
    /** The default reach of a pool whose {@link #maxPages(long)} is not set: 1 TiB of file. */
    public static final long DEFAULT_MAX_BYTES = 1L << 40;
    private static final AtomicLong NAMES = new AtomicLong();

    private Path file;
    private long pageSize = DEFAULT_PAGE_SIZE;
    private long maxPages;
    private long memoryBudget = DEFAULT_MEMORY_BUDGET;
    private OsMemory os;
    private boolean directIo;
    private boolean lockFrames;
    private Duration waitLimit = Duration.ofSeconds(10);
    private String name;
    private boolean jmx = true;

    BufferPoolBuilder() {
    }

    /**
     * The file of pages; created if it does not exist. Its length must be a multiple of the page size; page
     * {@code p} is at {@code p × pageSize}. Required.
     *
     * @param path the file
     * @return this builder
     * @throws NullPointerException if {@code path} is null
     */
    public BufferPoolBuilder file(final Path path) {
        this.file = Objects.requireNonNull(path, "path");
        return this;
    }

    /**
     * Bytes per page: a power of two of at least the OS page ({@link OsMemory#pageSize()}, checked by
     * {@link #build()}). 16 KiB by default.
     *
     * @param bytes the page size
     * @return this builder
     * @throws IllegalArgumentException if {@code bytes} is not a positive power of two
     */
    public BufferPoolBuilder pageSize(final long bytes) {
        if (bytes <= 0 || Long.bitCount(bytes) != 1) {
            throw new IllegalArgumentException("pageSize must be a power of two: pageSize=" + bytes);
        }
        this.pageSize = bytes;
        return this;
    }

    /**
     * The most pages the file may grow to. The pool reserves address space for all of them at once, which costs
     * nothing but address space; its page table is mapped as the file grows. By default as many as fill 1 TiB.
     *
     * @param pages a positive number of pages; {@code pages × pageSize} must fit in a {@code long}
     * @return this builder
     * @throws IllegalArgumentException if {@code pages} is not positive
     */
    public BufferPoolBuilder maxPages(final long pages) {
        if (pages <= 0) {
            throw new IllegalArgumentException("maxPages must be positive: maxPages=" + pages);
        }
        this.maxPages = pages;
        return this;
    }

    /**
     * The most memory the resident frames may hold: the pool keeps at most {@code bytes / pageSize} pages resident,
     * evicting by the clock to make room. It must hold at least {@value PoolEngine#MIN_FRAMES} frames (checked by
     * {@link #build()}). The page table (16 bytes a page of the file) is not counted. 256 MiB by default.
     *
     * @param bytes the budget in bytes
     * @return this builder
     * @throws IllegalArgumentException if {@code bytes} is not positive
     */
    public BufferPoolBuilder memoryBudget(final long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("memoryBudget must be positive: memoryBudget=" + bytes);
        }
        this.memoryBudget = bytes;
        return this;
    }

    /**
     * The OS-memory layer the frames come from: {@link OsMemory#system()} by default. On a
     * {@linkplain OsMemory#simulated simulated} layer (for tests of failures) the pool keeps the bytes in real memory
     * of its own and asks the simulation for every transition; see the package documentation.
     *
     * @param osMemory the layer; the pool frees only what it reserves in it
     * @return this builder
     * @throws NullPointerException if {@code osMemory} is null
     */
    public BufferPoolBuilder os(final OsMemory osMemory) {
        this.os = Objects.requireNonNull(osMemory, "osMemory");
        return this;
    }

    /**
     * Whether pages are read and written with {@code O_DIRECT} ({@code ExtendedOpenOption.DIRECT}), bypassing the OS
     * page cache so that a page is cached once, in the pool. The page size must then be a multiple of the file
     * system's block size; a file system that refuses {@code O_DIRECT} makes {@link #build()} throw
     * {@link UnsupportedOperationException}. Off by default.
     *
     * @param on true for direct I/O
     * @return this builder
     */
    public BufferPoolBuilder directIo(final boolean on) {
        this.directIo = on;
        return this;
    }

    /**
     * Whether resident frames are locked in memory ({@code mlock}), so the kernel never swaps them out. The kernel
     * limits what a process may lock ({@code RLIMIT_MEMLOCK}, {@code ulimit -l}, 8 MiB by default) unless it holds
     * {@code CAP_IPC_LOCK}; a load that would pass it fails with an exception that says so. Each locked frame is
     * a mapping of its own to the kernel, so {@code vm.max_map_count} (65,530 by default) also bounds how many
     * frames can be locked at once. Each load then costs an {@code mlock}, and each run of an eviction batch an
     * {@code munlock}. Off by default.
     *
     * @param on true to lock resident frames
     * @return this builder
     */
    public BufferPoolBuilder lockFrames(final boolean on) {
        this.lockFrames = on;
        return this;
    }

    /**
     * How long an operation waits for pages other threads hold before it gives up with an
     * {@link IllegalStateException}: a load when every frame of the budget is fixed, a {@link BufferPool#flush()}
     * for a dirty page held exclusively, {@link BufferPool#close()} for the same (it then closes without writing
     * that page). 10 seconds by default.
     *
     * @param limit a positive duration
     * @return this builder
     * @throws IllegalArgumentException if {@code limit} is not positive
     * @throws NullPointerException     if {@code limit} is null
     */
    public BufferPoolBuilder waitLimit(final Duration limit) {
        Objects.requireNonNull(limit, "limit");
        if (limit.isNegative() || limit.isZero()) {
            throw new IllegalArgumentException("waitLimit must be positive: waitLimit=" + limit);
        }
        this.waitLimit = limit;
        return this;
    }

    /**
     * The pool's name in JMX; by default {@code pool-N}, numbered per process.
     *
     * @param poolName a non-blank name
     * @return this builder
     * @throws IllegalArgumentException if {@code poolName} is blank
     * @throws NullPointerException     if {@code poolName} is null
     */
    public BufferPoolBuilder name(final String poolName) {
        Objects.requireNonNull(poolName, "poolName");
        if (poolName.isBlank()) {
            throw new IllegalArgumentException("name must not be blank: name='" + poolName + "'");
        }
        this.name = poolName;
        return this;
    }

    /**
     * Whether the pool registers a {@link BufferPoolMXBean} while open. On by default.
     *
     * @param on false to stay out of JMX
     * @return this builder
     */
    public BufferPoolBuilder jmx(final boolean on) {
        this.jmx = on;
        return this;
    }

    /**
     * Opens the pool: checks the settings together, opens and locks the file, reserves the address space and maps
     * what the file holds.
     *
     * @return the open pool
     * @throws IllegalStateException         if no file was given, or another pool (of this JVM or another process)
     *                                       has the file open
     * @throws IllegalArgumentException      if the page size is below the OS page, {@code maxPages × pageSize}
     *                                       overflows, the budget holds fewer than {@value PoolEngine#MIN_FRAMES}
     *                                       frames, the file's length is not a multiple of the page size or holds more
     *                                       than {@code maxPages} pages, or the JMX name is taken
     * @throws UnsupportedOperationException if {@code directIo} and the file system refuses {@code O_DIRECT}
     * @throws java.io.UncheckedIOException  if the file cannot be created, opened or read
     * @throws dev.pagoda.os.OsMemoryException if the OS refuses the address space
     */
    public BufferPool build() {
        if (file == null) {
            throw new IllegalStateException("file(path) is required: the pool needs a file of pages");
        }
        final OsMemory memory = os != null ? os : OsMemory.system();
        final long osPage = memory.port().equals("simulated")
                ? Math.max(memory.pageSize(), Platform.current().pageSize()) : memory.pageSize();
        if (pageSize < osPage) {
            throw new IllegalArgumentException("pageSize must be at least the OS page " + osPage + ": pageSize="
                    + pageSize);
        }
        final long pages = maxPages != 0 ? maxPages : Math.max(1, DEFAULT_MAX_BYTES / pageSize);
        if (pages > Long.MAX_VALUE / pageSize) {
            throw new IllegalArgumentException("maxPages × pageSize must fit in a long: maxPages=" + pages
                    + ", pageSize=" + pageSize);
        }
        final long frames = memoryBudget / pageSize;
        if (frames < PoolEngine.MIN_FRAMES) {
            throw new IllegalArgumentException("memoryBudget must hold at least " + PoolEngine.MIN_FRAMES
                    + " frames of pageSize " + pageSize + " (" + PoolEngine.MIN_FRAMES * pageSize + " bytes): "
                    + "memoryBudget=" + memoryBudget);
        }
        final String poolName = name != null ? name : "pool-" + NAMES.incrementAndGet();
        return new BufferPool(new PoolConfig(file, pageSize, pages, frames, memory, directIo, lockFrames,
                waitNanos(), poolName), jmx);
    }

    /** The wait limit in nanoseconds, capped so that a deadline computed from it never overflows. */
    private long waitNanos() {
        final long cap = Long.MAX_VALUE / 4;
        return waitLimit.compareTo(Duration.ofNanos(cap)) > 0 ? cap : waitLimit.toNanos();
    }
}
