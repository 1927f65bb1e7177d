package dev.pagoda.pool.engine;

import dev.pagoda.os.OsMemory;

import java.nio.file.Path;

/**
 * A pool's settings, checked by the builder before the engine sees them.
 *
 * @param file         the file of pages
 * @param pageSize     bytes per page, a power of two of at least the OS page
 * @param maxPages     the most pages the file may grow to
 * @param budgetFrames the most frames resident at once, at least {@link PoolEngine#MIN_FRAMES}
 * @param os           the OS-memory layer the frames come from
 * @param directIo     whether transfers use {@code O_DIRECT}
 * @param lockFrames   whether resident frames are locked in memory ({@code mlock})
 * @param waitNanos    how long an operation waits for pages other threads hold before it gives up
 * @param name         the pool's name (JMX)
 */
public record PoolConfig(Path file, long pageSize, long maxPages, long budgetFrames, OsMemory os, boolean directIo,
                         boolean lockFrames, long waitNanos, String name) {
}
