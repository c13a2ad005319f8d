// Plain Java 17 library: no Android imports, no runtime dependencies. Unit tests read the golden vectors that
// tools/write_golden.py writes with the Python implementation (tests/fixtures/golden/*.json).
plugins {
    `java-library`
}

java {
    toolchain {
        languageVersion.set(JavaLanguageVersion.of(17))
    }
}

dependencies {
    testImplementation("junit:junit:4.13.2")
}

tasks.test {
    systemProperty("golden.dir", rootProject.file("../tests/fixtures/golden").absolutePath)
    inputs.dir(rootProject.file("../tests/fixtures/golden"))
}
