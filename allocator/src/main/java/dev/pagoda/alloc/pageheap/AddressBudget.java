package dev.pagoda.alloc.pageheap;

import dev.pagoda.alloc.PagodaOutOfMemoryError;
import dev.pagoda.os.OsOutOfMemoryException;

/**
 * The address-space budget of a {@code PageHeap}: how much it may reserve, arenas and large runs together, and
 * how much it holds. Charged before a reservation, refunded after an unmap or a failed reservation; its own
 * monitor guards it, so it is never a reason to hold the heap lock.
 */
final class AddressBudget {
    private final long limit;
    private long used;

    AddressBudget(final long limit) {
        this.limit = limit;
    }

    /** Takes {@code bytes} from the budget, or throws {@link PagodaOutOfMemoryError} and takes nothing. */
    synchronized void charge(final long bytes) {
        if (bytes > limit - used) {
            throw new PagodaOutOfMemoryError("address-space budget", bytes, limit, used, null);
        }
        used += bytes;
    }

    synchronized void refund(final long bytes) {
        used -= bytes;
    }

    synchronized long used() {
        return used;
    }

    /** Turns {@code ENOMEM} from the OS into {@link PagodaOutOfMemoryError}; rethrows anything else. */
    PagodaOutOfMemoryError outOfMemory(final long bytes, final RuntimeException e) {
        if (e instanceof OsOutOfMemoryException) {
            return new PagodaOutOfMemoryError("the OS refused memory (ENOMEM); address-space budget", bytes, limit,
                    used(), e);
        }
        throw e;
    }
}
