package dev.pagoda.bench.workload;

import java.util.SplittableRandom;

/**
 * Block sizes with a long tail in three bands, each size drawn log-uniformly from its band. The burst-then-idle
 * mix ({@link #burst}) and the cache mix ({@link #cache}) differ only in their bands.
 */
final class SizeMix {
    private static final double SMALL_SHARE = 0.90;
    private static final double MEDIUM_SHARE = 0.09;

    private final SplittableRandom random;
    /** Low and high bound of the small, medium and large band. */
    private final int[] bounds;

    private SizeMix(final SplittableRandom random, final int... bounds) {
        this.random = random;
        this.bounds = bounds.clone();
    }

    /**
     * The burst-then-idle mix: 90% of the blocks 64 B to 4 KiB, 9% 8 KiB to 64 KiB and 1% 256 KiB to 1 MiB. By
     * bytes the large band holds about three fifths of the total, the small one a tenth.
     *
     * @param random the source of the draws
     * @return the mix
     */
    static SizeMix burst(final SplittableRandom random) {
        return new SizeMix(random, 64, 4 << 10, 8 << 10, 64 << 10, 256 << 10, 1 << 20);
    }

    /**
     * The cache mix: 90% of the values 32 B to 1 KiB, 9% 1 KiB to 16 KiB and 1% 16 KiB to 256 KiB; about
     * 1.6 KiB on average, of which the small band holds a sixth of the bytes and the large one a half.
     *
     * @param random the source of the draws
     * @return the mix
     */
    static SizeMix cache(final SplittableRandom random) {
        return new SizeMix(random, 32, 1 << 10, 1 << 10, 16 << 10, 16 << 10, 256 << 10);
    }

    /**
     * The next size.
     *
     * @return bytes, within one of the bands
     */
    int next() {
        final double band = random.nextDouble();
        if (band < SMALL_SHARE) {
            return logUniform(bounds[0], bounds[1]);
        }
        if (band < SMALL_SHARE + MEDIUM_SHARE) {
            return logUniform(bounds[2], bounds[3]);
        }
        return logUniform(bounds[4], bounds[5]);
    }

    /**
     * The next {@code n} sizes, drawn ahead so that a hot loop need not draw.
     *
     * @param n how many
     * @return the sizes
     */
    int[] next(final int n) {
        final int[] sizes = new int[n];
        for (int i = 0; i < n; i++) {
            sizes[i] = next();
        }
        return sizes;
    }

    private int logUniform(final int low, final int high) {
        return (int) Math.round(low * Math.pow((double) high / low, random.nextDouble()));
    }
}
