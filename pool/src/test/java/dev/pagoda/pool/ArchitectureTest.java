package dev.pagoda.pool;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.belongToAnyOf;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The pool's package structure, on its compiled classes: the API package holds only what a user names, and the
 * engine uses the API's values and interfaces but never {@link BufferPool} or its builder.
 */
class ArchitectureTest {
    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().importPath(Path.of("target/classes"));
    }

    @Test
    void theEngineNeverUsesTheApisClassesWithBehaviour() {
        noClasses().that().resideInAPackage("dev.pagoda.pool.engine..")
                .should().dependOnClassesThat(belongToAnyOf(BufferPool.class, BufferPoolBuilder.class))
                .because("BufferPool is the engine's face, not its part")
                .check(classes);
    }

    @Test
    void theApiPackageHoldsOnlyWhatAUserNames() {
        final Set<String> api = new TreeSet<>();
        classes.stream().filter(c -> c.getPackageName().equals("dev.pagoda.pool") && c.isTopLevelClass()
                        && !c.getSimpleName().equals("package-info"))
                .forEach(c -> api.add(c.getSimpleName()));
        assertEquals(new TreeSet<>(Set.of("BufferPool", "BufferPoolBuilder", "BufferPoolMXBean", "BufferPoolStats",
                "PageReader")), api);
    }
}
