/**
 * Pagoda's OS-memory layer: a port of the Go runtime's {@code runtime/mem.go} state machine and its
 * Linux and Darwin implementations to Java 25's foreign function API.
 *
 * <h2>The four states</h2>
 * Every page of address space this layer hands out is, at any moment, in exactly one of four
 * {@linkplain dev.pagoda.os.MemState states}:
 * <ul>
 *   <li><b>None</b>: not reserved and not mapped, the state of all address space we do not own;</li>
 *   <li><b>Reserved</b>: owned by us but inaccessible ({@code PROT_NONE}); costs address space only;</li>
 *   <li><b>Prepared</b>: mapped read/write but meant to hold no physical memory; touching it is
 *       undefined (it may read back zeros or old data);</li>
 *   <li><b>Ready</b>: may be read and written.</li>
 * </ul>
 * Prepared exists so that giving memory back is one cheap {@code madvise}: permissions are set once,
 * when a range is {@linkplain dev.pagoda.os.OsMemory#map mapped}, and never again on the hot
 * Ready&nbsp;&harr;&nbsp;Prepared edge. Each method of {@link dev.pagoda.os.OsMemory} performs exactly
 * one transition, named by the first sentence of its Javadoc, exactly as the Go wrappers
 * {@code sysReserve}, {@code sysMap}, {@code sysUsed}, {@code sysUnused}, {@code sysFault},
 * {@code sysFree} and {@code sysAlloc} do:
 * <pre>
 *   None ──reserve──▶ Reserved ──map──▶ Prepared ──used──▶ Ready
 *                        ▲                 │  ▲               │
 *                        ├───── fault ─────┘  └──── unused ───┤
 *                        └──────────────── fault ─────────────┘
 *
 *   None ──alloc──▶ Ready            Reserved | Prepared | Ready ──free──▶ None
 * </pre>
 *
 * <h2>Locking pages</h2>
 * Two operations Go does not have keep Ready pages in physical memory: {@link dev.pagoda.os.OsMemory#lock lock}
 * ({@code mlock}) and {@link dev.pagoda.os.OsMemory#unlock unlock} ({@code munlock}), for a buffer pool that must
 * never wait on swap. They change no state, but unlike the huge-page hints they are promises, so a refusal is
 * reported: the kernel lets a process lock at most {@code RLIMIT_MEMLOCK} bytes ({@code ulimit -l}, 8 MiB by
 * default) unless it holds {@code CAP_IPC_LOCK}, and the exception for that refusal says so, with the limit in
 * force. The layer remembers which pages are locked: the kernel will not drop a locked page, so
 * {@link dev.pagoda.os.OsMemory#unused unused} and {@link dev.pagoda.os.OsMemory#fault fault} refuse them
 * (unlock first), and {@link dev.pagoda.os.OsMemory#free free} unlocks them.
 *
 * <h2>Why this layer keeps a map of states</h2>
 * Go's wrappers keep only byte counters and trust their callers. A library cannot: a caller that
 * passes a wrong address to {@code map} would have {@code mmap(MAP_FIXED)} silently replace whatever
 * lived there, the Java heap included. So every {@link dev.pagoda.os.OsMemory} keeps an ordered map of the runs of
 * pages it owns and their states. Each call checks its arguments (page alignment, positive length, no
 * overflow), then checks that every page of the range is in a state the transition starts from, and
 * only then makes the system call. Memory this instance did not reserve is never touched. The byte
 * counters (Go's {@code mappedReady} among them) are derived from the same map, so they cannot drift:
 * a failed call changes neither.
 *
 * <p>System calls are made without holding the map's lock, so a long {@code madvise} never stalls
 * another thread's {@code used}. While a call is in flight its range is marked busy; a second call on
 * an overlapping range fails fast with an {@link java.lang.IllegalStateException} instead of racing
 * the first.
 *
 * <h2>Ports</h2>
 * {@link dev.pagoda.os.OsMemory#system()} runs the state machine over the port for the running OS, Linux or
 * Darwin, each with its own table of constants; {@link dev.pagoda.os.SystemOptions} chooses how the Linux port
 * gives memory back ({@link dev.pagoda.os.ReleaseAdvice}: {@code MADV_DONTNEED}, whose pages read back as zeros,
 * or the cheaper {@code MADV_FREE}, whose pages must be zeroed before reuse) and how it names its mappings. A
 * failed system call becomes an {@link dev.pagoda.os.OsMemoryException} carrying the operation, range,
 * {@code errno} and its name; {@code ENOMEM} is the subclass {@link dev.pagoda.os.OsOutOfMemoryException}, so
 * callers can turn it into an out-of-memory error of their own.
 *
 * <h2>The simulated port</h2>
 * {@link dev.pagoda.os.OsMemory#simulated(Simulation)} runs the same state machine over a pure-Java model
 * of the kernel: fake addresses, per-page protections, an address-space and commit limit, and a plan
 * of injected failures ("fail the third {@code map} with {@code ENOMEM}"). An injected failure behaves as the
 * kernel's would on the real ports: a failing transition throws and changes no state, a failing huge-page hint
 * is ignored, as the Linux port ignores {@code madvise}'s answer to a hint. The allocator's tests and the
 * property tests of the {@code verify} module stand on it; it never touches real memory, so its
 * addresses must not be dereferenced.
 *
 * <h2>Around it</h2>
 * {@link dev.pagoda.os.Platform} reports the facts the allocator tunes itself by: page and huge-page
 * size, transparent-huge-page modes, overcommit policy, CPU count, kernel version, residency of a range
 * ({@code mincore}) and this process's resident set. The runtime support the allocator needs lives here
 * too, each piece small: {@link dev.pagoda.os.Clock} (monotonic and wall time, with a controllable fake),
 * {@link dev.pagoda.os.Threads} (CPU count, OS thread id, yield), {@link dev.pagoda.os.ThreadSlot} (a
 * thread-local value with a destructor that runs after its thread ends, the analogue of
 * {@code pthread_key_create}) and {@link dev.pagoda.os.SignalHook} (run a handler when a named signal
 * arrives).
 *
 * <h2>This package and the engine</h2>
 * This package is the module's whole public API: every type a caller names, and nothing else but the system
 * clock behind {@link dev.pagoda.os.Clock#system()}. The work is done by four packages the module does not
 * export, each one idea: {@code dev.pagoda.os.port} (the per-OS backends, the system calls they make, the
 * simulated kernel and the range map), {@code dev.pagoda.os.platform} (reading facts from {@code /sys},
 * {@code /proc}, {@code mincore} and {@code sysctl}), {@code dev.pagoda.os.runtime} (the reaper thread, signal
 * plumbing, thread ids, failure reports) and {@code dev.pagoda.os.libc} (binding the C library and naming its
 * errors). Dependencies run one way: this package uses the engine; the engine uses only this package's values
 * (records, enums, exceptions), never a class with behaviour; and the engine packages form no cycle, the three
 * above {@code libc} using nothing of one another. {@code ArchitectureTest} holds these rules.
 *
 * <p>This design is the Go runtime's (BSD-licensed, Copyright The Go Authors); the code is Pagoda's own.
 */
package dev.pagoda.os;
