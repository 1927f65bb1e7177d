package dev.pagoda.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.pagoda.os.platform.FactFiles;
import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TransparentHugePagesTest {
    @TempDir
    Path root;

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.pagoda.os.platform.FactFilesTest#enabledFormats")
    void shouldReadEnabledFromSysfs(final String name, final String text, final ThpMode expected) {
        final Platform platform = new FakeRoot(root).write(FactFiles.THP_ENABLED, text).platform();
        assertEquals(expected, platform.thp().enabled(), name);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.pagoda.os.platform.FactFilesTest#defragFormats")
    void shouldReadDefragFromSysfs(final String name, final String text, final ThpDefrag expected) {
        final Platform platform = new FakeRoot(root).write(FactFiles.THP_DEFRAG, text).platform();
        assertEquals(expected, platform.thp().defrag(), name);
    }

    @Test
    void shouldReportUnknownWhenFilesAreMissing() {
        final TransparentHugePages thp = new FakeRoot(root).platform().thp();
        assertEquals(ThpMode.UNKNOWN, thp.enabled());
        assertEquals(ThpDefrag.UNKNOWN, thp.defrag());
        assertEquals(OptionalInt.empty(), thp.maxPtesNone());
        assertEquals(TransparentHugePages.unknown(), thp);
        assertFalse(thp.madviseHugePagesWork());
    }

    @Test
    void shouldFallBackToRhel6Location() {
        final TransparentHugePages thp = new FakeRoot(root)
                .write(FactFiles.RHEL_THP_ENABLED, "[always] madvise never\n")
                .write(FactFiles.RHEL_THP_DEFRAG, "always [madvise] never\n")
                .write(FactFiles.RHEL_THP_MAX_PTES_NONE, "511\n")
                .platform().thp();
        assertEquals(ThpMode.ALWAYS, thp.enabled());
        assertEquals(ThpDefrag.MADVISE, thp.defrag());
        assertEquals(OptionalInt.of(511), thp.maxPtesNone());
    }

    @Test
    void shouldPreferMainlineLocationOverRhel6() {
        final TransparentHugePages thp = new FakeRoot(root)
                .write(FactFiles.THP_ENABLED, "always madvise [never]\n")
                .write(FactFiles.RHEL_THP_ENABLED, "[always] madvise never\n")
                .write(FactFiles.THP_DEFRAG, "always defer defer+madvise madvise [never]\n")
                .write(FactFiles.RHEL_THP_DEFRAG, "[always] madvise never\n")
                .platform().thp();
        assertEquals(ThpMode.NEVER, thp.enabled());
        assertEquals(ThpDefrag.NEVER, thp.defrag());
    }

    @Test
    void shouldNotFallBackWhenMainlineFileIsMalformed() {
        final TransparentHugePages thp = new FakeRoot(root)
                .write(FactFiles.THP_ENABLED, "garbage\n")
                .write(FactFiles.RHEL_THP_ENABLED, "[always] madvise never\n")
                .platform().thp();
        assertEquals(ThpMode.UNKNOWN, thp.enabled());
    }

    static Stream<Arguments> maxPtesNoneValues() {
        return Stream.of(
                arguments("511\n", OptionalInt.of(511)),
                arguments("0\n", OptionalInt.of(0)),
                arguments(" 64 ", OptionalInt.of(64)),
                arguments("-1\n", OptionalInt.empty()),
                arguments("abc\n", OptionalInt.empty()),
                arguments("", OptionalInt.empty()),
                arguments("99999999999\n", OptionalInt.empty()),
                arguments("5 11\n", OptionalInt.empty()));
    }

    @ParameterizedTest
    @MethodSource("maxPtesNoneValues")
    void shouldReadMaxPtesNone(final String text, final OptionalInt expected) {
        final Platform platform = new FakeRoot(root).write(FactFiles.THP_MAX_PTES_NONE, text).platform();
        assertEquals(expected, platform.thp().maxPtesNone());
    }

    @Test
    void shouldTellWhetherMadviseHugePagesWork() {
        assertTrue(thp(ThpMode.ALWAYS).madviseHugePagesWork());
        assertTrue(thp(ThpMode.MADVISE).madviseHugePagesWork());
        assertFalse(thp(ThpMode.NEVER).madviseHugePagesWork());
        assertFalse(thp(ThpMode.UNKNOWN).madviseHugePagesWork());
        assertTrue(thp(ThpMode.ALWAYS).hugePagesByDefault());
        assertFalse(thp(ThpMode.MADVISE).hugePagesByDefault());
    }

    @Test
    void shouldPrintSettingsInKernelWords() {
        assertEquals("enabled=madvise, defrag=defer+madvise, max_ptes_none=511",
                new TransparentHugePages(ThpMode.MADVISE, ThpDefrag.DEFER_MADVISE, OptionalInt.of(511)).toString());
        assertEquals("enabled=unknown, defrag=unknown, max_ptes_none=unknown",
                TransparentHugePages.unknown().toString());
    }

    @Test
    void shouldRejectNullComponents() {
        assertThrows(NullPointerException.class,
                () -> new TransparentHugePages(null, ThpDefrag.NEVER, OptionalInt.empty()));
        assertThrows(NullPointerException.class,
                () -> new TransparentHugePages(ThpMode.NEVER, null, OptionalInt.empty()));
        assertThrows(NullPointerException.class, () -> new TransparentHugePages(ThpMode.NEVER, ThpDefrag.NEVER, null));
    }

    @Test
    void shouldShareUnknownInstance() {
        assertSame(TransparentHugePages.unknown(), TransparentHugePages.unknown());
    }

    private static TransparentHugePages thp(final ThpMode mode) {
        return new TransparentHugePages(mode, ThpDefrag.UNKNOWN, OptionalInt.empty());
    }
}
