package dev.pagoda.os;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Lays out a fake {@code /sys} and {@code /proc} under a temporary directory. */
final class FakeRoot {
    private final Path root;

    FakeRoot(final Path root) {
        this.root = root;
    }

    FakeRoot write(final String relativePath, final String contents) {
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
