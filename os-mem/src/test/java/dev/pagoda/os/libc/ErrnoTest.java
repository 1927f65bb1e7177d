package dev.pagoda.os.libc;

import dev.pagoda.os.OsKind;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ErrnoTest {
    @ParameterizedTest
    @CsvSource({
            "1, EPERM", "2, ENOENT", "4, EINTR", "5, EIO", "9, EBADF", "11, EAGAIN", "12, ENOMEM", "13, EACCES",
            "14, EFAULT", "16, EBUSY", "17, EEXIST", "22, EINVAL", "28, ENOSPC", "35, EDEADLK", "38, ENOSYS",
            "75, EOVERFLOW", "95, EOPNOTSUPP", "110, ETIMEDOUT"})
    void shouldNameLinuxErrno(final int errno, final String name) {
        assertEquals(name, Errno.name(errno));
        assertEquals(name, Errno.name(OsKind.LINUX, errno));
    }

    @ParameterizedTest
    @CsvSource({
            "1, EPERM", "2, ENOENT", "4, EINTR", "5, EIO", "9, EBADF", "11, EDEADLK", "12, ENOMEM", "13, EACCES",
            "14, EFAULT", "16, EBUSY", "17, EEXIST", "22, EINVAL", "28, ENOSPC", "35, EAGAIN", "45, ENOTSUP",
            "78, ENOSYS", "84, EOVERFLOW", "102, EOPNOTSUPP"})
    void shouldNameDarwinErrno(final int errno, final String name) {
        assertEquals(name, Errno.darwinName(errno));
        assertEquals(name, Errno.name(OsKind.DARWIN, errno));
    }

    @Test
    void shouldKeepConstantsInStepWithNames() {
        assertEquals("EAGAIN", Errno.name(Errno.EAGAIN));
        assertEquals("ENOMEM", Errno.name(Errno.ENOMEM));
        assertEquals("EINVAL", Errno.name(Errno.EINVAL));
        assertEquals("ENOSYS", Errno.name(Errno.ENOSYS));
        assertEquals("EOVERFLOW", Errno.name(Errno.EOVERFLOW));
        assertEquals("EOPNOTSUPP", Errno.name(Errno.EOPNOTSUPP));
        assertEquals("EAGAIN", Errno.darwinName(Errno.DARWIN_EAGAIN));
        assertEquals("ENOSYS", Errno.darwinName(Errno.DARWIN_ENOSYS));
        assertEquals("EOVERFLOW", Errno.darwinName(Errno.DARWIN_EOVERFLOW));
        assertEquals("EOPNOTSUPP", Errno.darwinName(Errno.DARWIN_EOPNOTSUPP));
    }

    @Test
    void shouldNameUnknownNumbers() {
        assertEquals("UNKNOWN(0)", Errno.name(0));
        assertEquals("UNKNOWN(-1)", Errno.name(-1));
        assertEquals("UNKNOWN(9999)", Errno.darwinName(9999));
        assertEquals("UNKNOWN(110)", Errno.darwinName(110));
    }

    @Test
    void shouldNameTheErrnoOfACallThatFailedOnThisSystem() {
        assertEquals("ENOMEM", Errno.callFailed("mmap", Errno.ENOMEM, "").errnoName());
    }
}
