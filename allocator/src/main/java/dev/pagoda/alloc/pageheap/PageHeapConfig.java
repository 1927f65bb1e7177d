package dev.pagoda.alloc.pageheap;

import dev.pagoda.alloc.HugePagePolicy;
import dev.pagoda.os.OsMemory;

import java.util.Objects;

/**
 * The settings a {@link PageHeapEngine} is built with, as the public builder collected them.
 *
 * @param os          the OS layer the heap runs on
 * @param pageSize    the heap's page size, a power of two at least the OS page
 * @param arenaBytes  the size of each arena of reserved address space
 * @param budget      the address space the heap may reserve in all
 * @param zeroing     whether memory is zeroed before it is handed out
 * @param name        the heap's name, or null for a generated one
 * @param hugePages   the huge-page policy asked for
 * @param memoryLimit the hard limit on Ready bytes, {@link Long#MAX_VALUE} for none
 * @param guardPages  whether large runs get guard pages
 * @param pageCaches  whether platform threads get page caches
 */
public record PageHeapConfig(OsMemory os, long pageSize, long arenaBytes, long budget, boolean zeroing, String name,
                             HugePagePolicy hugePages, long memoryLimit, boolean guardPages, boolean pageCaches) {
    /**
     * Checks that the OS layer and the policy are given.
     *
     * @throws NullPointerException if one is null
     */
    public PageHeapConfig {
        Objects.requireNonNull(os, "os");
        Objects.requireNonNull(hugePages, "hugePages");
    }
}
