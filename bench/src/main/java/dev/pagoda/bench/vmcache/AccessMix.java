package dev.pagoda.bench.vmcache;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A thread's accesses, drawn before the measurement so that drawing costs nothing in it: an array of page ids, the
 * sign bit set on updates. The benchmarks walk it round and round.
 */
public final class AccessMix {
    /** The skew of the Zipfian accesses, YCSB's default. */
    public static final double ZIPF_EXPONENT = 0.99;
    /** The seed of the Zipfian rank-to-page permutation, the same for every thread and peer. */
    private static final long PERMUTATION_SEED = 0x5eed;

    private AccessMix() {
    }

    /** How page ids are drawn. */
    public enum Distribution {
        /** Every page equally likely. */
        UNIFORM,
        /** Zipfian with exponent {@link #ZIPF_EXPONENT}, hot pages spread over the file. */
        ZIPF;

        /**
         * The distribution of a name.
         *
         * @param name {@code uniform} or {@code zipf}, case ignored
         * @return the distribution
         */
        public static Distribution of(final String name) {
            return valueOf(name.toUpperCase(Locale.ROOT));
        }
    }

    /**
     * Draws accesses.
     *
     * @param distribution   how page ids are drawn
     * @param pages          pages in the file
     * @param updatePercent  the share of updates, 0 to 100
     * @param seed           this thread's seed
     * @param count          how many accesses, a power of two
     * @return the accesses: {@code pid}, or {@code pid | Integer.MIN_VALUE} for an update
     */
    public static int[] draw(final Distribution distribution, final int pages, final int updatePercent,
                             final long seed, final int count) {
        if (Integer.bitCount(count) != 1 || updatePercent < 0 || updatePercent > 100 || pages < 1) {
            throw new IllegalArgumentException("count=" + count + ", updatePercent=" + updatePercent
                    + ", pages=" + pages);
        }
        final SplittableRandom random = new SplittableRandom(seed);
        final Zipf zipf = distribution == Distribution.ZIPF ? new Zipf(pages, ZIPF_EXPONENT, PERMUTATION_SEED) : null;
        final int[] ops = new int[count];
        for (int i = 0; i < count; i++) {
            final int pid = zipf == null ? random.nextInt(pages) : zipf.next(random);
            ops[i] = random.nextInt(100) < updatePercent ? pid | Integer.MIN_VALUE : pid;
        }
        return ops;
    }

    /**
     * Runs one access on a store.
     *
     * @param store the store
     * @param op    an access from {@link #draw}
     * @param value the word an update writes
     * @return the read's sum, or 0 for an update
     */
    public static long apply(final PageStore store, final int op, final long value) {
        if (op < 0) {
            store.update(op & Integer.MAX_VALUE, value);
            return 0;
        }
        return store.read(op);
    }
}
