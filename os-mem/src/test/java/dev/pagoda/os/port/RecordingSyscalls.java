package dev.pagoda.os.port;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * A fake kernel that records every system call as text, e.g. {@code "mmap(0x0, 65536, 0x0, 0x4022)"}, and
 * answers with scripted results: mmap without an address returns a fresh aligned address, everything else
 * succeeds unless a failure was queued for that call name.
 */
public final class RecordingSyscalls implements Syscalls {
    final List<String> calls = new ArrayList<>();
    private final Deque<String> failNames = new ArrayDeque<>();
    private final Deque<Integer> failErrnos = new ArrayDeque<>();
    private final Deque<Long> processMadviseAnswers = new ArrayDeque<>();
    private long next = 0x7f00_0000_0000L;
    private long softLimit = 8L << 20;

    /** Makes the next call named {@code name} (e.g. "madvise") fail with {@code errno}; queued in order. */
    RecordingSyscalls failNext(final String name, final int errno) {
        failNames.addLast(name);
        failErrnos.addLast(errno);
        return this;
    }

    /** Sets the address the next OS-chosen mmap returns. */
    RecordingSyscalls nextAddress(final long address) {
        next = address;
        return this;
    }

    /** Sets what {@code getrlimit} reports as the soft limit. */
    RecordingSyscalls answerSoftLimit(final long limit) {
        softLimit = limit;
        return this;
    }

    List<String> take() {
        final List<String> out = List.copyOf(calls);
        calls.clear();
        return out;
    }

    private int failure(final String name) {
        if (!failNames.isEmpty() && failNames.peekFirst().equals(name)) {
            failNames.removeFirst();
            return -failErrnos.removeFirst();
        }
        return 0;
    }

    @Override
    public long mmap(final long address, final long length, final int prot, final int flags) {
        calls.add("mmap(" + hex(address) + ", " + length + ", " + hex(prot) + ", " + hex(flags) + ")");
        final int rc = failure("mmap");
        if (rc != 0) {
            return rc;
        }
        if (address != 0) {
            return address;
        }
        final long p = next;
        next += length + (1L << 30);
        return p;
    }

    @Override
    public int munmap(final long address, final long length) {
        calls.add("munmap(" + hex(address) + ", " + length + ")");
        return failure("munmap");
    }

    /** Makes the next {@code process_madvise} answer {@code result} (bytes advised, or {@code -errno}). */
    RecordingSyscalls answerProcessMadvise(final long result) {
        processMadviseAnswers.addLast(result);
        return this;
    }

    /** Records the ranges; answers a queued result, else every byte advised. */
    @Override
    public long processMadvise(final long[] addresses, final long[] lengths, final int from, final int count,
                               final int advice) {
        final StringBuilder sb = new StringBuilder("process_madvise([");
        long bytes = 0;
        for (int i = from; i < from + count; i++) {
            sb.append(i == from ? "" : ", ").append(hex(addresses[i])).append('+').append(lengths[i]);
            bytes += lengths[i];
        }
        calls.add(sb.append("], ").append(advice).append(')').toString());
        return processMadviseAnswers.isEmpty() ? bytes : processMadviseAnswers.removeFirst();
    }

    @Override
    public int madvise(final long address, final long length, final int advice) {
        calls.add("madvise(" + hex(address) + ", " + length + ", " + advice + ")");
        return failure("madvise");
    }

    @Override
    public int mprotect(final long address, final long length, final int prot) {
        calls.add("mprotect(" + hex(address) + ", " + length + ", " + hex(prot) + ")");
        return failure("mprotect");
    }

    @Override
    public int mlock(final long address, final long length) {
        calls.add("mlock(" + hex(address) + ", " + length + ")");
        return failure("mlock");
    }

    @Override
    public int munlock(final long address, final long length) {
        calls.add("munlock(" + hex(address) + ", " + length + ")");
        return failure("munlock");
    }

    @Override
    public long softLimit(final int resource) {
        calls.add("getrlimit(" + resource + ")");
        final int rc = failure("getrlimit");
        return rc != 0 ? rc : softLimit;
    }

    @Override
    public int nameAnonymous(final long address, final long length, final String name) {
        calls.add("prctl(PR_SET_VMA_ANON_NAME, " + hex(address) + ", " + length + ", \"" + name + "\")");
        return failure("prctl");
    }

    static String hex(final long v) {
        return "0x" + Long.toHexString(v);
    }
}
