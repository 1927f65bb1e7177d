package dev.pagoda.os.platform;

import dev.pagoda.os.libc.Libc;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The facts read by a C call rather than from a file: the page size by {@code sysconf(_SC_PAGESIZE)} on Linux,
 * and Darwin's {@code sysctlbyname} variables. Each binds its function on use: they are called once per
 * process, by {@link dev.pagoda.os.Platform#current()}.
 */
public final class NativeFacts {
    /** {@code _SC_PAGESIZE} for {@code sysconf(3)} on Linux (glibc and musl, every architecture). */
    static final int LINUX_SC_PAGESIZE = 30;
    /** {@code _SC_PAGESIZE} on Darwin; unused: Darwin's page size comes from {@code sysctlbyname}. */
    static final int DARWIN_SC_PAGESIZE = 29;

    private NativeFacts() {
    }

    /**
     * {@code sysconf(_SC_PAGESIZE)}.
     *
     * @return the page size in bytes; 0 if the call fails
     */
    public static long linuxPageSize() {
        final MethodHandle sysconf = Libc.downcall("sysconf", FunctionDescriptor.of(Libc.C_LONG, Libc.C_INT));
        try {
            final long size = (long) sysconf.invokeExact(LINUX_SC_PAGESIZE);
            return Math.max(size, 0L);
        } catch (final Throwable ex) {
            throw Libc.unchecked("sysconf", ex);
        }
    }

    /**
     * A numeric Darwin sysctl. The kernel writes 4 or 8 bytes depending on the variable (and, for some, on the
     * buffer offered), so an 8-byte buffer is offered and the length it reports decides.
     *
     * @param name the variable, for example {@code "hw.pagesize"}
     * @return its value; 0 if the call fails or the value is negative
     */
    public static long darwinSysctlLong(final String name) {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment value = arena.allocate(Long.BYTES, Long.BYTES);
            final MemorySegment length = arena.allocate(Libc.C_LONG);
            length.set(Libc.C_LONG, 0L, Long.BYTES);
            final int rc = (int) sysctlbyname().invokeExact(arena.allocateFrom(name), value, length,
                    MemorySegment.NULL, 0L);
            if (rc != 0) {
                return 0L;
            }
            final long written = length.get(Libc.C_LONG, 0L);
            final long result = written == Integer.BYTES ? value.get(ValueLayout.JAVA_INT, 0L) :
                    written == Long.BYTES ? value.get(ValueLayout.JAVA_LONG, 0L) : 0L;
            return Math.max(result, 0L);
        } catch (final Throwable ex) {
            throw Libc.unchecked("sysctlbyname", ex);
        }
    }

    /**
     * A string Darwin sysctl, at most 255 bytes.
     *
     * @param name the variable, for example {@code "kern.osrelease"}
     * @return its value; {@code null} if the call fails
     */
    public static String darwinSysctlString(final String name) {
        final int capacity = 256;
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment value = arena.allocate(capacity);
            final MemorySegment length = arena.allocate(Libc.C_LONG);
            length.set(Libc.C_LONG, 0L, capacity - 1);
            final int rc = (int) sysctlbyname().invokeExact(arena.allocateFrom(name), value, length,
                    MemorySegment.NULL, 0L);
            return rc == 0 ? value.getString(0L) : null;
        } catch (final Throwable ex) {
            throw Libc.unchecked("sysctlbyname", ex);
        }
    }

    /** {@code int sysctlbyname(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen)}. */
    private static MethodHandle sysctlbyname() {
        return Libc.downcall("sysctlbyname", FunctionDescriptor.of(Libc.C_INT,
                ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, Libc.C_LONG));
    }
}
