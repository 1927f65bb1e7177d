package dev.pagoda.alloc.small;

import dev.pagoda.alloc.LiveAllocation;
import dev.pagoda.alloc.pageheap.HeapMemory;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The debug mode of a {@code Heap}: freed small objects are filled with a poison byte that must still be there
 * when the object is handed out again, and every allocation remembers the stack that made it, for
 * {@code Heap.liveAllocations()} and the leak report logged when a heap closes with allocations live.
 *
 * <p>An object found written after it was freed is <i>quarantined</i>: the allocation that found it throws, naming
 * the object, and the object stays taken in its span's bitmap for good, so no later allocation gets it; it is not
 * counted as an allocation, is no live allocation ({@code free} and {@code usableSize} refuse its address), and its
 * span is never given back to the page heap. Each detection costs at most one object, and one span kept.
 */
final class HeapDebug {
    private static final byte POISON = (byte) 0xDB;
    private static final long POISON_WORD = 0xDBDBDBDBDBDBDBDBL;

    private final ConcurrentHashMap<Long, Throwable> sites = new ConcurrentHashMap<>();
    /** Addresses of objects written after they were freed; never handed out again. */
    private final Set<Long> quarantined = ConcurrentHashMap.newKeySet();
    /** The heap's memory, fenced against its close ({@link HeapMemory}). */
    private final java.lang.foreign.MemorySegment memory;

    HeapDebug(final HeapMemory memory) {
        this.memory = memory.segment();
    }

    long record(final long address) {
        sites.put(address, new Throwable("allocated here"));
        return address;
    }

    void forget(final long address) {
        sites.remove(address);
    }

    void poison(final long address, final long bytes) {
        memory.asSlice(address, bytes).fill(POISON);
    }

    /**
     * A freed object must still hold its poison; anything else is a write after free. Called by the owner with
     * object {@code i} just taken from {@code span}: if it was written, it stays taken (quarantined) and this
     * throws; the object counts as quarantined, not allocated ({@link Span#quarantine()}).
     *
     * @throws IllegalStateException naming the object, the offset written and the value found there
     */
    void checkPoison(final Span span, final int i, final long address) {
        for (int off = 0; off + Long.BYTES <= span.size; off += Long.BYTES) {
            final long word = memory.get(ValueLayout.JAVA_LONG_UNALIGNED, address + off);
            if (word != POISON_WORD) {
                quarantined.add(address);
                span.quarantine();
                throw new IllegalStateException("use after free: the " + span.size + "-byte object at 0x"
                        + Long.toHexString(address) + " was written after it was freed (offset " + off + " holds 0x"
                        + Long.toHexString(word) + "); it is quarantined and will not be handed out again");
            }
        }
    }

    /**
     * Refuses the address of a quarantined object, which is no live allocation.
     *
     * @throws IllegalArgumentException if {@code address} was quarantined
     */
    void refuseQuarantined(final long address) {
        if (quarantined.contains(address)) {
            throw new IllegalArgumentException("address 0x" + Long.toHexString(address) + " is not a live allocation: "
                    + "it was quarantined after a write after free was found in it");
        }
    }

    List<LiveAllocation> liveAllocations(final HeapEngine heap) {
        final List<LiveAllocation> out = new ArrayList<>();
        for (final var e : sites.entrySet()) {
            final long size;
            try {
                size = heap.sizeOf(e.getKey());
            } catch (final IllegalArgumentException racedWithFree) {
                continue;
            }
            out.add(new LiveAllocation(e.getKey(), size, e.getValue().getStackTrace()));
        }
        return out;
    }

    void reportLeaks(final HeapEngine heap) {
        if (sites.isEmpty()) {
            return;
        }
        final List<LiveAllocation> leaks = liveAllocations(heap);
        final StringBuilder sb = new StringBuilder("pagoda heap closed with ").append(leaks.size())
                .append(" live allocations:");
        for (int k = 0; k < Math.min(10, leaks.size()); k++) {
            final LiveAllocation l = leaks.get(k);
            sb.append(System.lineSeparator()).append("  0x").append(Long.toHexString(l.address())).append(" (")
                    .append(l.usableSize()).append(" bytes)");
            for (int f = 0; f < Math.min(6, l.allocatedAt().length); f++) {
                sb.append(System.lineSeparator()).append("      at ").append(l.allocatedAt()[f]);
            }
        }
        System.getLogger("dev.pagoda.alloc").log(System.Logger.Level.WARNING, sb.toString());
    }
}
