package dev.pagoda.os;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Lays out a fake {@code /sys} and {@code /proc} under a temporary directory. */
public final class FakeRoot {
    private final Path root;

    /**
     * A tree under {@code root}.
     *
     * @param root the directory standing for {@code /}
     */
    public FakeRoot(final Path root) {
        this.root = root;
    }

    /**
     * Writes a file of the tree, creating its directories.
     *
     * @param relativePath the file's path below {@code /}, for example {@code "proc/self/smaps"}
     * @param contents     what it holds
     * @return this tree
     */
    public FakeRoot write(final String relativePath, final String contents) {
        final Path file = root.resolve(relativePath);
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, contents, StandardCharsets.ISO_8859_1);
        } catch (final IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return this;
    }

    Platform platform() {
        return Platform.read(root, OsKind.LINUX, "amd64", 4096, 4);
    }

    ProcessMemory processMemory() {
        return Platform.processMemory(root);
    }
}
