"""The Android app's Kotlin sources compile: a type error in the app fails CI.

No reachable registry ships ``android.jar``, CameraX or LiteRT, so the app (android_demo/app/src/main/java/**.kt)
is compiled with the Kotlin compiler of the app's Kotlin plugin version (npm package ``kotlin-compiler``, installed
by .ci/run into android_demo/.tools/) against

* ``lifter-core`` compiled with ``javac --release 17``, and
* android_demo/compile-stubs/java: exactly the Android / AndroidX / CameraX / LiteRT / org.json signatures the app
  calls, written from the public API reference (bodies throw; compile-only). android_demo/README.md says what this
  does and does not check.

Skips (with the reason) only when the JDK or kotlinc is missing *and* the environment variable CI is not set; in CI
a missing tool is a failure.
"""
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "android_demo"
STUBS = DEMO / "compile-stubs" / "java"
CORE_SRC = DEMO / "lifter-core" / "src" / "main" / "java"
APP_SRC = DEMO / "app" / "src" / "main" / "java"
NPM_KOTLIN = DEMO / ".tools" / "node_modules" / "kotlin-compiler"
TIMEOUT = 600


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _missing(what: str):
    msg = (f"{what}; .ci/run installs it (Debian default-jdk-headless; "
           f"npm install --prefix android_demo/.tools kotlin-compiler@{kotlin_plugin_version()})")
    if _in_ci():
        pytest.fail(f"CI is set, so the app compile check must run: {msg}")
    pytest.skip(msg)


def kotlin_plugin_version() -> str:
    m = re.search(r'id\("org\.jetbrains\.kotlin\.android"\)\s+version\s+"([^"]+)"',
                  (DEMO / "build.gradle.kts").read_text())
    assert m, "android_demo/build.gradle.kts declares the Kotlin Android plugin with a version"
    return m.group(1)


def _kotlinc():
    """(path, version) of the Kotlin compiler: $KOTLINC, the npm install in android_demo/.tools, or PATH."""
    if os.environ.get("KOTLINC"):
        path = shutil.which(os.environ["KOTLINC"])
        return (path, None) if path else (None, None)
    local = NPM_KOTLIN / "bin" / "kotlinc"
    if local.is_file():
        return str(local), json.loads((NPM_KOTLIN / "package.json").read_text())["version"]
    found = shutil.which("kotlinc")
    return (found, None) if found else (None, None)


def _run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, **kw)
    return r.returncode, (r.stdout + r.stderr).strip()


def _version_of(kotlinc: str) -> str:
    _, out = _run([kotlinc, "-version"])
    m = re.search(r"kotlinc-jvm (\d+\.\d+\.\d+)", out)
    return m.group(1) if m else out


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    """javac the stubs and lifter-core; returns (kotlinc, classpath, tmp dir)."""
    if shutil.which("javac") is None or shutil.which("java") is None:
        _missing("no JDK (javac/java) on PATH")
    kotlinc, version = _kotlinc()
    if kotlinc is None:
        _missing("no Kotlin compiler (android_demo/.tools/node_modules/kotlin-compiler, $KOTLINC or kotlinc on PATH)")
    want = kotlin_plugin_version()
    version = version or _version_of(kotlinc)
    if version != want:
        msg = f"kotlinc {version} at {kotlinc}, the app's Kotlin plugin is {want}"
        if _in_ci():
            pytest.fail(msg)
        pytest.skip(msg + f" (npm install --prefix android_demo/.tools kotlin-compiler@{want})")
    tmp = tmp_path_factory.mktemp("android_compile")
    stubs, core = tmp / "stubs", tmp / "core"
    for out, src in ((stubs, STUBS), (core, CORE_SRC)):
        files = sorted(str(p) for p in src.rglob("*.java"))
        assert files, f"no Java sources under {src}"
        rc, log = _run(["javac", "--release", "17", "-Xlint:none", "-d", str(out)] + files)
        assert rc == 0, f"javac {src.relative_to(ROOT)} failed:\n{log}"
    return kotlinc, f"{stubs}{os.pathsep}{core}", tmp


def _kotlinc_cmd(kotlinc, classpath, out, sources):
    return [kotlinc, "-jvm-target", "17", "-no-reflect", "-cp", classpath, "-d", str(out)] + [str(s) for s in sources]


def test_app_kotlin_sources_compile_against_lifter_core_and_api_stubs(compiled):
    kotlinc, classpath, tmp = compiled
    sources = sorted(APP_SRC.rglob("*.kt"))
    assert len(sources) >= 6, sources
    rc, log = _run(_kotlinc_cmd(kotlinc, classpath, tmp / "app", sources))
    assert rc == 0, f"the app does not compile:\n{log}"
    # every activity in the manifest is a compiled class
    manifest = (DEMO / "app" / "src" / "main" / "AndroidManifest.xml").read_text()
    for name in re.findall(r'<activity\s+android:name="\.(\w+)"', manifest):
        assert (tmp / "app" / "org" / "graphsh" / "demo" / f"{name}.class").is_file(), name


