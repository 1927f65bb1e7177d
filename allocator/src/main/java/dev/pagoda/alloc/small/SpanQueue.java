package dev.pagoda.alloc.small;

/**
 * One size class's partial list: spans that no cache holds and that have free objects, first in first out, linked
 * through the spans themselves ({@link Span#nextQueued}), so queuing a span allocates nothing. (A
 * {@code ConcurrentLinkedQueue} allocated a node per enqueue: under cache churn, where remote frees queue detached
 * spans all the time, that was most of the heap's Java garbage and grew the JVM's own heap by a hundred MiB.)
 *
 * <p>A span is in at most one queue at a time: its {@code queued} flag admits one enqueuer ({@link Span#markQueued}).
 * Guarded by this object's monitor, held for a few pointer moves; a leaf: nothing else is taken while it is held.
 */
final class SpanQueue {
    private Span head;
    private Span tail;
    private int size;

    /** Appends {@code s}, which the caller has marked queued. */
    synchronized void add(final Span s) {
        s.nextQueued = null;
        if (tail == null) {
            head = s;
        } else {
            tail.nextQueued = s;
        }
        tail = s;
        size++;
    }

    /** Removes and returns the oldest span, or null if the queue is empty. */
    synchronized Span poll() {
        final Span s = head;
        if (s == null) {
            return null;
        }
        head = s.nextQueued;
        if (head == null) {
            tail = null;
        }
        s.nextQueued = null;
        size--;
        return s;
    }

    /** The spans queued now. */
    synchronized int size() {
        return size;
    }
}
