package dev.pagoda.pool;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static dev.pagoda.pool.TestPages.first;
import static dev.pagoda.pool.TestPages.stamp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pool's file on the real kernel: transfers survive interrupts, {@code O_DIRECT} works where the file system
 * takes it and is refused by name where it does not, and locked frames are counted by the kernel.
 */
@EnabledOnOs(OS.LINUX)
class FileBehaviourTest {
    private static final long PAGE = 4096;

    @TempDir
    Path dir;

    private BufferPoolBuilder builder(final Path file) {
        return BufferPool.builder().file(file).pageSize(PAGE).maxPages(256).memoryBudget(8 * PAGE).jmx(false);
    }

    @Test
    void shouldLoadAndEvictForAnInterruptedThreadAndKeepItsInterrupt() throws Exception {
        try (BufferPool pool = builder(dir.resolve("p")).build()) {
            for (int i = 0; i < 32; i++) {
                stamp(pool, pool.allocatePage(), i + 100);
            }
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final boolean[] stillInterrupted = new boolean[1];
            final Thread t = new Thread(() -> {
                try {
                    Thread.currentThread().interrupt();
                    for (int pid = 0; pid < 32; pid++) { // every page misses: reads, and evicts dirty pages
                        if (first(pool, pid) != pid + 100) {
                            throw new AssertionError("page " + pid);
                        }
                    }
                    stillInterrupted[0] = Thread.currentThread().isInterrupted();
                } catch (final Throwable e) {
                    failure.set(e);
                }
            });
            t.start();
            t.join();
            assertNull(failure.get());
            assertTrue(stillInterrupted[0], "the pool restores the thread's interrupt status");
            for (int pid = 31; pid >= 0; pid--) {
                assertEquals(pid + 100, first(pool, pid), "the file stayed open for everyone");
            }
        }
    }

    @Test
    void shouldSurviveInterruptsThatArriveDuringTransfers() throws Exception {
        final Path file = dir.resolve("p");
        try (BufferPool pool = builder(file).build()) {
            for (int i = 0; i < 64; i++) {
                stamp(pool, pool.allocatePage(), i);
            }
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final Thread worker = new Thread(() -> {
                try {
                    for (int round = 0; round < 40; round++) {
                        for (int pid = 0; pid < 64; pid++) {
                            final long v = first(pool, pid);
                            if (v < pid || (v - pid) % 64 != 0) {
                                throw new AssertionError("page " + pid + " reads " + v);
                            }
                            stamp(pool, pid, v + 64);
                        }
                    }
                } catch (final Throwable e) {
                    failure.set(e);
                }
            });
            worker.start();
            while (worker.isAlive()) {
                worker.interrupt(); // lands between transfers and, now and then, inside one
                Thread.onSpinWait();
            }
            assertNull(failure.get(), () -> String.valueOf(failure.get()));
            for (int pid = 0; pid < 64; pid++) {
                assertEquals(pid + 40 * 64, first(pool, pid));
            }
        }
        try (BufferPool again = builder(file).build()) { // and the lock was never lost to another pool
            assertEquals(5 + 40 * 64, first(again, 5));
        }
    }

    @Test
    void shouldReadAndWriteWithODirectWhereTheFileSystemTakesIt() throws IOException {
        final Path file = dir.resolve("p");
        Assumptions.assumeTrue(takesODirect(dir), "the file system of " + dir + " refuses O_DIRECT");
        try (BufferPool pool = builder(file).directIo(true).build()) {
            for (int i = 0; i < 40; i++) {
                stamp(pool, pool.allocatePage(), i * 7);
            }
            assertTrue(pool.stats().evictions() > 0);
        }
        try (BufferPool pool = builder(file).directIo(true).build()) {
            for (int pid = 0; pid < 40; pid++) {
                assertEquals(pid * 7, first(pool, pid));
            }
        }
    }

    @Test
    void shouldRefuseODirectByNameWhereTheFileSystemDoesNot() throws IOException {
        final List<Path> candidates = new ArrayList<>(List.of(dir, Path.of("/dev/shm"), Path.of("/run"),
                Path.of(System.getProperty("java.io.tmpdir"))));
        Path refusing = null;
        for (final Path d : candidates) {
            if (Files.isDirectory(d) && Files.isWritable(d) && !takesODirect(d)) {
                refusing = d;
                break;
            }
        }
        Assumptions.assumeTrue(refusing != null, "every writable file system tried takes O_DIRECT here ("
                + candidates + "; tmpfs does since Linux 6.6)");
        final Path file = Files.createTempFile(refusing, "pool", ".pages");
        try {
            final UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                    () -> builder(file).directIo(true).build());
            assertTrue(e.getMessage().contains("refuses O_DIRECT"), e.getMessage());
            try (BufferPool pool = builder(file).build()) { // the refusal left the file free
                assertEquals(0, pool.pageCount());
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Test
    void shouldLockResidentFramesAndLetTheKernelCountThem() throws IOException {
        final long before = vmLckKiB();
        try (BufferPool pool = builder(dir.resolve("p")).lockFrames(true).build()) {
            for (int i = 0; i < 20; i++) {
                stamp(pool, pool.allocatePage(), i);
            }
            final BufferPoolStats s = pool.stats();
            assertEquals(s.residentPages(), s.lockedPages());
            assertEquals(before + s.residentPages() * PAGE / 1024, vmLckKiB(), "VmLck counts the locked frames");
        }
        assertEquals(before, vmLckKiB(), "close unlocks them");
    }

    /** Whether {@code dir}'s file system opens a file with {@code O_DIRECT}. */
    private static boolean takesODirect(final Path dir) throws IOException {
        final Path probe = Files.createTempFile(dir, "odirect", ".probe");
        try {
            final OpenOption direct = directOption();
            try (FileChannel ignored = FileChannel.open(probe, StandardOpenOption.READ, direct)) {
                return true;
            } catch (final IOException refused) {
                return false;
            }
        } finally {
            Files.deleteIfExists(probe);
        }
    }

    private static OpenOption directOption() {
        try {
            for (final Object o : Class.forName("com.sun.nio.file.ExtendedOpenOption").getEnumConstants()) {
                if (((Enum<?>) o).name().equals("DIRECT")) {
                    return (OpenOption) o;
                }
            }
        } catch (final ClassNotFoundException e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("no ExtendedOpenOption.DIRECT");
    }

    private static long vmLckKiB() throws IOException {
        for (final String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmLck:")) {
                return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
            }
        }
        throw new IllegalStateException("no VmLck in /proc/self/status");
    }
}
