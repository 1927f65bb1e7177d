package dev.pagoda.bench.workload;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The settings of a burst-then-idle run, from {@code --key=value} arguments.
 *
 * @param workingSet  the bytes allocated in each burst ({@code --working-set}, with an optional {@code k},
 *                    {@code m} or {@code g} suffix of powers of 1024)
 * @param cycles      the bursts ({@code --cycles})
 * @param idleSeconds the idle time after each burst's frees ({@code --idle-seconds})
 * @param allocators  the allocators, in running order ({@code --allocators}, comma separated)
 * @param out         the folder of the CSV file and the chart ({@code --out})
 * @param seed        the seed of the sizes and of the choice of blocks to free ({@code --seed})
 */
record BurstIdleOptions(long workingSet, int cycles, int idleSeconds, List<String> allocators, Path out,
                        long seed) {
    /** The defaults: 2 GiB, three cycles of five idle seconds, every allocator. */
    static final BurstIdleOptions DEFAULTS = new BurstIdleOptions(2L << 30, 3, 5,
            List.of("pagoda", "pagoda-10pct", "netty-pooled", "netty-adaptive", "malloc"),
            Path.of("bench", "results"), 42);

    BurstIdleOptions {
        if (workingSet <= 0 || cycles <= 0 || idleSeconds < 0 || allocators.isEmpty()) {
            throw new IllegalArgumentException("working set and cycles must be positive, idle seconds not "
                    + "negative, allocators not empty: " + workingSet + ", " + cycles + ", " + idleSeconds + ", "
                    + allocators);
        }
        for (final String name : allocators) {
            if (!AllocatorUnderTest.NAMES.contains(name)) {
                throw new IllegalArgumentException("unknown allocator " + name + "; known: "
                        + AllocatorUnderTest.NAMES);
            }
        }
        allocators = List.copyOf(allocators);
    }

    /**
     * The defaults changed by {@code args}.
     *
     * @param args {@code --key=value} arguments
     * @return the options
     * @throws IllegalArgumentException if an argument is unknown or its value malformed
     */
    static BurstIdleOptions parse(final List<String> args) {
        long workingSet = DEFAULTS.workingSet;
        int cycles = DEFAULTS.cycles;
        int idleSeconds = DEFAULTS.idleSeconds;
        List<String> allocators = DEFAULTS.allocators;
        Path out = DEFAULTS.out;
        long seed = DEFAULTS.seed;
        for (final String arg : args) {
            final int eq = arg.indexOf('=');
            if (!arg.startsWith("--") || eq < 0) {
                throw new IllegalArgumentException("expected --key=value, got " + arg);
            }
            final String value = arg.substring(eq + 1);
            switch (arg.substring(2, eq)) {
                case "working-set" -> workingSet = bytes(value);
                case "cycles" -> cycles = Integer.parseInt(value);
                case "idle-seconds" -> idleSeconds = Integer.parseInt(value);
                case "allocators" -> allocators = Arrays.asList(value.split(","));
                case "out" -> out = Path.of(value);
                case "seed" -> seed = Long.parseLong(value);
                default -> throw new IllegalArgumentException("unknown option " + arg);
            }
        }
        return new BurstIdleOptions(workingSet, cycles, idleSeconds, allocators, out, seed);
    }

    /**
     * The arguments that give a child process this run's workload settings (not the allocators or the folder).
     *
     * @return {@code --key=value} arguments for {@link #parse(List)}
     */
    List<String> workloadArgs() {
        final List<String> args = new ArrayList<>();
        args.add("--working-set=" + workingSet);
        args.add("--cycles=" + cycles);
        args.add("--idle-seconds=" + idleSeconds);
        args.add("--seed=" + seed);
        return args;
    }

    /**
     * Reads a byte count such as {@code 2g}, {@code 256m}, {@code 64k} or {@code 1000}.
     *
     * @param text the count
     * @return the bytes
     * @throws IllegalArgumentException if the text is malformed
     */
    static long bytes(final String text) {
        final String t = text.strip().toLowerCase(Locale.ROOT);
        final int shift = switch (t.isEmpty() ? ' ' : t.charAt(t.length() - 1)) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            default -> 0;
        };
        final long number = Long.parseLong(shift == 0 ? t : t.substring(0, t.length() - 1));
        return Math.multiplyExact(number, 1L << shift);
    }
}
