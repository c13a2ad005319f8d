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
    // Live camera screen: CameraX image analysis, bound to an androidx ComponentActivity's lifecycle.
    implementation("androidx.camera:camera-camera2:1.3.4")
    implementation("androidx.camera:camera-lifecycle:1.3.4")
    implementation("androidx.activity:activity:1.8.2")
}

// The exported models and their sidecar JSON files (tflite/convert.py writes them to RUN_DIR/tflite/) are copied
// into a generated assets folder under build/ that the Android Gradle Plugin registers as an assets source folder
// of every variant (never into src/main/assets, never committed). The plugin sets the task's output directory
// (build/generated/assets/copyGraphshModels<Variant>/) and wires the task before every task that reads the assets.
val graphshModelDir: String = (project.findProperty("graphsh.modelDir") as String?) ?: "../runs/a/tflite"
val graphshModelFiles = listOf("graphsh_fp32.tflite", "graphsh_fp32.json", "graphsh_int8.tflite", "graphsh_int8.json")

// The 2D detector of the live camera screen: MoveNet SinglePose from android_demo/models/ (git-ignored), put there by
// :app:fetchMoveNet or by hand. Never committed.
val moveNetDir = rootProject.file("models")
val moveNetFiles = listOf("movenet_singlepose_lightning.tflite", "movenet_singlepose_thunder.tflite")
val moveNetVariant: String = (project.findProperty("movenet.variant") as String?) ?: "lightning"
val moveNetUrl: String = (project.findProperty("movenet.url") as String?)
    ?: "https://tfhub.dev/google/lite-model/movenet/singlepose/$moveNetVariant/tflite/int8/4?lite-format=tflite"

abstract class CopyGraphshModels : DefaultTask() {
    /** The model files looked for (missing ones are skipped: the app says which model it lacks). */
    @get:InputFiles
    @get:PathSensitive(PathSensitivity.NAME_ONLY)
    abstract val models: ConfigurableFileCollection

    /** Set by the Android Gradle Plugin (addGeneratedSourceDirectory): a folder under build/generated/. */
    @get:OutputDirectory
    abstract val outputDir: DirectoryProperty

    @get:Input
    abstract val modelDir: Property<String>

    @TaskAction
    fun copy() {
        val out = outputDir.get().asFile
        out.deleteRecursively()
        out.mkdirs()
        for (f in models.files) if (f.isFile) f.copyTo(out.resolve(f.name), overwrite = true)
        if (out.listFiles().orEmpty().none { it.name.startsWith("graphsh_") && it.name.endsWith(".tflite") }) {
            logger.warn("graphsh: no graphsh_fp32.tflite / graphsh_int8.tflite in ${modelDir.get()}; the app will say " +
                "so. Export with `python3 tflite/convert.py runs/<run>` and pass -Pgraphsh.modelDir=<run>/tflite.")
        }
    }
}

androidComponents {
    onVariants { variant ->
        val task = tasks.register<CopyGraphshModels>(
            "copyGraphshModels" + variant.name.replaceFirstChar { it.uppercase() },
        ) {
            description = "Copies graphsh_fp32/int8 .tflite + .json from -Pgraphsh.modelDir into generated assets"
            val dir = rootProject.file(graphshModelDir)
            modelDir.set(dir.path)
            models.from(graphshModelFiles.map { dir.resolve(it) })
            models.from(moveNetFiles.map { moveNetDir.resolve(it) })
        }
        variant.sources.assets?.addGeneratedSourceDirectory(task, CopyGraphshModels::outputDir)
    }
}

/** Downloads one file (a .tflite: checked for the TFLite magic) unless it is already there. */
abstract class FetchTflite : DefaultTask() {
    @get:Input
    abstract val url: Property<String>

    @get:OutputFile
    abstract val target: RegularFileProperty

    @TaskAction
    fun fetch() {
        val out = target.get().asFile
        out.parentFile.mkdirs()
        val part = out.resolveSibling(out.name + ".part")
        java.net.URI(url.get()).toURL().openStream().use { input -> part.outputStream().use { input.copyTo(it) } }
        val head = ByteArray(8)
        val n = part.inputStream().use { it.read(head) }
        if (n < 8 || String(head, 4, 4, Charsets.US_ASCII) != "TFL3") {
            part.delete()
            throw GradleException("${url.get()} did not give a .tflite file; put MoveNet SinglePose (Lightning or " +
                "Thunder, int8 or float16 .tflite) by hand at $out, or pass -Pmovenet.url=<its download address>")
        }
        if (!part.renameTo(out)) throw GradleException("cannot move $part to $out")
        logger.lifecycle("graphsh: ${out.name} (${out.length()} bytes) from ${url.get()}")
    }
}

tasks.register<FetchTflite>("fetchMoveNet") {
    description = "Downloads MoveNet SinglePose (-Pmovenet.variant=lightning|thunder, -Pmovenet.url=...) into " +
        "android_demo/models/ for the live camera screen"
    url.set(moveNetUrl)
    target.set(moveNetDir.resolve("movenet_singlepose_$moveNetVariant.tflite"))
    onlyIf { !target.get().asFile.isFile }
}
