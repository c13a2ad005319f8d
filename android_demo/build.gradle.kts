// Top-level build file: plugin versions only. Needs Gradle >= 8.7 (Android Gradle Plugin 8.5) and JDK 17.
plugins {
    id("com.android.application") version "8.5.2" apply false
    id("org.jetbrains.kotlin.android") version "1.9.24" apply false
}
