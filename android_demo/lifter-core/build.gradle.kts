// Plain Java 17 library: no Android imports, no runtime dependencies. Unit tests read the golden vectors that
// tools/write_golden.py writes with the Python implementation (tests/fixtures/golden/*.json), and the camera-path
// vectors of tests/test_android_camera_golden.py (src/test/resources/golden/camera.json, on the test classpath).
plugins {
    `java-library`
}

// Java 17 bytecode and API from whatever JDK runs Gradle (17 or newer; Android Gradle Plugin 8.5 needs 17 anyway):
// no toolchain, so nothing to resolve or download.
java {
    sourceCompatibility = JavaVersion.VERSION_17
    targetCompatibility = JavaVersion.VERSION_17
}

tasks.withType<JavaCompile>().configureEach {
    options.release.set(17)
}

dependencies {
    testImplementation("junit:junit:4.13.2")
}

tasks.test {
    systemProperty("golden.dir", rootProject.file("../tests/fixtures/golden").absolutePath)
    inputs.dir(rootProject.file("../tests/fixtures/golden"))
}
