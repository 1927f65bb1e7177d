package dev.pagoda.alloc;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Set;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The allocator's architecture, held to with ArchUnit over the module's compiled classes: one API package that holds
 * only what a user names, engine packages by concept with dependencies flowing one way and no cycle, and an engine
 * that uses the API's value types but never its classes with behaviour.
 */
class ArchitectureTest {
    private static final String API = "dev.pagoda.alloc";
    /** The API's classes with behaviour: the engine gets what it needs from them through its own types. */
    private static final String[] BEHAVIOUR = {
        "dev.pagoda.alloc.Heap", "dev.pagoda.alloc.HeapBuilder", "dev.pagoda.alloc.PageHeap",
        "dev.pagoda.alloc.PageHeapBuilder", "dev.pagoda.alloc.AgronaViews",
    };
    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().importPath(Path.of("target/classes"));
    }

    @Test
    void noCycleBetweenEnginePackages() {
        slices().matching("dev.pagoda.alloc.(*)..").should().beFreeOfCycles().check(classes);
    }

    @Test
    void theEngineNeverUsesTheApisClassesWithBehaviour() {
        noClasses().that().resideOutsideOfPackage(API)
                .should().dependOnClassesThat(nameIn(BEHAVIOUR))
                .because("the engine gets what it needs from Heap and PageHeap through its own types")
                .check(classes);
    }

    @Test
    void theSmallObjectEngineSitsOnThePageHeapWhichSitsOnThePageAllocator() {
        noClasses().that().resideInAPackage("..alloc.pagealloc..")
                .should().dependOnClassesThat().resideInAnyPackage("..alloc.pageheap..", "..alloc.small..",
                        "..alloc.scavenge..", "..alloc.monitor..", "..alloc.events..")
                .check(classes);
        noClasses().that().resideInAPackage("..alloc.pageheap..")
                .should().dependOnClassesThat().resideInAnyPackage("..alloc.small..", "..alloc.scavenge..",
                        "..alloc.monitor..")
                .check(classes);
        noClasses().that().resideInAPackage("..alloc.small..")
                .should().dependOnClassesThat().resideInAnyPackage("..alloc.scavenge..", "..alloc.monitor..")
                .check(classes);
    }

    @Test
    void theScavengerAndTheMonitorStandBesideTheEngineNeverUnderIt() {
        noClasses().that().resideInAnyPackage("..alloc.pagealloc..", "..alloc.pageheap..", "..alloc.small..",
                        "..alloc.events..")
                .should().dependOnClassesThat().resideInAnyPackage("..alloc.scavenge..", "..alloc.monitor..")
                .check(classes);
        classes().that().resideInAPackage("..alloc.events..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("..alloc.events..", "java..", "jdk..")
                .because("the events are a leaf every layer may report through")
                .check(classes);
    }

    @Test
    void theApiPackageHoldsOnlyWhatAUserNames() {
        final ArchRule rule = classes().that().resideInAPackage(API).and().areTopLevelClasses()
                .and().doNotHaveSimpleName("package-info")
                .should().bePublic();
        rule.check(classes);
        final Set<String> api = Set.of("AgronaViews", "Heap", "HeapBuilder", "HeapMXBean", "HeapResidency",
                "HeapStats", "HugePagePolicy", "HugePageReport", "LiveAllocation", "LocalHeap", "PageHeap", "PageHeapBuilder",
                "PageHeapStats", "PagodaOutOfMemoryError", "ReclaimStats", "Reclaimer", "ScavengerStats",
                "SizeClassStats");
        final Set<String> found = new java.util.TreeSet<>();
        classes.stream().filter(c -> c.getPackageName().equals(API) && c.isTopLevelClass()
                && !c.getSimpleName().equals("package-info")).forEach(c -> found.add(c.getSimpleName()));
        assertEquals(new java.util.TreeSet<>(api), found);
    }

    private static com.tngtech.archunit.base.DescribedPredicate<com.tngtech.archunit.core.domain.JavaClass> nameIn(
            final String... names) {
        final Set<String> set = Set.of(names);
        return com.tngtech.archunit.base.DescribedPredicate.describe("one of " + set,
                c -> set.contains(c.getName()));
    }
}