def test_a_type_error_fails_the_compile(compiled):
    """The check has teeth: a wrong argument type against a stubbed API and against lifter-core are errors."""
    kotlinc, classpath, tmp = compiled
    bad = tmp / "Broken.kt"
    bad.write_text(
        "package org.graphsh.demo\n"
        "fun broken(): Int {\n"
        "    org.tensorflow.lite.Interpreter.Options().setNumThreads(\"2\")\n"
        "    return org.graphsh.lifter.Normalization.FORMULA\n"
        "}\n")
    rc, log = _run(_kotlinc_cmd(kotlinc, classpath, tmp / "broken", [bad]))
    assert rc != 0, log
    assert "type mismatch" in log.lower(), log


def test_every_stub_class_is_used_by_the_app():
    """The stubs hold what the app calls (with the supertypes, checked exceptions and result types those calls
    need to type-check), nothing else."""
    app = "\n".join(p.read_text() for p in APP_SRC.rglob("*.kt"))
    stubs = {p.stem: p.read_text() for p in STUBS.rglob("*.java")}
    assert stubs, STUBS
    needed = set()
    for text in stubs.values():
        for m in re.finditer(r"\b(?:extends|implements)\b([^{]*)\{", text):  # supertypes
            needed |= set(re.findall(r"\b([A-Z]\w*)", m.group(1)))
        for m in re.finditer(r"\bthrows\s+([\w.,\s]+?)\s*[{;]", text):  # checked exceptions of stubbed methods
            needed |= set(re.findall(r"\b([A-Z]\w*)", m.group(1)))
        # types the app reaches through a stubbed call's result (context.assets, openFd(...), image.imageInfo)
        needed |= set(re.findall(r"^\s*(?:(?:public|protected|static|final|abstract|@Override)\s+)*"
                                 r"([A-Z]\w*)(?:<[^>]*>)?(?:\[\])?\s+\w+\s*\(", text, re.M))
    unused = sorted(n for n in stubs if not re.search(rf"\b{n}\b", app) and n not in needed)
    assert not unused, f"stub classes the app does not use: {unused}"


def test_app_passes_the_sidecar_input_normalization_to_both_encode_paths():
    """A model trained with --input-norm pose works in the app: Sidecar.parse reads input.normalization through
    lifter-core's InputNorm.fromSidecar (both strings accepted, others an error naming the field) and TfliteLifter.run
    hands it to the float and the int8 encoding (lifter-core's PoseNormGoldenTest pins those against Python); the
    same for input.channels (InputChannels, pinned by ConfidenceGoldenTest)."""
    src = (APP_SRC / "org" / "graphsh" / "demo" / "TfliteLifter.kt").read_text()
    assert re.search(r"InputNorm\.fromSidecar\(\s*input\.opt\(\"normalization\"\)", src)
    assert re.search(r"LifterCore\.encodeFloatInput\([^)]*sidecar\.inputNorm,\s*sidecar\.inputChannels\)", src)
    assert re.search(r"LifterCore\.encodeInt8Input\([^)]*sidecar\.inputNorm,\s*sidecar\.inputChannels\)", src)
    # a model with a confidence channel: input.channels read by lifter-core, the input tensor checked at [1, 16, C]
    assert re.search(r"InputChannels\.fromSidecar\(", src)
    assert re.search(r"intArrayOf\(1, 16, sidecar\.inputChannels\.count\(\)\)", src)
    assert "Normalization.FORMULA" not in src  # the old screen-only check is gone

def test_missing_tools_fail_in_ci_and_skip_outside(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI is set.*kotlin-compiler@"):
        _missing("no Kotlin compiler")
    for value in ("", "0", "false"):
        monkeypatch.setenv("CI", value)
        with pytest.raises(pytest.skip.Exception, match="no Kotlin compiler"):
            _missing("no Kotlin compiler")


def test_ci_installs_the_compiler_of_the_plugin_version():
    ci = (ROOT / ".ci" / "run").read_text()
    assert f"kotlin-compiler@{kotlin_plugin_version()}" in ci
    assert "--prefix android_demo/.tools" in ci
    assert re.search(r"^\s*export CI=", ci, re.M)
    assert [line for line in ci.splitlines() if line.strip() and not line.lstrip().startswith("#")][-1].strip() \
        == "python3 -m pytest"
