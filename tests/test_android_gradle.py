"""The Android demo's Gradle files, read as text (no Android SDK or Gradle here): where the models come from, where
they go, and that nothing needs a download beyond the plugins and libraries.

* ``graphsh.modelDir`` (gradle.properties, and the same default in app/build.gradle.kts) is a ``tflite`` folder,
  the one ``tflite/convert.py RUN_DIR`` writes (``RUN_DIR/tflite``).
* The copy task writes into a generated folder under ``build/`` registered as an assets source folder of every
  variant (``variant.sources.assets.addGeneratedSourceDirectory``: the Android Gradle Plugin sets the task's output
  to ``build/generated/assets/<task>/`` and makes every asset reader depend on it), never ``src/main/assets``.
* ``lifter-core`` compiles with ``options.release = 17``, not a toolchain (which would need a resolver).
"""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "android_demo"
APP_GRADLE = DEMO / "app" / "build.gradle.kts"


def _code(path: Path) -> str:
    """Kotlin DSL text without // comments (so commented-out lines cannot satisfy a check)."""
    return "\n".join(re.sub(r"(^|\s)//.*$", "", line) for line in path.read_text().splitlines())


def _properties() -> dict:
    out = {}
    for line in (DEMO / "gradle.properties").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            k, v = line.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def _convert_output_folder() -> str:
    """The folder name tflite/convert.py writes into under RUN_DIR, from its help text or the package's run layout."""
    found = set(re.findall(r"RUN_DIR/(\w+)", (ROOT / "tflite" / "convert.py").read_text()))
    for py in (ROOT / "graphsh_tf").rglob("*.py"):
        text = py.read_text()
        found |= set(re.findall(r"tflite_dir\s*=.*?/\s*\"(\w+)\"", text))
        found |= set(re.findall(r"default ``RUN_DIR/(\w+)``", text))
    assert found, "cannot find where tflite/convert.py writes its models (RUN_DIR/<folder>)"
    assert len(found) == 1, f"tflite/convert.py and graphsh_tf disagree on the export folder: {sorted(found)}"
    return found.pop()


def test_model_dir_is_where_convert_writes():
    folder = _convert_output_folder()
    assert folder == "tflite"
    model_dir = _properties()["graphsh.modelDir"]
    assert Path(model_dir).name == folder, f"graphsh.modelDir={model_dir}: convert.py writes RUN_DIR/{folder}/"
    assert model_dir.startswith("../runs/"), model_dir  # relative to android_demo/: the repository's runs/
    # the build file's fallback is the same folder, and reads the same property
    code = _code(APP_GRADLE)
    m = re.search(r'findProperty\("graphsh\.modelDir"\)[^\n]*\?:\s*"([^"]+)"', code)
    assert m, "app/build.gradle.kts must read -Pgraphsh.modelDir with a default"
    assert m.group(1) == model_dir
    assert "graphsh.runDir" not in code and "/export" not in code


def test_copied_file_names_are_the_ones_convert_writes_and_the_app_opens():
    code = _code(APP_GRADLE)
    copied = set(re.findall(r'"(graphsh_\w+\.(?:tflite|json))"', code))
    assert copied == {"graphsh_fp32.tflite", "graphsh_fp32.json", "graphsh_int8.tflite", "graphsh_int8.json"}
    lifter = (DEMO / "app" / "src" / "main" / "java" / "org" / "graphsh" / "demo" / "TfliteLifter.kt").read_text()
    assert {n for n in copied if n.endswith(".tflite")} <= set(re.findall(r'"(graphsh_\w+\.tflite)"', lifter))
    # convert.py's names: graphsh_<variant>.tflite with a <same stem>.json sidecar
    assert re.search(r"graphsh_\{?\w", (ROOT / "tflite" / "convert.py").read_text())


def test_models_are_copied_into_a_generated_assets_folder_under_build():
    code = _code(APP_GRADLE)
    assert "src/main/assets" not in code, "the copy task must not write into src/main/assets"
    # the task class: a declared output directory property ...
    m = re.search(r"abstract class (\w+)\s*:\s*DefaultTask\(\)\s*\{(.*?)\n\}", code, re.S)
    assert m, "a copy task class (abstract class X : DefaultTask())"
    task_class, body = m.group(1), m.group(2)
    out = re.search(r"@get:OutputDirectory\s+abstract val (\w+)\s*:\s*DirectoryProperty", body)
    assert out, "the copy task declares its destination as @get:OutputDirectory DirectoryProperty"
    assert f"{out.group(1)}.get()" in body
    # ... which the Android Gradle Plugin sets (under build/generated/) and registers as assets of every variant
    assert re.search(r"androidComponents\s*\{\s*onVariants\s*\{", code)
    reg = re.search(rf"sources\.assets\??\.addGeneratedSourceDirectory\(\s*\w+\s*,\s*{task_class}::(\w+)\s*\)", code)
    assert reg and reg.group(1) == out.group(1)
    # nobody else sets the destination (to a folder outside build/)
    assert not re.search(rf"\b{out.group(1)}\s*\.set\(", code)
    assert "tasks.register<" + task_class + ">" in code.replace(" ", "")
    # no leftover manual wiring of the old task
    assert 'named("preBuild")' not in code and "into(" not in code


def test_gitignore_keeps_models_and_compiler_out():
    ignore = (DEMO / ".gitignore").read_text().split()
    assert "build/" in ignore and "app/src/main/assets/*.tflite" in ignore
    assert ".tools/" in ignore and "node_modules/" in ignore
    assert "models/" in ignore  # the MoveNet detector is never committed


def test_movenet_detector_reaches_the_generated_assets():
    code = _code(APP_GRADLE)
    app_src = DEMO / "app" / "src" / "main"
    detector = (app_src / "java" / "org" / "graphsh" / "demo" / "MoveNetDetector.kt").read_text()
    names = set(re.findall(r'"(movenet_singlepose_\w+\.tflite)"', code))
    assert names == set(re.findall(r'"(movenet_singlepose_\w+\.tflite)"', detector)) == {
        "movenet_singlepose_lightning.tflite", "movenet_singlepose_thunder.tflite"}
    assert 'rootProject.file("models")' in code  # android_demo/models, git-ignored
    assert re.search(r"models\.from\(moveNetFiles\.map", code)
    # fetched on request only (network), into the same folder, never over an existing file
    assert re.search(r'tasks\.register<FetchTflite>\("fetchMoveNet"\)', code)
    assert "onlyIf { !target.get().asFile.isFile }" in code and '"TFL3"' in code
    # CameraX needs AndroidX and the camera permission
    assert _properties()["android.useAndroidX"] == "true"
    manifest = (app_src / "AndroidManifest.xml").read_text()
    assert 'android.permission.CAMERA' in manifest and 'android:name=".CameraActivity"' in manifest
    for dep in ("androidx.camera:camera-camera2:", "androidx.camera:camera-lifecycle:", "androidx.activity:activity:"):
        assert dep in code


def test_lifter_core_needs_no_toolchain_download():
    code = _code(DEMO / "lifter-core" / "build.gradle.kts")
    assert "toolchain" not in code
    assert re.search(r"options\.release\.set\(17\)", code)
    assert "JavaVersion.VERSION_17" in code
    settings = _code(DEMO / "settings.gradle.kts")
    assert "foojay" not in settings  # nothing to download a JDK


def test_readme_follows_the_real_layout():
    readme = (DEMO / "README.md").read_text()
    assert "graphsh.modelDir" in readme and "graphsh.runDir" not in readme
    assert "/export" not in readme
    assert "tflite/convert.py runs/" in readme
