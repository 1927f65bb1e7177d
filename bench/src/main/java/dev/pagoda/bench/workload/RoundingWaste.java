package dev.pagoda.bench.workload;

import dev.pagoda.alloc.small.SizeClasses;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * What rounding costs the workloads' size mixes, the evidence behind the heap's granularity above the largest size
 * class: each request is rounded as the heap rounds it (a size class up to 32 KiB, whole 8 KiB pages above) and, for
 * comparison, to whole 4 KiB OS pages above 32 KiB, over two million draws of each mix ({@link SizeMix}). Run:
 * {@code java -cp bench/target/benchmarks.jar dev.pagoda.bench.workload.RoundingWaste}.
 */
public final class RoundingWaste {
    private static final int DRAWS = 2_000_000;
    private static final long PAGE = 8 << 10;
    private static final long OS_PAGE = 4 << 10;

    private RoundingWaste() {
    }

    /**
     * Prints, per mix, the bytes requested, the bytes held as the heap rounds and as OS-page-granular runs would.
     *
     * @param args none
     */
    public static void main(final String[] args) {
        report("cache", SizeMix.cache(new SplittableRandom(1)));
        report("burst", SizeMix.burst(new SplittableRandom(1)));
    }

    private static void report(final String name, final SizeMix mix) {
        long requested = 0;
        long held = 0;
        long heldFine = 0;
        long aboveRequested = 0;
        long aboveHeld = 0;
        long aboveHeldFine = 0;
        for (int i = 0; i < DRAWS; i++) {
            final int size = mix.next();
            requested += size;
            if (size <= SizeClasses.MAX_SIZE) {
                final long rounded = SizeClasses.size(SizeClasses.classOf(size));
                held += rounded;
                heldFine += rounded;
            } else {
                final long pages = (size + PAGE - 1) & -PAGE;
                final long osPages = (size + OS_PAGE - 1) & -OS_PAGE;
                held += pages;
                heldFine += osPages;
                aboveRequested += size;
                aboveHeld += pages;
                aboveHeldFine += osPages;
            }
        }
        System.out.printf(Locale.ROOT, "%s mix: held %.1f%% above requested (4 KiB runs above 32 KiB: %.1f%%); "
                        + "requests above 32 KiB are %.1f%% of the bytes, rounded up %.1f%% (4 KiB runs: %.1f%%)%n",
                name, percent(held, requested), percent(heldFine, requested), 100.0 * aboveRequested / requested,
                percent(aboveHeld, aboveRequested), percent(aboveHeldFine, aboveRequested));
    }

    private static double percent(final long held, final long requested) {
        return requested == 0 ? 0 : 100.0 * (held - requested) / requested;
    }
}
