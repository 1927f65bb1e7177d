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
    // Not exported, to anyone: the engine packages dev.pagoda.os.port, dev.pagoda.os.platform,
    // dev.pagoda.os.runtime and dev.pagoda.os.libc (no other module uses them), and the command
    // dev.pagoda.os.probe (run with --module dev.pagoda.os/dev.pagoda.os.probe.Probe).
}
