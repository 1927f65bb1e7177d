package dev.pagoda.alloc;

import dev.pagoda.os.OsMemory;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs larger than an arena: each gets a dedicated reservation, mapped and made Ready at once (so it reads as
 * zero), and unmapped when freed, as Go does for huge spans that could not fit an arena. They are rare and
 * large, so a concurrent map from address to size is plenty.
 */
final class LargeRuns {
    private final OsMemory os;
    private final ConcurrentHashMap<Long, Long> runs = new ConcurrentHashMap<>();

    LargeRuns(final OsMemory os) {
        this.os = os;
    }

    /** Reserves, maps and readies {@code bytes} at a multiple of {@code alignment}; undoes everything on failure. */
    long allocate(final long bytes, final long alignment) {
        final long address = os.reserveAligned(bytes, alignment);
        try {
            os.map(address, bytes);
            os.used(address, bytes);
        } catch (final RuntimeException e) {
            os.free(address, bytes);
            throw e;
        }
        runs.put(address, bytes);
        return address;
    }

    /** Unmaps the run at {@code address}; returns its size, or -1 if no large run starts there. */
    long free(final long address) {
        final Long bytes = runs.remove(address);
        if (bytes == null) {
            return -1;
        }
        os.free(address, bytes);
        return bytes;
    }

    /** The size of the run at {@code address}, or -1. */
    long size(final long address) {
        final Long bytes = runs.get(address);
        return bytes == null ? -1 : bytes;
    }

    long bytes() {
        long sum = 0;
        for (final long b : runs.values()) {
            sum += b;
        }
        return sum;
    }

    int count() {
        return runs.size();
    }

    /** Unmaps every run (heap close). */
    void freeAll() {
        for (final var e : runs.entrySet()) {
            os.free(e.getKey(), e.getValue());
        }
        runs.clear();
    }
}
