package dev.pagoda.os;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link OsMemory#lock} and {@link OsMemory#unlock} against the real Linux kernel: a few pages lock under the
 * default limit (8 MiB), the kernel counts them in {@code VmLck} and faults them in, and a lock beyond
 * {@code RLIMIT_MEMLOCK} is refused with a message that names the limit. Root holds {@code CAP_IPC_LOCK}, which
 * the limit does not bind, so the refusal is provoked in a child JVM started without that capability.
 */
@EnabledOnOs(OS.LINUX)
class SystemLockTest {
    /** {@code CAP_IPC_LOCK}'s bit in the capability sets of {@code /proc/self/status}. */
    private static final int CAP_IPC_LOCK = 14;

    @Test
    void shouldLockAFewPagesFaultThemInAndUnlockThem() throws IOException {
        final OsMemory os = OsMemory.system();
        final long page = os.pageSize();
        final long bytes = 16 * page;
        final long p = os.reserve(bytes);
        try {
            os.map(p, bytes);
            os.used(p, bytes);
            assertEquals(0, Platform.current().residency(p, bytes).residentPages(), "untouched");
            final long before = statusKiB("VmLck:");
            os.lock(p, bytes);
            assertEquals(bytes, os.lockedBytes());
            assertEquals(before + bytes / 1024, statusKiB("VmLck:"), "the kernel counts the locked pages");
            assertEquals(16, Platform.current().residency(p, bytes).residentPages(), "mlock faults the pages in");
            os.unlock(p, bytes);
            assertEquals(0, os.lockedBytes());
            assertEquals(before, statusKiB("VmLck:"));
            os.unused(p, bytes); // allowed again once unlocked
            assertEquals(0, Platform.current().residency(p, bytes).residentPages());
        } finally {
            os.free(p, bytes);
        }
    }

    @Test
    void shouldUnlockOnFreeAsTheKernelDoes() throws IOException {
        final OsMemory os = OsMemory.system();
        final long bytes = 4 * os.pageSize();
        final long before = statusKiB("VmLck:");
        final long p = os.reserve(bytes);
        os.map(p, bytes);
        os.used(p, bytes);
        os.lock(p, bytes);
        os.free(p, bytes);
        assertEquals(0, os.lockedBytes());
        assertEquals(before, statusKiB("VmLck:"));
    }

    @Test
    void shouldRefuseALockBeyondRlimitMemlockNamingTheLimit() throws Exception {
        final List<String> command = new ArrayList<>();
        if (hasCapability(CAP_IPC_LOCK)) {
            final Path setpriv = Path.of("/usr/bin/setpriv");
            Assumptions.assumeTrue(Files.isExecutable(setpriv),
                    "this process may lock without limit (CAP_IPC_LOCK) and setpriv is missing to drop that");
            command.addAll(List.of(setpriv.toString(), "--inh-caps=-ipc_lock", "--bounding-set=-ipc_lock"));
        }
        final String java = ProcessHandle.current().info().command().orElseThrow();
        final String classes = System.getProperty("jdk.module.path");
        final String testClasses = Path.of(LockRefusalMain.class.getProtectionDomain().getCodeSource().getLocation()
                .toURI()).toString();
        command.addAll(List.of(java, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "--enable-native-access=ALL-UNNAMED",
                "-cp", classes + File.pathSeparator + testClasses, LockRefusalMain.class.getName()));
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), "child JVM did not finish");
            final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, process.exitValue(), output);
            Assumptions.assumeFalse(output.startsWith("UNLIMITED"), "RLIMIT_MEMLOCK is unlimited here: " + output);
            assertTrue(output.startsWith("REFUSED locked=0 mlock(address=0x"), output);
            assertTrue(output.contains("failed: ENOMEM (errno 12)"), output);
            assertTrue(output.contains("RLIMIT_MEMLOCK (ulimit -l; now ") && output.contains("CAP_IPC_LOCK"), output);
        } finally {
            process.destroyForcibly();
        }
    }

    /** The soft "Max locked memory" of a {@code /proc/<pid>/limits} file, {@link Long#MAX_VALUE} for unlimited. */
    static long memlockLimit(final List<String> limits) {
        for (final String line : limits) {
            if (line.startsWith("Max locked memory")) {
                final String soft = line.substring("Max locked memory".length()).trim().split("\\s+")[0];
                return soft.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(soft);
            }
        }
        throw new IllegalStateException("no 'Max locked memory' line in " + limits);
    }

    private static boolean hasCapability(final int bit) throws IOException {
        for (final String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("CapEff:")) {
                return (Long.parseLong(line.substring(7).trim(), 16) & (1L << bit)) != 0;
            }
        }
        return false;
    }

    private static long statusKiB(final String field) throws IOException {
        for (final String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field)) {
                return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
            }
        }
        throw new IllegalStateException("no " + field + " in /proc/self/status");
    }
}
