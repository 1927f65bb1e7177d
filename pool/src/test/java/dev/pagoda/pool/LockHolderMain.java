package dev.pagoda.pool;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Run by {@link MisuseTest} in a child JVM: locks the file named by its argument as a pool would, prints
 * {@code LOCKED}, and holds the lock until its standard input closes.
 */
final class LockHolderMain {
    private LockHolderMain() {
    }

    public static void main(final String[] args) throws IOException {
        try (FileChannel channel = FileChannel.open(Path.of(args[0]), StandardOpenOption.READ,
                StandardOpenOption.WRITE);
             FileLock lock = channel.lock()) {
            System.out.println(lock.isValid() ? "LOCKED" : "NOT LOCKED");
            System.out.flush();
            while (System.in.read() >= 0) {
                // hold the lock until the parent closes our input
            }
        }
    }
}
