package dev.pagoda.os;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.ENUMS;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.RECORDS;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.assignableTo;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.belongToAnyOf;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package structure of the module, checked on its compiled classes: {@code dev.pagoda.os} is the API, and the
 * engine packages below it ({@code port}, {@code platform}, {@code runtime} over {@code libc}) use from the API
 * only its values, never a class with behaviour, and form no cycle among themselves.
 */
class ArchitectureTest {
    private static final String API = "dev.pagoda.os";
    private static final String[] ENGINE = {
        "dev.pagoda.os.port..", "dev.pagoda.os.platform..", "dev.pagoda.os.runtime..", "dev.pagoda.os.libc.."};

    /** Every type of the API package, all public but the system clock behind {@link Clock#system()}. */
    private static final Set<String> API_TYPES = Set.of(
        // the memory layer
        "OsMemory", "OsMemoryStats", "MemState", "Operation", "ReleaseAdvice", "SystemOptions", "Simulation",
        "NativeCallException", "OsMemoryException", "OsOutOfMemoryException",
        // platform facts
        "Platform", "OsKind", "TransparentHugePages", "ThpMode", "ThpDefrag", "Overcommit", "Residency",
        "ProcessMemory",
        // runtime support
        "Clock", "FakeClock", "SystemClock", "Threads", "ThreadSlot", "SignalHook");

    private static JavaClasses classes;

    @BeforeAll
    static void importTheModule() {
        // The module's own classes, not its tests: surefire runs in the module's base directory.
        classes = new ClassFileImporter().importPath(Path.of("target/classes"));
    }

    @Test
    void shouldHaveNoCycleBetweenTheSubPackages() {
        slices().matching("dev.pagoda.os.(*)..").should().beFreeOfCycles().check(classes);
    }

    @Test
    void shouldKeepTheEngineOffTheApiClassesWithBehaviour() {
        noClasses().that().resideInAnyPackage(ENGINE)
            .should().dependOnClassesThat(belongToAnyOf(OsMemory.class, Simulation.class, Platform.class,
                ThreadSlot.class, SignalHook.class, Threads.class, Clock.class, FakeClock.class, SystemClock.class))
            .check(classes);
    }

    @Test
    void shouldLetTheEngineUseOnlyTheApiValues() {
        noClasses().that().resideInAnyPackage(ENGINE)
            .should().dependOnClassesThat(resideInAPackage(API)
                .and(not(RECORDS.or(ENUMS).or(assignableTo(Throwable.class))))
                .as("reside in " + API + " and are neither records, enums nor exceptions"))
            .check(classes);
    }

    @Test
    void shouldBuildTheEngineOnLibcAlone() {
        noClasses().that().resideInAPackage("dev.pagoda.os.libc..")
            .should().dependOnClassesThat().resideInAnyPackage(
                "dev.pagoda.os.port..", "dev.pagoda.os.platform..", "dev.pagoda.os.runtime..")
            .because("libc is the bottom of the engine")
            .check(classes);
        for (final String from : new String[] {"port", "platform", "runtime"}) {
            for (final String to : new String[] {"port", "platform", "runtime"}) {
                if (!from.equals(to)) {
                    noClasses().that().resideInAPackage("dev.pagoda.os." + from + "..")
                        .should().dependOnClassesThat().resideInAPackage("dev.pagoda.os." + to + "..")
                        .because("port, platform and runtime are separate ideas standing on libc")
                        .check(classes);
                }
            }
        }
    }

    @Test
    void shouldHoldOnlyTheIntendedTypesInTheApiPackage() {
        classes().that().resideInAPackage(API).and().areTopLevelClasses()
            .should(beOneOf(API_TYPES))
            .check(classes);
        classes().that().resideInAPackage(API).and().areTopLevelClasses()
            .and().doNotHaveSimpleName("SystemClock").and().doNotHaveSimpleName("package-info")
            .should().bePublic()
            .check(classes);
    }

    private static ArchCondition<JavaClass> beOneOf(final Set<String> names) {
        return new ArchCondition<>("be one of the intended API types " + names) {
            @Override
            public void check(final JavaClass item, final ConditionEvents events) {
                final boolean ok = names.contains(item.getSimpleName()) || "package-info".equals(item.getSimpleName());
                events.add(new SimpleConditionEvent(item, ok, item.getName() + " is "
                    + (ok ? "" : "not ") + "an intended API type"));
            }
        };
    }
}
