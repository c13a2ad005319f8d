plugins {
    id("com.android.application")
    id("org.jetbrains.kotlin.android")
}

android {
    namespace = "org.graphsh.demo"
    compileSdk = 34

    defaultConfig {
        applicationId = "org.graphsh.demo"
        minSdk = 24
        targetSdk = 34
        versionCode = 1
        versionName = "0.1.0"
    }

    buildTypes {
        release {
            isMinifyEnabled = false
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    kotlinOptions {
        jvmTarget = "17"
    }

    // .tflite files must stay uncompressed so the Interpreter can memory-map them from the APK.
    androidResources {
        noCompress += "tflite"
    }
}

dependencies {
    implementation(project(":lifter-core"))
    // LiteRT (the TensorFlow Lite runtime under its new name): org.tensorflow.lite.Interpreter with runSignature.
    implementation("com.google.ai.edge.litert:litert:1.0.1")
}

// Copies the exported models and their sidecar JSON files from a run folder into the assets (not committed).
val graphshRunDir: String = (project.findProperty("graphsh.runDir") as String?) ?: "../runs/latest/export"
val copyGraphshModels by tasks.registering(Copy::class) {
    description = "Copies graphsh_fp32/int8 .tflite + .json from -Pgraphsh.runDir into src/main/assets"
    from(rootProject.file(graphshRunDir)) {
        include("graphsh_fp32.tflite", "graphsh_fp32.json", "graphsh_int8.tflite", "graphsh_int8.json")
    }
    into(file("src/main/assets"))
    doLast {
        val assets = file("src/main/assets")
        if (!assets.resolve("graphsh_fp32.tflite").exists() && !assets.resolve("graphsh_int8.tflite").exists()) {
            logger.warn("graphsh: no model found in ${rootProject.file(graphshRunDir)}; the app will say so. " +
                "Pass -Pgraphsh.runDir=<folder with graphsh_fp32.tflite + graphsh_fp32.json>.")
        }
    }
}
tasks.named("preBuild") { dependsOn(copyGraphshModels) }
