package dev.pagoda.alloc.pageheap;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Pagoda's own access to a heap's memory: zeroing what it hands out, copying on {@code reallocate}, poisoning and
 * checking freed objects in debug mode. Every such access goes through one segment over all of memory whose scope
 * is a shared JDK {@link Arena} owned by the heap, never through a global segment, because a user may close the
 * heap while another thread is inside {@code allocate} or {@code reallocate}.
 *
 * <p>{@link #close()} closes that arena before the heap unmaps anything. Closing a shared arena is the JDK's
 * answer to the same problem for its own segments: a handshake with every thread, after which no thread is
 * inside an access through the arena's segments, and every later access fails with the JDK's
 * {@link IllegalStateException}. A thread that a close catches in the middle of zeroing gets that exception
 * instead of a write to unmapped memory. The price on the fast path is the session check the JDK makes on every
 * access (a field read, hoisted out of loops); the price of closing is the handshake, some tens of microseconds.
 *
 * <p>Zeroing: measured on JDK 25 ({@code bench}'s {@code ZeroFillBenchmark}), from one page up a counted loop of
 * 8-byte stores, which C2 unrolls and vectorises, runs about twice as fast as {@link MemorySegment#fill}, whose
 * native routine wins only for small blocks.
 */
public final class HeapMemory {
    /** Below this, {@code fill}; from it, the store loop. */
    private static final long LOOP_FROM = 4096;

    private final Arena session = Arena.ofShared();
    private final MemorySegment memory;

    @SuppressWarnings("restricted")
    HeapMemory() {
        this.memory = MemorySegment.NULL.reinterpret(Long.MAX_VALUE, session, null);
    }

    /**
     * Zeroes {@code [address, address + bytes)}; both multiples of 8 when {@code bytes >= 4096}.
     *
     * @throws IllegalStateException if the heap was closed meanwhile
     */
    public void zero(final long address, final long bytes) {
        final MemorySegment m = memory;
        if (bytes < LOOP_FROM) {
            m.asSlice(address, bytes).fill((byte) 0);
            return;
        }
        for (long off = 0; off < bytes; off += Long.BYTES) {
            m.set(ValueLayout.JAVA_LONG_UNALIGNED, address + off, 0L);
        }
    }

    /**
     * Copies {@code bytes} from {@code from} to {@code to}.
     *
     * @throws IllegalStateException if the heap was closed meanwhile
     */
    public void copy(final long from, final long to, final long bytes) {
        MemorySegment.copy(memory, from, memory, to, bytes);
    }

    /** The segment over all memory, valid while the heap is open: for debug mode's poison and checks. */
    public MemorySegment segment() {
        return memory;
    }

    /**
     * Ends every access: returns once no thread is inside one, and fails every later one. Idempotent.
     */
    void close() {
        if (session.scope().isAlive()) {
            try {
                session.close();
            } catch (final IllegalStateException closedMeanwhile) {
                // another thread closed it first: nothing to do
            }
        }
    }
}
