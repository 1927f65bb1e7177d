/**
 * Pagoda's OS-memory layer: the Go runtime's {@code sys*} state machine on the FFM API, platform facts
 * and the small runtime support (clocks, threads, thread-exit destructors, signals) the allocator needs.
 *
 * <p>The layer calls libc through {@link java.lang.foreign.Linker}; grant it native access with
 * {@code --enable-native-access=dev.pagoda.os} (module path) or {@code --enable-native-access=ALL-UNNAMED}
 * (class path), or {@code Enable-Native-Access: ALL-UNNAMED} in an executable jar's manifest.
 */
module dev.pagoda.os {
    requires jdk.unsupported;

    exports dev.pagoda.os;
}
