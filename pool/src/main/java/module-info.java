/**
 * Pagoda's buffer pool: a virtual-memory-assisted page cache for databases (vmcache) on Pagoda's OS-memory layer.
 * One package is the API, {@code dev.pagoda.pool}; the engine ({@code dev.pagoda.pool.engine}) is not exported.
 *
 * <p>The pool makes one segment over its reservation ({@code MemorySegment.reinterpret}, a restricted method): grant
 * it native access with {@code --enable-native-access=dev.pagoda.os,dev.pagoda.pool} on the module path, or
 * {@code --enable-native-access=ALL-UNNAMED} on the class path.
 */
module dev.pagoda.pool {
    requires transitive dev.pagoda.os;
    requires java.management;
    // com.sun.nio.file.ExtendedOpenOption.DIRECT, for O_DIRECT reads and writes.
    requires jdk.unsupported;

    exports dev.pagoda.pool;
}
