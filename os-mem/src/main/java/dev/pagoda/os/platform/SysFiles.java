package dev.pagoda.os.platform;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * Reads and parses the small text files of {@code /sys} and {@code /proc} that
 * {@link dev.pagoda.os.Platform} reports.
 *
 * <p>Nothing here throws: a file that is missing, unreadable or malformed is {@code null}, an empty
 * optional or 0, and the caller turns that into its "unknown" value.
 */
public final class SysFiles {
    private static final long KIB = 1024L;

    private SysFiles() {
    }

    /** The whole contents of {@code file} (as Latin-1, so no byte is malformed), or {@code null} if unreadable. */
    static String read(final Path file) {
        try {
            return Files.readString(file, StandardCharsets.ISO_8859_1);
        } catch (final IOException | SecurityException ex) {
            return null;
        }
    }

    /** {@link #read(Path)} of {@code primary}, or of {@code fallback} when {@code primary} cannot be read. */
    static String read(final Path primary, final Path fallback) {
        final String text = read(primary);
        return text != null ? text : read(fallback);
    }

    /**
     * The selected option of a sysfs multiple-choice file such as THP's {@code enabled} or {@code defrag}.
     *
     * <p>Accepted: the options separated by white space with exactly one of them in brackets
     * ({@code "always [madvise] never"}, {@code "[always] never"}), or a single bare word ({@code "madvise"}),
     * either with any leading or trailing white space. Anything else (no bracketed option among several, two
     * bracketed options, an empty pair of brackets, stray brackets) gives {@code null}, as does {@code null}.
     * The option itself is not checked against a list; the caller does that.
     */
    static String selectedOption(final String text) {
        if (text == null) {
            return null;
        }
        final String trimmed = text.strip();
        if (trimmed.isEmpty()) {
            return null;
        }
        final String[] words = trimmed.split("\\s+");
        String selected = null;
        for (final String word : words) {
            if (word.startsWith("[") && word.endsWith("]") && word.length() > 2) {
                if (selected != null) {
                    return null;
                }
                selected = word.substring(1, word.length() - 1);
            }
        }
        if (selected == null && words.length == 1) {
            selected = words[0];
        }
        if (selected == null || selected.indexOf('[') >= 0 || selected.indexOf(']') >= 0) {
            return null;
        }
        return selected;
    }

    /**
     * The huge page size in {@code hpage_pmd_size} text, as Go's {@code getHugePageSize} reads it: 0 unless the
     * text is a positive power of two.
     *
     * @param text the file's contents, or {@code null} if it could not be read
     * @return the size in bytes, or 0
     */
    public static long hugePageSize(final String text) {
        if (text == null) {
            return 0L;
        }
        try {
            final long size = Long.parseLong(text.strip());
            return size > 0 && (size & (size - 1)) == 0 ? size : 0L;
        } catch (final NumberFormatException ex) {
            return 0L;
        }
    }

    /** A non-negative decimal {@code int} such as {@code max_ptes_none}; empty when absent or malformed. */
    static OptionalInt nonNegativeInt(final String text) {
        if (text == null) {
            return OptionalInt.empty();
        }
        try {
            final int value = Integer.parseInt(text.strip());
            return value >= 0 ? OptionalInt.of(value) : OptionalInt.empty();
        } catch (final NumberFormatException ex) {
            return OptionalInt.empty();
        }
    }

    /**
     * The value in bytes of the {@code key} line of a {@code /proc} "key: value kB" file such as
     * {@code smaps_rollup} or {@code status} ({@code "Rss:     1772 kB"}); empty when {@code text} is
     * {@code null}, has no such line, or the line's value is not a non-negative number of {@code kB}.
     */
    static OptionalLong kibField(final String text, final String key) {
        if (text == null) {
            return OptionalLong.empty();
        }
        final String prefix = key + ':';
        for (final String line : text.split("\n")) {
            if (line.startsWith(prefix)) {
                return kibValue(line.substring(prefix.length()));
            }
        }
        return OptionalLong.empty();
    }

    private static OptionalLong kibValue(final String value) {
        final String[] parts = value.strip().split("\\s+");
        if (parts.length != 2 || !"kB".equals(parts[1])) {
            return OptionalLong.empty();
        }
        try {
            final long kib = Long.parseLong(parts[0]);
            return kib >= 0 ? OptionalLong.of(Math.multiplyExact(kib, KIB)) : OptionalLong.empty();
        } catch (final NumberFormatException | ArithmeticException ex) {
            return OptionalLong.empty();
        }
    }
}
