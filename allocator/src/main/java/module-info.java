/**
 * Pagoda's allocator: a page heap built on the OS-memory layer, after the Go runtime's {@code mheap} and
 * {@code pageAlloc}, and the general-purpose {@code Heap} on top of it. Users need one package,
 * {@code dev.pagoda.alloc}: {@code Heap}, {@code PageHeap}, their builders, the policies, statistics and errors. The
 * engine lives in packages by concept ({@code pagealloc}, {@code pageheap}, {@code small}, {@code scavenge},
 * {@code monitor}, {@code events}), which this module does not export to users.
 *
 * <p>agrona ({@code org.agrona}) is optional: only {@code AgronaViews} uses it, and a module that calls it
 * requires {@code org.agrona} itself.
 */
@SuppressWarnings("requires-automatic")
module dev.pagoda.alloc {
    requires transitive dev.pagoda.os;
    requires static org.agrona;
    requires jdk.jfr;
    requires java.management;

    // The API: what a user calls or receives.
    exports dev.pagoda.alloc;
    // The engine, for the verify module's models and properties only (bench runs on the class path, where
    // nothing is encapsulated).
    exports dev.pagoda.alloc.pagealloc to dev.pagoda.verify;
    exports dev.pagoda.alloc.small to dev.pagoda.verify;
}
