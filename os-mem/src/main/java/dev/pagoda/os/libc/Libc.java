package dev.pagoda.os.libc;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The one place Pagoda binds C library functions: the native linker, the default symbol lookup and
 * the per-thread {@code errno} capture buffer that every failing call is read from.
 *
 * <p>Downcall handles are made once, in static initialisers of the classes that use them, and carry
 * {@link Linker.Option#captureCallState(String...) captureCallState("errno")}. The capture buffer is
 * per thread (a shared one would race) and is read only after a call reported failure: the linker
 * copies {@code errno} on every call, successful or not, so its value after a success is stale.
 */
public final class Libc {
    /** The native linker of the running platform. */
    public static final Linker LINKER = Linker.nativeLinker();
    /** The linker's default lookup: the C library's symbols. */
    public static final SymbolLookup LOOKUP = LINKER.defaultLookup();

    /** {@code long} / {@code size_t} / pointer-sized integer on the 64-bit platforms Pagoda supports. */
    public static final ValueLayout.OfLong C_LONG = ValueLayout.JAVA_LONG;
    /** C {@code int}. */
    public static final ValueLayout.OfInt C_INT = ValueLayout.JAVA_INT;

    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(
            MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    /** Each thread's capture buffer; GC-managed so virtual threads leave nothing behind. */
    private static final ThreadLocal<MemorySegment> CAPTURE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE_LAYOUT));

    private Libc() {
    }

    /**
     * Whether the C library exports {@code name}.
     *
     * @param name the C function's name
     * @return true if the default lookup finds it
     */
    public static boolean has(final String name) {
        return LOOKUP.find(name).isPresent();
    }

    /**
     * Binds {@code name} with an errno capture segment as its first argument.
     *
     * @param name       the C function's name
     * @param descriptor its signature, without the capture segment
     * @param extra      further linker options, for example {@link Linker.Option#firstVariadicArg(int)}
     * @return the downcall handle, taking {@link #captureBuffer()} first
     * @throws UnsupportedOperationException if the C library lacks the function
     */
    @SuppressWarnings("restricted")
    public static MethodHandle downcallWithErrno(final String name, final FunctionDescriptor descriptor,
                                          final Linker.Option... extra) {
        final Linker.Option[] options = new Linker.Option[extra.length + 1];
        options[0] = CAPTURE_ERRNO;
        System.arraycopy(extra, 0, options, 1, extra.length);
        return LINKER.downcallHandle(symbol(name), descriptor, options);
    }

    /**
     * Binds {@code name} without errno capture (for calls that cannot fail).
     *
     * @param name       the C function's name
     * @param descriptor its signature
     * @return the downcall handle
     * @throws UnsupportedOperationException if the C library lacks the function
     */
    @SuppressWarnings("restricted")
    public static MethodHandle downcall(final String name, final FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(symbol(name), descriptor);
    }

    private static MemorySegment symbol(final String name) {
        return LOOKUP.find(name).orElseThrow(
                () -> new UnsupportedOperationException("the C library has no function " + name));
    }

    /**
     * What a failed {@code MethodHandle.invokeExact} of a downcall should throw: runtime exceptions and errors
     * as they are, anything checked (which a downcall cannot really throw) wrapped with the call's name.
     *
     * @param call    what was called, for the message
     * @param failure what the invocation threw
     * @return the exception to throw; an {@link Error} is thrown from here instead
     */
    public static RuntimeException unchecked(final String call, final Throwable failure) {
        if (failure instanceof RuntimeException r) {
            return r;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(call + " failed", failure);
    }

    /**
     * The current thread's errno capture buffer, to pass as the first argument of a capturing call.
     *
     * @return this thread's buffer
     */
    public static MemorySegment captureBuffer() {
        return CAPTURE.get();
    }

    /**
     * The errno the last failing capturing call of this thread left in {@code captureBuffer()}.
     *
     * @return the error number
     */
    public static int errno() {
        return (int) ERRNO.get(CAPTURE.get(), 0L);
    }
}
