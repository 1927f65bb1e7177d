package dev.pagoda.bench.vmcache;

import java.nio.file.Path;
import java.util.Arrays;

/** The buffer pool and its peers, as the benchmarks name them. */
public enum Peer {
    /** Pagoda's vmcache {@code BufferPool}, reads under a shared fix. */
    PAGODA("pagoda"),
    /** Pagoda's vmcache {@code BufferPool}, reads through {@code readOptimistic}. */
    PAGODA_OPTIMISTIC("pagodaOptimistic"),
    /** The classic hash-table buffer pool ({@link HashTablePool}). */
    HASH_TABLE("hashTable"),
    /** The file mapped into a {@code MemorySegment}: the OS page cache. */
    MAPPED("mapped"),
    /** A {@code FileChannel.read} per access into a reused buffer. */
    PREAD("pread");

    private final String label;

    Peer(final String label) {
        this.label = label;
    }

    /**
     * The name in benchmark methods ({@code t1_hashTable}) and on the command line.
     *
     * @return for example {@code "hashTable"}
     */
    public String label() {
        return label;
    }

    /**
     * The peer of a label.
     *
     * @param label a {@link #label()}, case ignored
     * @return the peer
     * @throws IllegalArgumentException if no peer has that label
     */
    public static Peer ofLabel(final String label) {
        for (final Peer p : values()) {
            if (p.label.equalsIgnoreCase(label)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown peer '" + label + "', expected one of "
                + Arrays.stream(values()).map(Peer::label).toList());
    }

    /**
     * Opens this peer on a file of pages made by {@link DataFile#create}.
     *
     * @param file        the file
     * @param pageSize    bytes per page
     * @param pages       pages in the file
     * @param budgetBytes the memory budget of the pools; the mapped file and the reads per access have none
     * @return the store
     */
    public PageStore open(final Path file, final long pageSize, final long pages, final long budgetBytes) {
        return switch (this) {
            case PAGODA -> new VmcacheStore(file, pageSize, pages, budgetBytes, false);
            case PAGODA_OPTIMISTIC -> new VmcacheStore(file, pageSize, pages, budgetBytes, true);
            case HASH_TABLE -> new HashTablePool(file, pageSize, pages, budgetBytes);
            case MAPPED -> new MappedFileStore(file, pageSize, pages);
            case PREAD -> new PreadStore(file, pageSize);
        };
    }

    @Override
    public String toString() {
        return label;
    }
}
