package dev.pagoda.bench.vmcache;

/**
 * A file of fixed-size pages as the benchmarks access it, one implementation per peer ({@link Peer}). A read
 * takes the page for reading (a shared fix where the peer has one) and sums one 8-byte word at every 4 KiB of it,
 * touching each OS page of the page as a search in a node would touch a few cache lines; an update takes the page
 * exclusively, writes one word and marks the page dirty. Implementations are thread-safe, and their read and update
 * allocate nothing on the Java heap once the page is resident.
 */
public interface PageStore extends AutoCloseable {
    /** The stride of the words a read sums: one word per OS page of a page. */
    long READ_STRIDE = 4096;
    /** The offset in a page of the word an update writes; word 0 keeps the page's id as the file was made. */
    long UPDATE_OFFSET = 8;

    /**
     * Reads page {@code pid}: the sum of the words at every {@link #READ_STRIDE} bytes of it.
     *
     * @param pid the page id
     * @return the sum
     */
    long read(long pid);

    /**
     * Updates page {@code pid}: takes it exclusively, writes {@code value} at {@link #UPDATE_OFFSET}, marks it dirty.
     *
     * @param pid   the page id
     * @param value the word to write
     */
    void update(long pid, long value);

    /**
     * The memory this store holds for pages by its own count: frames in use for the pools, the mapping's resident
     * pages ({@code mincore}) for the mapped file, nothing for the read-per-access peer.
     *
     * @return bytes
     */
    long heldBytes();

    /** Writes dirty pages back where the peer keeps any, and frees everything. */
    @Override
    void close();
}
