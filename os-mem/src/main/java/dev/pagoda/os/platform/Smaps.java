package dev.pagoda.os.platform;

import java.nio.file.Path;

/**
 * Reads {@code /proc/self/smaps} for the huge pages backing an address range. Each mapping (VMA) starts with a
 * header line {@code start-end perms offset dev inode [name]} followed by {@code Key: value kB} lines; the
 * {@code AnonHugePages} line gives the bytes of the mapping backed by transparent huge pages. A mapping only
 * partly inside the range is counted in proportion to its overlap: the kernel does not say where in the mapping
 * its huge pages lie, and adjacent reservations with equal flags are merged into one mapping.
 */
public final class Smaps {
    static final String SMAPS = "proc/self/smaps";

    private Smaps() {
    }

    /**
     * The {@code AnonHugePages} bytes of {@code [address, address + bytes)}, from the tree under {@code root}.
     *
     * @param root    the directory standing for {@code /}
     * @param address the start of the range
     * @param bytes   the length of the range, not negative
     * @return the bytes backed by huge pages; 0 if {@code smaps} cannot be read
     */
    public static long anonHugePages(final Path root, final long address, final long bytes) {
        return anonHugePages(root, new long[] {address, bytes});
    }

    /**
     * The {@code AnonHugePages} bytes of the disjoint ranges given as {@code [address, bytes, ...]} pairs, from one
     * read of the file under {@code root}.
     *
     * @param root   the directory standing for {@code /}
     * @param ranges the ranges as {@code [address, bytes, ...]} pairs, each length not negative
     * @return the bytes backed by huge pages; 0 if {@code smaps} cannot be read
     */
    public static long anonHugePages(final Path root, final long[] ranges) {
        final String text = SysFiles.read(root.resolve(SMAPS));
        if (text == null) {
            return 0;
        }
        long total = 0;
        long vmaStart = 0;
        long vmaEnd = 0;
        for (final String line : text.split("\n")) {
            final int dash = line.indexOf('-');
            final int space = line.indexOf(' ');
            if (dash > 0 && space > dash && isHex(line, 0, dash) && isHex(line, dash + 1, space)) {
                vmaStart = Long.parseUnsignedLong(line, 0, dash, 16);
                vmaEnd = Long.parseUnsignedLong(line, dash + 1, space, 16);
            } else if (line.startsWith("AnonHugePages:") && vmaEnd > vmaStart) {
                for (int i = 0; i < ranges.length; i += 2) {
                    final long lo = Math.max(vmaStart, ranges[i]);
                    final long hi = Math.min(vmaEnd, ranges[i] + ranges[i + 1]);
                    if (lo < hi) {
                        final long huge = kib(line) << 10;
                        total += hi - lo == vmaEnd - vmaStart ? huge
                                : (long) ((double) huge * (hi - lo) / (vmaEnd - vmaStart));
                    }
                }
            }
        }
        return total;
    }

    private static boolean isHex(final String s, final int from, final int to) {
        if (from >= to) {
            return false;
        }
        for (int i = from; i < to; i++) {
            if (Character.digit(s.charAt(i), 16) < 0) {
                return false;
            }
        }
        return true;
    }

    private static long kib(final String line) {
        long v = 0;
        for (int i = line.indexOf(':') + 1; i < line.length(); i++) {
            final char c = line.charAt(i);
            if (c >= '0' && c <= '9') {
                v = v * 10 + (c - '0');
            } else if (v > 0 || c != ' ') {
                break;
            }
        }
        return v;
    }
}
