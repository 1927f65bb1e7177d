package dev.pagoda.bench.vmcache;

import dev.pagoda.os.Platform;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The OS page cache as the buffer pool: the whole file mapped shared and read-write with
 * {@link FileChannel#map(FileChannel.MapMode, long, long, Arena)} into one {@link MemorySegment}. A read or an update
 * is a plain access at {@code pid × pageSize}; there is no latch (two updates of one page may interleave, as with any
 * unlatched mapping), the kernel loads pages on faults, writes dirty ones back when it likes and evicts under memory
 * pressure only: no budget bounds what it keeps.
 */
final class MappedFileStore implements PageStore {
    private final Arena arena = Arena.ofShared();
    private final MemorySegment file;
    private final long pageSize;

    MappedFileStore(final Path path, final long pageSize, final long pages) {
        this.pageSize = pageSize;
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            this.file = channel.map(FileChannel.MapMode.READ_WRITE, 0, pages * pageSize, arena);
        } catch (final IOException e) {
            arena.close();
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public long read(final long pid) {
        return Words.sum(file, pid * pageSize, pageSize);
    }

    @Override
    public void update(final long pid, final long value) {
        file.set(JAVA_LONG, pid * pageSize + UPDATE_OFFSET, value);
    }

    /**
     * The mapping's resident pages, by {@code mincore}: for a file mapping that is the file's pages in the OS page
     * cache, whether this process touched them or not.
     */
    @Override
    public long heldBytes() {
        final Platform platform = Platform.current();
        return platform.residency(file).residentPages() * platform.pageSize();
    }

    @Override
    public void close() {
        arena.close();
    }
}
