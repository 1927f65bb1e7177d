package dev.pagoda.os;

import dev.pagoda.os.libc.Errno;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link OsMemory#unused(long[], long[], int)}: a batch of scattered releases, on the real kernel and the simulation. */
class BatchUnusedTest {
    private static final long CHUNK = 64L << 10;

    @Test
    @SuppressWarnings("restricted")
    void shouldReleaseEveryRangeOfABatchAndLeaveTheOthersResident() {
        final OsMemory os = OsMemory.system();
        final long page = os.pageSize();
        final long bytes = 16 * CHUNK;
        final long base = os.reserve(bytes);
        try {
            os.map(base, bytes);
            os.used(base, bytes);
            final MemorySegment all = MemorySegment.ofAddress(base).reinterpret(bytes);
            for (long o = 0; o < bytes; o += page) {
                all.set(JAVA_LONG, o, o + 1);
            }
            // Every other chunk, and one run of two adjacent chunks, in one call.
            final long[] addresses = {base, base + 2 * CHUNK, base + 4 * CHUNK, base + 8 * CHUNK};
            final long[] lengths = {CHUNK, CHUNK, 2 * CHUNK, CHUNK};
            os.unused(addresses, lengths, addresses.length);

            long released = 0;
            for (int i = 0; i < addresses.length; i++) {
                assertEquals(MemState.PREPARED, os.stateOf(addresses[i]));
                assertEquals(lengths[i], os.bytesIn(addresses[i], lengths[i], MemState.PREPARED));
                assertEquals(0, Platform.current().residency(addresses[i], lengths[i]).residentPages(),
                        "range " + i + " must have left memory");
                released += lengths[i];
            }
            assertEquals(MemState.READY, os.stateOf(base + CHUNK));
            assertEquals(MemState.READY, os.stateOf(base + 3 * CHUNK));
            assertEquals(bytes - released, os.stats().readyBytes());
            assertEquals(released, os.stats().preparedBytes());
            for (long o = 0; o < bytes; o += page) {
                final boolean gone = inside(o, base, addresses, lengths);
                assertEquals(gone ? 0 : o + 1, all.get(JAVA_LONG, o), "word at offset " + o);
            }
        } finally {
            os.free(base, bytes);
        }
    }

    private static boolean inside(final long offset, final long base, final long[] addresses, final long[] lengths) {
        for (int i = 0; i < addresses.length; i++) {
            if (base + offset >= addresses[i] && base + offset < addresses[i] + lengths[i]) {
                return true;
            }
        }
        return false;
    }

    @Test
    void shouldReleaseTheRangesBeforeARefusalAndKeepTheRest() {
        final Simulation sim = Simulation.builder().build();
        final OsMemory os = OsMemory.simulated(sim);
        final long base = os.reserve(8 * CHUNK);
        os.map(base, 8 * CHUNK);
        os.used(base, 8 * CHUNK);
        final long[] addresses = new long[5];
        final long[] lengths = new long[5];
        for (int i = 0; i < 5; i++) {
            addresses[i] = base + (long) i * CHUNK;
            lengths[i] = CHUNK;
        }
        sim.failNth(Operation.UNUSED, 3, Errno.EAGAIN);

        final OsMemoryException e = assertThrows(OsMemoryException.class,
                () -> os.unused(addresses, lengths, 5));
        assertEquals(addresses[2], e.address(), "the exception names the first range not released");
        assertEquals(Errno.EAGAIN, e.errno());
        for (int i = 0; i < 5; i++) {
            assertEquals(i < 2 ? MemState.PREPARED : MemState.READY, os.stateOf(addresses[i]), "range " + i);
        }
        assertEquals(2 * CHUNK, os.stats().preparedBytes());
        assertEquals(6 * CHUNK, os.stats().readyBytes());

        // The layer stays consistent: the rest goes back in a second batch.
        os.unused(new long[] {addresses[2], addresses[3], addresses[4]}, new long[] {CHUNK, CHUNK, CHUNK}, 3);
        assertEquals(5 * CHUNK, os.stats().preparedBytes());
        os.free(base, 8 * CHUNK);
        assertEquals(0, os.stats().reservedBytes() + os.stats().preparedBytes() + os.stats().readyBytes());
    }

    @Test
    void shouldCheckEveryRangeBeforeAnyCall() {
        final Simulation sim = Simulation.builder().build();
        final OsMemory os = OsMemory.simulated(sim);
        final long base = os.reserve(4 * CHUNK);
        os.map(base, 4 * CHUNK);
        os.used(base, 2 * CHUNK); // chunks 2 and 3 stay Prepared
        final long before = sim.calls(Operation.UNUSED);

        final IllegalStateException notReady = assertThrows(IllegalStateException.class,
                () -> os.unused(new long[] {base, base + 2 * CHUNK}, new long[] {CHUNK, CHUNK}, 2));
        assertTrue(notReady.getMessage().contains("PREPARED"), notReady.getMessage());
        assertEquals(before, sim.calls(Operation.UNUSED), "no call before every range is checked");
        assertEquals(MemState.READY, os.stateOf(base));

        os.lock(base + CHUNK, CHUNK);
        assertThrows(IllegalStateException.class,
                () -> os.unused(new long[] {base, base + CHUNK}, new long[] {CHUNK, CHUNK}, 2));
        assertEquals(MemState.READY, os.stateOf(base));
        os.unlock(base + CHUNK, CHUNK);
        os.free(base, 4 * CHUNK);
    }

    @Test
    void shouldRefuseBadArgumentsNamingTheRule() {
        final OsMemory os = OsMemory.simulated();
        final long base = os.reserve(4 * CHUNK);
        os.map(base, 4 * CHUNK);
        os.used(base, 4 * CHUNK);
        final IllegalArgumentException overlap = assertThrows(IllegalArgumentException.class,
                () -> os.unused(new long[] {base, base + CHUNK / 2}, new long[] {CHUNK, CHUNK}, 2));
        assertTrue(overlap.getMessage().contains("ascend without overlapping"), overlap.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> os.unused(new long[] {base + CHUNK, base}, new long[] {CHUNK, CHUNK}, 2));
        final IllegalArgumentException count = assertThrows(IllegalArgumentException.class,
                () -> os.unused(new long[] {base}, new long[] {CHUNK}, 2));
        assertTrue(count.getMessage().contains("count"), count.getMessage());
        assertThrows(IllegalArgumentException.class, () -> os.unused(new long[] {base + 1}, new long[] {CHUNK}, 1));
        assertThrows(NullPointerException.class, () -> os.unused(null, new long[] {CHUNK}, 1));
        os.unused(new long[0], new long[0], 0); // nothing to do
        assertEquals(4 * CHUNK, os.stats().readyBytes());
        os.free(base, 4 * CHUNK);
    }
}
