package dev.pagoda.verify;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A snapshot of this process's memory mappings as the kernel reports them in {@code /proc/self/maps}: the
 * oracle that tells what the real kernel did, independently of what Pagoda's own bookkeeping believes.
 *
 * <p>Each line of {@code /proc/self/maps} is {@code start-end perms offset dev inode [name]}; a snapshot keeps
 * the ranges, their permissions and names, sorted by address (the kernel prints them so). Linux only.
 */
public final class ProcMaps {
    /**
     * One mapping.
     *
     * @param start the first address
     * @param end   the address after the last
     * @param perms the four-letter permissions, e.g. {@code "rw-p"}
     * @param name  the path or pseudo-name ({@code [heap]}, {@code [anon:...]}), empty for anonymous memory
     */
    public record Mapping(long start, long end, String perms, String name) {
        /**
         * Whether the mapping is readable and writable.
         *
         * @return true for {@code rw} permissions
         */
        public boolean readWrite() {
            return perms.startsWith("rw");
        }

        /**
         * Whether every access to the mapping faults.
         *
         * @return true for {@code ---} permissions
         */
        public boolean inaccessible() {
            return perms.startsWith("---");
        }
    }

    private final List<Mapping> mappings;

    private ProcMaps(final List<Mapping> mappings) {
        this.mappings = mappings;
    }

    /**
     * Reads {@code /proc/self/maps} now.
     *
     * @return the snapshot
     * @throws UncheckedIOException if the file cannot be read (not Linux)
     */
    public static ProcMaps read() {
        return parse(Path.of("/proc/self/maps"));
    }

    static ProcMaps parse(final Path file) {
        try {
            final List<Mapping> out = new ArrayList<>();
            for (final String line : Files.readAllLines(file)) {
                final String[] f = line.trim().split("\\s+", 6);
                if (f.length < 5) {
                    continue;
                }
                final int dash = f[0].indexOf('-');
                out.add(new Mapping(Long.parseUnsignedLong(f[0].substring(0, dash), 16),
                        Long.parseUnsignedLong(f[0].substring(dash + 1), 16), f[1], f.length == 6 ? f[5] : ""));
            }
            return new ProcMaps(List.copyOf(out));
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /**
     * The mapping containing {@code address}, or null if nothing is mapped there.
     *
     * @param address any address
     * @return the mapping, or null
     */
    public Mapping at(final long address) {
        int lo = 0;
        int hi = mappings.size() - 1;
        while (lo <= hi) {
            final int mid = (lo + hi) >>> 1;
            final Mapping m = mappings.get(mid);
            if (Long.compareUnsigned(address, m.start) < 0) {
                hi = mid - 1;
            } else if (Long.compareUnsigned(address, m.end) >= 0) {
                lo = mid + 1;
            } else {
                return m;
            }
        }
        return null;
    }

    /**
     * The kernel's {@code VmFlags} of the mapping containing {@code address}, from {@code /proc/self/smaps}:
     * two-letter codes such as {@code rd wr mr mw me ac} plus {@code hg} after {@code MADV_HUGEPAGE} and
     * {@code nh} after {@code MADV_NOHUGEPAGE}.
     *
     * @param address any address
     * @return the flags, empty if nothing is mapped there
     * @throws UncheckedIOException if {@code /proc/self/smaps} cannot be read
     */
    public static Set<String> vmFlags(final long address) {
        try {
            boolean inside = false;
            for (final String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
                final int dash = line.indexOf('-');
                final int space = line.indexOf(' ');
                if (dash > 0 && space > dash && isHex(line, 0, dash) && isHex(line, dash + 1, space)) {
                    final long start = Long.parseUnsignedLong(line.substring(0, dash), 16);
                    final long end = Long.parseUnsignedLong(line.substring(dash + 1, space), 16);
                    inside = Long.compareUnsigned(address, start) >= 0 && Long.compareUnsigned(address, end) < 0;
                } else if (inside && line.startsWith("VmFlags:")) {
                    return Set.of(line.substring("VmFlags:".length()).trim().split("\\s+"));
                }
            }
            return Set.of();
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read /proc/self/smaps", e);
        }
    }

    private static boolean isHex(final String s, final int from, final int to) {
        for (int i = from; i < to; i++) {
            if (Character.digit(s.charAt(i), 16) < 0) {
                return false;
            }
        }
        return to > from;
    }

    /**
     * All mappings, in address order.
     *
     * @return an immutable list
     */
    public List<Mapping> mappings() {
        return mappings;
    }
}
