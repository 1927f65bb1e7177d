package dev.pagoda.bench.workload;

import java.util.SplittableRandom;

/**
 * Block sizes with a long tail, each drawn log-uniformly from its band: 90% of the blocks 64 B to 4 KiB, 9%
 * 8 KiB to 64 KiB and 1% 256 KiB to 1 MiB. By bytes the large band holds about three fifths of the total, the
 * small one a tenth.
 */
final class SizeMix {
    private static final double SMALL_SHARE = 0.90;
    private static final double MEDIUM_SHARE = 0.09;

    private final SplittableRandom random;

    /**
     * A mix drawing from {@code random}.
     *
     * @param random the source of the draws
     */
    SizeMix(final SplittableRandom random) {
        this.random = random;
    }

    /**
     * The next size.
     *
     * @return bytes, from 64 to 1 MiB
     */
    int next() {
        final double band = random.nextDouble();
        if (band < SMALL_SHARE) {
            return logUniform(64, 4 << 10);
        }
        if (band < SMALL_SHARE + MEDIUM_SHARE) {
            return logUniform(8 << 10, 64 << 10);
        }
        return logUniform(256 << 10, 1 << 20);
    }

    private int logUniform(final int low, final int high) {
        return (int) Math.round(low * Math.pow((double) high / low, random.nextDouble()));
    }
}
