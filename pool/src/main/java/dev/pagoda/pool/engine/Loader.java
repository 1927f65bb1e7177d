package dev.pagoda.pool.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;

/**
 * A miss: the thread that moved a page's word from EVICTED to EXCLUSIVE owns its load. It counts one more frame
 * against the budget (the {@link Evictor} runs a batch first if the budget is full), makes the frame Ready, reads the
 * page into it, locks it if the pool locks frames, and gives the page a slot on the clock. If any step fails it
 * undoes the ones before (the frame goes back, the count goes down, the word returns to EVICTED) and throws: the page
 * is exactly as it was.
 *
 * <p>Takes no lock of its own; the loader holds the pool's gate (so that {@code close()} waits for it) and, inside
 * the evictor, the eviction lock.
 */
final class Loader {
    private final PoolConfig config;
    private final PageTable table;
    private final FrameSlots slots;
    private final PoolMemory memory;
    private final PageFile file;
    private final MemorySegment frames;
    private final PoolCounters counters;
    private final PoolGate gate;
    private final Evictor evictor;
    private final long pageSize;
    private final int pageShift;

    Loader(final PoolConfig config, final PageTable table, final FrameSlots slots, final PoolMemory memory,
           final PageFile file, final MemorySegment frames, final PoolCounters counters, final PoolGate gate,
           final Evictor evictor) {
        this.config = config;
        this.table = table;
        this.slots = slots;
        this.memory = memory;
        this.file = file;
        this.frames = frames;
        this.counters = counters;
        this.gate = gate;
        this.evictor = evictor;
        this.pageSize = config.pageSize();
        this.pageShift = Long.numberOfTrailingZeros(pageSize);
    }

    /**
     * Loads {@code pid}, which the caller took from EVICTED to EXCLUSIVE (word {@code evicted} before). Returns with
     * the page resident and still exclusive; on any failure puts the word back and throws.
     */
    void load(final long pid, final long evicted) {
        boolean entered = false;
        boolean reserved = false;
        try {
            gate.enter();
            entered = true;
            evictor.reserveFrame();
            reserved = true;
            final long offset = pid << pageShift;
            memory.used(offset, pageSize);
            try {
                file.read(pid, frames.asSlice(offset, pageSize).asByteBuffer());
                if (config.lockFrames()) {
                    memory.lock(offset, pageSize);
                    counters.lockedFrames.incrementAndGet();
                }
            } catch (final IOException | RuntimeException e) {
                try {
                    memory.unused(offset, pageSize);
                } catch (final RuntimeException suppressed) {
                    e.addSuppressed(suppressed); // the frame stays Ready; the next load of the page reuses it
                }
                throw e;
            }
            table.slot(pid, slots.add(pid));
            counters.misses.increment();
            counters.reads.increment();
        } catch (final IOException e) {
            undoLoad(pid, evicted, reserved);
            throw new UncheckedIOException("cannot read page " + pid + " of " + file.path(), e);
        } catch (final RuntimeException | Error e) {
            undoLoad(pid, evicted, reserved);
            throw e;
        } finally {
            if (entered) {
                gate.exit();
            }
        }
    }

    private void undoLoad(final long pid, final long evicted, final boolean reserved) {
        if (reserved) {
            counters.resident.decrementAndGet();
        }
        table.release(pid, evicted);
    }
}
