package dev.pagoda.alloc;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The debug mode of a {@link Heap}: freed small objects are filled with a poison byte that must still be there
 * when the object is handed out again, and every allocation remembers the stack that made it, for
 * {@link Heap#liveAllocations()} and the leak report logged when a heap closes with allocations live.
 */
final class HeapDebug {
    private static final byte POISON = (byte) 0xDB;
    private static final long POISON_WORD = 0xDBDBDBDBDBDBDBDBL;

    private final ConcurrentHashMap<Long, Throwable> sites = new ConcurrentHashMap<>();
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

    /** A freed object must still hold its poison; anything else is a write after free. Called by the owner. */
    void checkPoison(final Span span, final int i, final long address) {
        for (int off = 0; off + Long.BYTES <= span.size; off += Long.BYTES) {
            final long word = memory.get(ValueLayout.JAVA_LONG_UNALIGNED, address + off);
            if (word != POISON_WORD) {
                span.freeLocal(i); // give the object back untouched; nothing else changed
                throw new IllegalStateException("use after free: the " + span.size + "-byte object at 0x"
                        + Long.toHexString(address) + " was written after it was freed (offset " + off + " holds 0x"
                        + Long.toHexString(word) + ")");
            }
        }
    }

    List<LiveAllocation> liveAllocations(final Heap heap) {
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

    void reportLeaks(final Heap heap) {
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
