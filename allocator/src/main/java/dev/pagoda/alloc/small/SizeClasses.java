package dev.pagoda.alloc.small;


/**
 * The size classes of small allocations: every request up to {@link #MAX_SIZE} is rounded up to one of
 * {@link #COUNT} sizes, and objects of one class are carved from spans of whole pages.
 *
 * <p>The table is jemalloc's shape, which Netty's {@code SizeClasses} also uses: steps of 16 bytes up to
 * 128, then four classes per doubling (160, 192, 224, 256, 320, ... 32768). Rounding up to the next class
 * wastes less than 16 bytes of a request up to 128 bytes (every object is 16-byte aligned) and less than 25%
 * above it (the worst case is one byte past a class: 129 → 160); for sizes drawn evenly between two classes the
 * expected waste is about 10%. Go's hand-tuned
 * table has 68 classes and wastes at most 12.5%, at the price of twice the per-thread caches; four per doubling
 * is the usual trade.
 *
 * <p>Each class's span is the fewest pages (at most 8) that hold at least 8 objects and waste at most 1/8 of
 * the span at its end. Lookups are table reads: {@link #classOf(long)} costs a range check, one branch and one
 * array load. Every method checks its argument and names the valid range when it refuses one.
 */
public final class SizeClasses {
    /** The largest small size; larger requests get runs of whole pages. */
    public static final int MAX_SIZE = 32 << 10;
    /** The number of size classes. */
    public static final int COUNT;

    private static final int[] SIZES;
    private static final int[] SPAN_PAGES;
    /** classOf for sizes up to 1024, indexed by {@code (size + 15) >>> 4}. */
    private static final byte[] SMALL = new byte[1024 / 16 + 1];
    /** classOf for sizes 1025..MAX_SIZE, indexed by {@code (size + 127) >>> 7}. */
    private static final byte[] LARGE = new byte[MAX_SIZE / 128 + 1];

    static {
        final int[] sizes = new int[64];
        int n = 0;
        for (int s = 16; s <= 128; s += 16) {
            sizes[n++] = s;
        }
        for (int base = 128; base < MAX_SIZE; base <<= 1) {
            for (int k = 1; k <= 4; k++) {
                sizes[n++] = base + k * (base >>> 2);
            }
        }
        COUNT = n;
        SIZES = java.util.Arrays.copyOf(sizes, n);
        SPAN_PAGES = new int[n];
        for (int c = 0; c < n; c++) {
            SPAN_PAGES[c] = spanPagesFor(SIZES[c], 8192);
        }
        int c = 0;
        for (int i = 0; i < SMALL.length; i++) {
            while (SIZES[c] < i * 16) {
                c++;
            }
            SMALL[i] = (byte) c;
        }
        for (int i = 0; i < LARGE.length; i++) {
            final int size = Math.max(1025, i * 128);
            while (SIZES[c] < size) {
                c++;
            }
            LARGE[i] = (byte) c;
        }
    }

    private SizeClasses() {
    }

    /**
     * The class that serves {@code size} bytes: the smallest class whose size is at least {@code size}.
     *
     * @param size 1 to {@link #MAX_SIZE}
     * @return the class index, 0 to {@link #COUNT} - 1
     * @throws IllegalArgumentException if {@code size} is outside 1 to {@link #MAX_SIZE}
     */
    public static int classOf(final long size) {
        if (size < 1 || size > MAX_SIZE) {
            throw new IllegalArgumentException("size must be from 1 to " + MAX_SIZE + " (larger requests are page "
                    + "runs, not size classes): size=" + size);
        }
        return size <= 1024 ? SMALL[(int) ((size + 15) >>> 4)] : LARGE[(int) ((size + 127) >>> 7)];
    }

    /**
     * The object size of class {@code c}.
     *
     * @param c a class index, 0 to {@link #COUNT} - 1
     * @return its size in bytes, 16 to {@link #MAX_SIZE}
     * @throws IllegalArgumentException if {@code c} is outside 0 to {@link #COUNT} - 1
     */
    public static int size(final int c) {
        checkClass(c);
        return SIZES[c];
    }

    /**
     * The pages of a span of class {@code c}, counted in pages of 8 KiB. A {@code Heap} whose pages are larger
     * (the OS page, where that exceeds 8 KiB) takes the same number of its own pages per span, so its spans hold
     * proportionally more objects.
     *
     * @param c a class index, 0 to {@link #COUNT} - 1
     * @return 1 to 8
     * @throws IllegalArgumentException if {@code c} is outside 0 to {@link #COUNT} - 1
     */
    public static int spanPages(final int c) {
        checkClass(c);
        return SPAN_PAGES[c];
    }

    private static void checkClass(final int c) {
        if (c < 0 || c >= COUNT) {
            throw new IllegalArgumentException("c must be a class index from 0 to " + (COUNT - 1) + ": c=" + c);
        }
    }

    /** The fewest pages (1..8) holding at least 8 objects of {@code size} and wasting at most 1/8 of the span. */
    static int spanPagesFor(final int size, final int pageSize) {
        for (int pages = 1; pages < 8; pages++) {
            final long bytes = (long) pages * pageSize;
            if (bytes / size >= 8 && (bytes % size) * 8 <= bytes) {
                return pages;
            }
        }
        return 8;
    }
}
