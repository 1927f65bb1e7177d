/**
 * The C library Pagoda calls: which system's it is, how its functions are bound, and what its error numbers
 * mean. The bottom of the engine: {@code port}, {@code platform} and {@code runtime} all stand on it, and it
 * uses nothing of them.
 *
 * <h2>Bindings</h2>
 * {@link dev.pagoda.os.libc.Libc} is the one place Pagoda binds C functions, through
 * {@link java.lang.foreign.Linker}: the native linker, its default symbol lookup and the per-thread
 * {@code errno} capture buffer. Downcall handles are made once, in static initialisers of the classes that
 * use them, and carry {@code captureCallState("errno")}; the buffer is per thread (a shared one would race)
 * and read only after a call reported failure, since the linker copies {@code errno} on every call. Binding a
 * function is a restricted operation: the module needs native access.
 *
 * <h2>Errors</h2>
 * {@link dev.pagoda.os.libc.Errno} names error numbers per system: numbers 1 to 34 (bar 11) mean the same on
 * Linux and Darwin, above that they differ ({@code EAGAIN} is 11 on Linux and 35 on Darwin), so a number is
 * named by the table of the system that produced it, found by {@link dev.pagoda.os.libc.HostOs} from
 * {@code os.name}. A failed call the caller must hear of becomes a {@link dev.pagoda.os.NativeCallException}
 * carrying the function, the number and its name.
 *
 * <p>This package uses the values {@link dev.pagoda.os.OsKind} and {@link dev.pagoda.os.NativeCallException}
 * of {@code dev.pagoda.os}; the module does not export it.
 */
package dev.pagoda.os.libc;
