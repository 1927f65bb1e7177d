package dev.pagoda.pool;

import dev.pagoda.os.Residency;
import dev.pagoda.pool.engine.PoolConfig;
import dev.pagoda.pool.engine.PoolEngine;
import dev.pagoda.pool.engine.PoolMonitor;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * A buffer pool over a file of fixed-size pages, after vmcache: page {@code pid} always lives at offset
 * {@code pid × pageSize} of one reservation of virtual memory ({@link #frames()}), resident or not, so no table
 * translates page ids to frames; a page is read into its frame on a miss and the frame given back to the OS when the
 * clock evicts it, and the resident frames never exceed the memory budget. See the
 * {@linkplain dev.pagoda.pool package documentation} for the design.
 *
 * {@snippet :
 * try (BufferPool pool = BufferPool.builder().file(path).pageSize(16 << 10).maxPages(n).memoryBudget(bytes).build()) {
 *     long pid = pool.allocatePage();               // the file grows by a zeroed page
 *     MemorySegment frames = pool.frames();
 *
 *     long off = pool.fixExclusive(pid);            // read and write
 *     frames.set(ValueLayout.JAVA_LONG, off, 42L);
 *     pool.markDirty(pid);
 *     pool.unfixExclusive(pid);
 *
 *     long off2 = pool.fixShared(pid);              // read, with other readers
 *     long v = frames.get(ValueLayout.JAVA_LONG, off2);
 *     pool.unfixShared(pid);
 *
 *     long w = pool.readOptimistic(pid, (f, o) -> f.get(ValueLayout.JAVA_LONG, o));   // no lock at all
 *     pool.flush();                                 // every dirty page to the file
 * }                                                 // close(): flush, then free everything
 * }
 *
 * <p><b>Access.</b> Every page has a 64-bit state word: {@link #fixExclusive} gives one holder the page,
 * {@link #fixShared} gives it to any number of readers, and {@link #readOptimistic} runs a reader with no lock and
 * runs it again if a writer or an eviction came between. A fix returns the page's offset into {@link #frames()};
 * the page stays resident until its last fix ends. The holder of an exclusive fix calls {@link #markDirty} if it
 * changed the page, so that it is written back before its frame is reused. Fixes are not reentrant: a thread that
 * fixes a page it holds exclusively, or fixes exclusively a page it holds shared, waits for itself forever, as with
 * any lock. A fix that hits a resident page is a compare-and-set of the state word and allocates nothing; a miss
 * reads the page from the file ({@code pread} into the frame) and may first evict a batch.
 *
 * <p><b>Durability.</b> {@link #flush()} writes every dirty page to the file, and {@link #close()} does so before it
 * frees the memory, so a pool opened again on the file sees every change made under an exclusive fix that was
 * marked dirty and ended before the flush or close. Writes go to the file ({@code pwrite}), not to the device: call
 * {@code FileChannel.force} yourself, or rely on the OS, for durability across a power cut.
 *
 * <p><b>Safety.</b> Page ids out of range, unfixes without a fix, fixes after close, and bad settings are refused
 * with exceptions that name the rule; a refused call changes nothing. {@link #frames()} is scoped to the pool: after
 * {@link #close()} every access through it throws {@link IllegalStateException} rather than touching freed memory,
 * whatever the order of threads. A page's bytes are safe to use only while the caller holds a fix on it (or inside a
 * {@link PageReader}, whose result counts only if validated): the pool does not stop a thread from reading a frame it
 * has not fixed, which may see another page's bytes being loaded, or zeros.
 *
 * <p><b>Threads.</b> All methods are thread-safe. Eviction runs in the thread that needs a frame, one batch at a
 * time; nothing runs in the background.
 */
public final class BufferPool implements AutoCloseable {
    private final PoolEngine engine;
    private final PoolMonitor monitor;

    BufferPool(final PoolConfig config, final boolean jmx) {
        this.engine = PoolEngine.open(config);
        if (!jmx) {
            this.monitor = null;
            return;
        }
        try {
            this.monitor = PoolMonitor.register(engine);
        } catch (final RuntimeException e) {
            try {
                engine.close();
            } catch (final RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * A builder with the defaults: 16 KiB pages, up to 1 TiB of file, a 256 MiB memory budget, the OS port for this
     * system, buffered I/O, frames not locked, JMX on.
     *
     * @return a new builder; {@link BufferPoolBuilder#file(Path)} is required
     */
    public static BufferPoolBuilder builder() {
        return new BufferPoolBuilder();
    }

    /**
     * Appends a zeroed page to the file and returns its id, the previous {@link #pageCount()}. The page is written to
     * the file at once (so the file's length is always {@code pageCount × pageSize}) and is not resident until fixed.
     *
     * @return the new page's id
     * @throws IllegalStateException        if the pool holds {@code maxPages} pages already, or is closed
     * @throws java.io.UncheckedIOException if the file cannot be extended; the page count is unchanged
     * @throws dev.pagoda.os.OsMemoryException if the OS refuses to map more of the reservation; nothing changed
     */
    public long allocatePage() {
        return engine.allocatePage();
    }

    /**
     * Fixes page {@code pid} for reading and writing: waits until no other thread holds it, loads it if it is not
     * resident, and returns its offset into {@link #frames()}. End with {@link #unfixExclusive}.
     *
     * @param pid the page id, in {@code [0, pageCount())}
     * @return {@code pid × pageSize}
     * @throws IllegalArgumentException     if {@code pid} is out of range
     * @throws IllegalStateException        if the pool is closed, or a miss found every frame of the budget fixed
     *                                      for the wait limit
     * @throws java.io.UncheckedIOException if a miss cannot read the page, or the eviction it ran cannot write one
     * @throws dev.pagoda.os.OsMemoryException if the OS refuses a transition of the miss (making the frame Ready,
     *                                      locking it, giving evicted frames back); the page stays where it was
     */
    public long fixExclusive(final long pid) {
        return engine.fixExclusive(pid);
    }

    /**
     * Ends an exclusive fix. The page's version moves on, so optimistic readers that overlapped the fix read again.
     *
     * @param pid the page id
     * @throws IllegalArgumentException if {@code pid} is out of range
     * @throws IllegalStateException    if the page is not fixed exclusively, or the pool is closed
     */
    public void unfixExclusive(final long pid) {
        engine.unfixExclusive(pid);
    }

    /**
     * Fixes page {@code pid} for reading, alongside other readers: waits while a thread holds it exclusively, loads
     * it if it is not resident, and returns its offset into {@link #frames()}. End with {@link #unfixShared}.
     *
     * @param pid the page id, in {@code [0, pageCount())}
     * @return {@code pid × pageSize}
     * @throws IllegalArgumentException     if {@code pid} is out of range
     * @throws IllegalStateException        if the pool is closed, or a miss found every frame fixed for the wait
     *                                      limit
     * @throws java.io.UncheckedIOException if a miss cannot read the page, or the eviction it ran cannot write one
     * @throws dev.pagoda.os.OsMemoryException if the OS refuses a transition of the miss
     */
    public long fixShared(final long pid) {
        return engine.fixShared(pid);
    }

    /**
     * Ends a shared fix.
     *
     * @param pid the page id
     * @throws IllegalArgumentException if {@code pid} is out of range
     * @throws IllegalStateException    if the page is not fixed shared, or the pool is closed
     */
    public void unfixShared(final long pid) {
        engine.unfixShared(pid);
    }

    /**
     * Records that the caller changed page {@code pid}, which it holds exclusively: the page is written to the file
     * before its frame is reused, and by the next {@link #flush()} or {@link #close()}.
     *
     * @param pid the page id
     * @throws IllegalArgumentException if {@code pid} is out of range
     * @throws IllegalStateException    if the page is not fixed exclusively, or the pool is closed
     */
    public void markDirty(final long pid) {
        engine.markDirty(pid);
    }

    /**
     * Reads page {@code pid} without fixing it: runs {@code reader} on the resident page, then checks that no
     * exclusive fix and no eviction came between, and runs it again until one run was undisturbed. A page that is
     * not resident is loaded and read under a shared fix instead. Allocates nothing when the page is resident.
     *
     * @param pid    the page id, in {@code [0, pageCount())}
     * @param reader reads the page; see {@link PageReader} for what it must tolerate
     * @return the result of the validated run
     * @throws IllegalArgumentException if {@code pid} is out of range
     * @throws IllegalStateException    if the pool is closed
     * @throws RuntimeException         what {@code reader} threw in a run that saw the page stable, or what a load
     *                                  throws
     */
    public long readOptimistic(final long pid, final PageReader reader) {
        return engine.readOptimistic(pid, reader);
    }

    /**
     * The segment over the whole reservation: page {@code pid} at {@code pid × pageSize}. Scoped to the pool: after
     * {@link #close()} every access throws {@link IllegalStateException}. Bounds-checked against the reservation,
     * not against what is resident: use it at the offsets fixes return, while the fix lasts.
     *
     * @return the frames
     */
    public MemorySegment frames() {
        return engine.frames();
    }

    /**
     * Writes every dirty page to the file. A dirty page another thread holds exclusively is waited for, up to the
     * wait limit; a thread that holds an exclusive fix must therefore not call this.
     *
     * @return the pages written
     * @throws IllegalStateException        if the pool is closed, or a dirty page stayed fixed exclusively for the
     *                                      wait limit
     * @throws java.io.UncheckedIOException if a write fails; that page stays dirty
     */
    public long flush() {
        return engine.flush();
    }

    /**
     * Closes the pool: refuses new fixes, waits for loads, evictions and flushes in flight, writes every dirty page
     * back, then frees the frames and the page table, unlocks and closes the file and leaves JMX. Fixes still held
     * may end while the dirty pages are written (their pages are written after); every access after that throws
     * {@link IllegalStateException}. Idempotent.
     *
     * @throws IllegalStateException        if a dirty page stayed fixed exclusively for the wait limit, and so was
     *                                      not written back; the pool is closed all the same
     * @throws java.io.UncheckedIOException if a write or closing the file fails; the pool is closed all the same
     */
    @Override
    public void close() {
        try {
            engine.close();
        } finally {
            if (monitor != null) {
                monitor.unregister();
            }
        }
    }

    /**
     * The pool's figures: hits, misses, reads, writes, evictions, resident and dirty pages.
     *
     * @return a snapshot; see {@link BufferPoolStats} for how exact it is
     */
    public BufferPoolStats stats() {
        return engine.stats();
    }

    /**
     * Which pages of the frames the kernel holds in memory now, by {@code mincore(2)}: the measurement behind the
     * pool's own count in {@link #stats()}. Pages are the system's ({@link dev.pagoda.os.Platform#pageSize()}), and
     * the range is the mapped part of the reservation.
     *
     * @return the residency
     * @throws IllegalStateException if the pool is closed
     */
    public Residency residency() {
        return engine.residency();
    }

    /**
     * Which pages of the frames of pages {@code [firstPid, firstPid + count)} the kernel holds in memory now, by
     * {@code mincore(2)}.
     *
     * @param firstPid the first page id
     * @param count    how many pages
     * @return the residency, in the system's pages
     * @throws IllegalArgumentException if the range does not lie in {@code [0, pageCount())}
     * @throws IllegalStateException    if the pool is closed
     */
    public Residency residency(final long firstPid, final long count) {
        return engine.residency(firstPid, count);
    }

    /**
     * Bytes per page.
     *
     * @return the page size
     */
    public long pageSize() {
        return engine.config().pageSize();
    }

    /**
     * Pages in the file: valid page ids are {@code [0, pageCount())}.
     *
     * @return the page count
     */
    public long pageCount() {
        return engine.pageCount();
    }

    /**
     * The most pages the file may grow to.
     *
     * @return the page limit
     */
    public long maxPages() {
        return engine.config().maxPages();
    }

    /**
     * The most memory resident frames hold at once.
     *
     * @return the budget, a whole number of pages
     */
    public long memoryBudget() {
        return engine.budgetFrames() * pageSize();
    }

    /**
     * The most frames one eviction batch frees: the pool's own count of resident frames never passes the budget, and
     * the kernel's ({@code mincore}) may pass it by at most this while a batch is under way.
     *
     * @return the batch size in pages
     */
    public int evictionBatch() {
        return engine.evictionBatch();
    }

    /**
     * The file of pages.
     *
     * @return its path
     */
    public Path file() {
        return engine.config().file();
    }

    /**
     * The pool's name, also its JMX name.
     *
     * @return the name
     */
    public String name() {
        return engine.config().name();
    }

    /**
     * Whether {@link #close()} has begun.
     *
     * @return true once closing or closed
     */
    public boolean isClosed() {
        return engine.isClosed();
    }

    @Override
    public String toString() {
        return "BufferPool[" + name() + ", " + file() + ", " + stats() + "]";
    }
}
