package dev.pagoda.os;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Run by {@link SystemLockTest} in a child JVM without {@code CAP_IPC_LOCK}: locks a range larger than the
 * process's {@code RLIMIT_MEMLOCK} with the real Linux port and prints what happened, one line: {@code REFUSED}
 * and the exception's message, {@code LOCKED} if the kernel agreed, or {@code UNLIMITED} if there is no limit to
 * pass.
 */
final class LockRefusalMain {
    private LockRefusalMain() {
    }

    public static void main(final String[] args) throws IOException {
        final long limit = SystemLockTest.memlockLimit(Files.readAllLines(Path.of("/proc/self/limits")));
        if (limit == Long.MAX_VALUE) {
            System.out.println("UNLIMITED");
            return;
        }
        final OsMemory os = OsMemory.system();
        final long bytes = (limit + (1L << 20)) & -os.pageSize();
        final long p = os.reserve(bytes);
        os.map(p, bytes);
        os.used(p, bytes);
        try {
            os.lock(p, bytes);
            System.out.println("LOCKED " + bytes + " bytes with a limit of " + limit);
        } catch (final OsMemoryException e) {
            System.out.println("REFUSED locked=" + os.lockedBytes() + " " + e.getMessage());
        } finally {
            os.free(p, bytes);
        }
    }
}
