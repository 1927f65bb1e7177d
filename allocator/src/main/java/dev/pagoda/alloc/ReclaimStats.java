package dev.pagoda.alloc;

/**
 * What a heap's {@link Reclaimer}s did: eviction before failure at the memory limit. Counted since the heap was built;
 * part of {@link PageHeapStats#reclaims()}.
 *
 * @param reclaimers         reclaimers registered now
 * @param rounds             rounds run: each asks the reclaimers in turn for the bytes an allocation lacked
 * @param reclaimerCalls     calls of a reclaimer
 * @param bytesWanted        bytes the rounds asked for
 * @param bytesReclaimed     bytes the reclaimers reported freed
 * @param reclaimerFailures  calls that threw or returned a negative count
 * @param allocationsRescued allocations that met the limit, ran or waited for a round, and then succeeded
 * @param allocationsFailed  allocations that met the limit, ran or waited for rounds, and still failed with
 *                           {@link PagodaOutOfMemoryError}
 * @param waits              times an allocation waited for another thread's round instead of running its own
 */
public record ReclaimStats(long reclaimers, long rounds, long reclaimerCalls, long bytesWanted, long bytesReclaimed,
                           long reclaimerFailures, long allocationsRescued, long allocationsFailed, long waits) {
}
