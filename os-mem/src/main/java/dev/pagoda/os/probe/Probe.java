package dev.pagoda.os.probe;

import dev.pagoda.os.OsMemory;
import dev.pagoda.os.OsMemoryStats;
import dev.pagoda.os.Platform;
import dev.pagoda.os.ProcessMemory;

import java.io.PrintStream;
import java.lang.foreign.MemorySegment;

/**
 * {@code probe}: prints the platform facts Pagoda sees, then drives the real OS-memory layer through its
 * states so a person can watch memory arrive and leave: reserve 1 GiB, map and use 64 MiB, touch it, release
 * it, free it, printing this process's RSS, the residency of the 64 MiB ({@code mincore}) and the layer's
 * counters after each step.
 *
 * <p>Run it with {@code mvn -q -Pprobe -pl os-mem -am verify -DskipTests} (README), or with
 * {@code java --enable-native-access=dev.pagoda.os -p os-mem/target/pagoda-os-mem.jar
 * -m dev.pagoda.os/dev.pagoda.os.probe.Probe}.
 */
public final class Probe {
    private static final long MIB = 1L << 20;

    private final PrintStream out;
    private final OsMemory os = OsMemory.system();
    private long lastRss = -1;

    private Probe(final PrintStream out) {
        this.out = out;
    }

    /**
     * Runs the probe and prints to standard output.
     *
     * @param args ignored
     */
    public static void main(final String[] args) {
        new Probe(System.out).run();
    }

    @SuppressWarnings("restricted")
    private void run() {
        final Platform platform = Platform.current();
        out.print(platform.describe());
        out.println();
        out.printf("OsMemory port: %s, release: %s%n", os.port(),
                os.needZeroAfterUnused() ? "memory may come back dirty (needs zeroing)" : "MADV_DONTNEED (reads back zero)");
        out.println();
        out.printf("%-44s %12s %10s %14s   %s%n", "step", "RSS", "change", "64 MiB resident", "layer counters");

        final long reserved = 1L << 30;
        final long used = 64 * MIB;
        step("start", 0, 0);
        final long base = os.reserve(reserved);
        step("reserve 1 GiB (PROT_NONE, MAP_NORESERVE)", base, used);
        os.map(base, used);
        step("map 64 MiB (MAP_FIXED read/write)", base, used);
        os.used(base, used);
        step("used 64 MiB (no syscall on Linux)", base, used);
        MemorySegment.ofAddress(base).reinterpret(used).fill((byte) 0x5A);
        step("touch every page of the 64 MiB", base, used);
        os.unused(base, used);
        step("unused 64 MiB (memory back to the OS)", base, used);
        os.free(base, reserved);
        step("free 1 GiB (munmap)", 0, 0);
    }

    private void step(final String what, final long base, final long bytes) {
        final ProcessMemory pm = Platform.processMemory();
        final long rss = pm.rssBytes().orElse(-1);
        final String change = lastRss < 0 || rss < 0 ? "" : String.format("%+.1f MiB", (rss - lastRss) / (double) MIB);
        lastRss = rss;
        final String resident = base == 0 ? "-" : String.format("%.1f MiB",
                Platform.current().residency(base, bytes).residentPages() * Platform.current().pageSize()
                        / (double) MIB);
        final OsMemoryStats s = os.stats();
        out.printf("%-44s %12s %10s %14s   reserved %s, prepared %s, ready %s%n", what,
                rss < 0 ? "unknown" : String.format("%.1f MiB", rss / (double) MIB), change, resident,
                mib(s.reservedBytes()), mib(s.preparedBytes()), mib(s.readyBytes()));
    }

    private static String mib(final long bytes) {
        return bytes / MIB + " MiB";
    }
}
