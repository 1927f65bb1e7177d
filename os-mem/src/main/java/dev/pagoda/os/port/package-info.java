/**
 * The memory port: the per-OS half of {@link dev.pagoda.os.OsMemory}, Go's {@code sys*OS} functions, behind
 * the small interface {@link dev.pagoda.os.port.Backend}. {@code OsMemory} checks arguments and page states and
 * keeps the accounting; a backend makes the system calls of exactly one transition and answers the raw way,
 * an address or {@code 0} on success and {@code -errno} on failure, never throwing for a failing call.
 *
 * <h2>Linux and Darwin</h2>
 * Each port has its own table of constants: {@code MAP_ANON} is {@code 0x20} on Linux and {@code 0x1000} on
 * Darwin, and {@code 8} is {@code MADV_FREE} on one and {@code MADV_FREE_REUSE} on the other. On Linux
 * ({@link dev.pagoda.os.port.LinuxBackend}) a reservation is a {@code PROT_NONE}, {@code MAP_NORESERVE}
 * anonymous mapping; mapping is a {@code MAP_FIXED} read/write mapping over it; {@code used} is free (the first
 * touch faults pages in); {@code unused} is {@code MADV_DONTNEED}, which drops the pages from the resident set
 * at once and makes them read back as zeros, so released memory never needs zeroing. {@code MADV_FREE} is an
 * option: it is cheaper but leaves RSS high until the kernel is under pressure and may hand old contents back,
 * so memory released with it must be zeroed before reuse. Kernels without an advice fall back along Go's
 * chain, {@code MADV_FREE} to {@code MADV_DONTNEED} to a fresh {@code MAP_FIXED} mapping. Mappings are named
 * with {@code prctl(PR_SET_VMA_ANON_NAME)} where the kernel supports it, so {@code /proc/self/maps} shows which
 * ranges are Pagoda's. On Darwin ({@link dev.pagoda.os.port.DarwinBackend}), {@code unused} and {@code used}
 * are {@code MADV_FREE_REUSABLE} and {@code MADV_FREE_REUSE} and released memory always needs zeroing.
 *
 * <h2>System calls</h2>
 * Both ports call the kernel through {@link dev.pagoda.os.port.Syscalls}, five methods that return
 * {@code -errno} instead of throwing. {@link dev.pagoda.os.port.NativeSyscalls} implements them with FFM
 * downcalls bound once through {@link dev.pagoda.os.libc.Libc}, each capturing {@code errno}; tests put a
 * recording fake in its place and assert, on any OS, the exact calls and flags each port issues.
 *
 * <h2>The simulated kernel</h2>
 * {@link dev.pagoda.os.port.SimulatedKernel} is the pure-Java model behind {@link dev.pagoda.os.Simulation}:
 * fake addresses, per-page protections, an address-space and a commit limit, and a plan of injected failures.
 * Its backend answers as a kernel would: a failing transition returns {@code -errno} and changes nothing, a
 * failing huge-page hint is dropped as the Linux port drops {@code madvise}'s answer to a hint.
 *
 * <h2>Ranges</h2>
 * {@link dev.pagoda.os.port.RangeStates} maps address ranges to small codes as maximal runs: the page states
 * {@code OsMemory} owns and the simulated kernel's protections. It is a treap in primitive arrays, so that a
 * transition allocates nothing: a buffer pool moves a frame Prepared → Ready → Prepared per miss, and its pages
 * scatter the runs. {@link dev.pagoda.os.port.Transitions} is {@code OsMemory}'s engine around it: under one leaf
 * lock, check a range and record it as in flight (in a small side table, not in the runs), make the system call
 * without the lock, then forget it and commit the new state.
 *
 * <p>This package uses {@code libc} and the values of {@code dev.pagoda.os} ({@link dev.pagoda.os.Operation},
 * {@link dev.pagoda.os.SystemOptions}, {@link dev.pagoda.os.ReleaseAdvice}); the module does not export it.
 */
package dev.pagoda.os.port;
