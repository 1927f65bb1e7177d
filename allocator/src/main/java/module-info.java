/**
 * Pagoda's allocator: a page heap built on the OS-memory layer, after the Go runtime's {@code mheap} and
 * {@code pageAlloc}.
 */
module dev.pagoda.alloc {
    requires transitive dev.pagoda.os;

    exports dev.pagoda.alloc;
}
