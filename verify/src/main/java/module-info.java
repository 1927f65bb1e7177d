/**
 * Pagoda's verification kit: reference models and oracles that observe the real kernel, used by the
 * property, stress and fault-injection tests of this module and usable by anyone checking a Pagoda build.
 */
module dev.pagoda.verify {
    requires transitive dev.pagoda.os;
    requires transitive dev.pagoda.alloc;
    /** Per-thread allocation counters, for the tests that hold hot paths to zero Java garbage. */
    requires jdk.management;

    exports dev.pagoda.verify;
}
