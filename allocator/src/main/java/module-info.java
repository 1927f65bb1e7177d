/**
 * Pagoda's allocator: a page heap built on the OS-memory layer, after the Go runtime's {@code mheap} and
 * {@code pageAlloc}, and the general-purpose {@code Heap} on top of it.
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

    exports dev.pagoda.alloc;
}
