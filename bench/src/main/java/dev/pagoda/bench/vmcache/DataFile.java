package dev.pagoda.bench.vmcache;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The file of pages the peers share: word 0 of page {@code p} holds {@code p}, every other word at a 4 KiB stride
 * holds {@code p} too, the rest is zero. Written once per run with buffered writes (so it starts in the page cache).
 */
public final class DataFile {
    private static final int CHUNK = 1 << 20;

    private DataFile() {
    }

    /**
     * Creates the file in a directory, replacing any of the same name.
     *
     * @param dir      the directory (created if missing); not a tmpfs, so that the file is a real file's pages
     * @param name     the file's name
     * @param pages    pages
     * @param pageSize bytes per page, a power of two up to 1 MiB
     * @return the file
     * @throws IOException if it cannot be written
     */
    public static Path create(final Path dir, final String name, final long pages, final long pageSize)
            throws IOException {
        if (Long.bitCount(pageSize) != 1 || pageSize > CHUNK || pageSize < PageStore.READ_STRIDE) {
            throw new IllegalArgumentException("pageSize=" + pageSize);
        }
        Files.createDirectories(dir);
        final Path file = dir.resolve(name);
        final ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK).order(ByteOrder.nativeOrder());
        final long pagesPerChunk = CHUNK / pageSize;
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (long first = 0; first < pages; first += pagesPerChunk) {
                final long n = Math.min(pagesPerChunk, pages - first);
                chunk.clear();
                for (long i = 0; i < n; i++) {
                    for (long o = 0; o < pageSize; o += PageStore.READ_STRIDE) {
                        chunk.putLong((int) (i * pageSize + o), first + i);
                    }
                }
                chunk.limit((int) (n * pageSize));
                while (chunk.hasRemaining()) {
                    out.write(chunk, first * pageSize + chunk.position());
                }
            }
        }
        return file;
    }

    /**
     * The directory the benchmarks put their files in: {@code -Dpagoda.bench.dir}, else {@code java.io.tmpdir}.
     *
     * @return the directory
     */
    public static Path directory() {
        return Path.of(System.getProperty("pagoda.bench.dir", System.getProperty("java.io.tmpdir")));
    }
}
