"""Cross-language check: golden vectors are up to date, and the Java lifter-core reproduces them.

(a) tools/write_golden.py regenerates the golden files into a tmp dir; they must equal the committed ones
    (pose_norm.json included: the input of input_norm="pose" models; confidence.json: the (x, y, confidence) input).
(b) With ``javac`` and JUnit 4 (Debian packages ``junit4`` and ``libhamcrest-java``), lifter-core's main and test
    sources are compiled into a tmp dir and ``org.junit.runner.JUnitCore`` runs them against the golden files
    (tests/fixtures/golden, and lifter-core's own test resources). Without the JDK or JUnit this skips, saying what
    to install, except when the environment variable CI is set (.ci/run sets it): then it fails, because a
    cross-check that silently did not run is a hole.
"""
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "fixtures" / "golden"
SAMPLES = ROOT / "android_demo" / "app" / "src" / "main" / "assets" / "samples.json"
CORE = ROOT / "android_demo" / "lifter-core"
TEST_RESOURCES = CORE / "src" / "test" / "resources"
JUNIT_JARS = [Path("/usr/share/java/junit4.jar"), Path("/usr/share/java/hamcrest-core.jar")]


def _writer():
    spec = importlib.util.spec_from_file_location("write_golden", ROOT / "tools" / "write_golden.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _assert_same(a, b, where="$"):
    if isinstance(a, dict):
        assert isinstance(b, dict) and sorted(a) == sorted(b), f"{where}: keys {sorted(b)} != {sorted(a)}"
        for k in a:
            _assert_same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), f"{where}: length differs"
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and isinstance(b, (int, float)):
        assert np.isclose(a, b, rtol=1e-9, atol=1e-9), f"{where}: committed {a}, regenerated {b}"
    else:
        assert a == b, f"{where}: committed {a!r}, regenerated {b!r}"


def test_committed_golden_files_are_current(tmp_path):
    written = _writer().write_all(tmp_path / "golden", tmp_path / "samples.json")
    assert {p.name for p in written} == {"adapters.json", "decode.json", "pose_norm.json", "confidence.json",
                                         "samples.json"}
    for name in ("adapters.json", "decode.json", "pose_norm.json", "confidence.json"):
        committed = json.loads((GOLDEN / name).read_text())
        _assert_same(committed, json.loads((tmp_path / "golden" / name).read_text()), name)
    _assert_same(json.loads(SAMPLES.read_text()), json.loads((tmp_path / "samples.json").read_text()), "samples")


def test_golden_cases_cover_fallbacks_and_clipping():
    cases = {c["name"]: c for c in json.loads((GOLDEN / "adapters.json").read_text())["cases"]}
    assert {c["layout"] for c in cases.values()} == {"coco17", "mediapipe33"}
    assert any(0.0 in c["confidence"] for c in cases.values())  # flagged joints present
    assert any(127 in sum(c["input_int8"], []) or -128 in sum(c["input_int8"], []) for c in cases.values())
    samples = json.loads(SAMPLES.read_text())
    assert samples["layout"] == "coco17" and len(samples["sequences"]) >= 1
    fx, fy, cx, cy = samples["intrinsics"]  # the camera the samples were projected through (the app uses it)
    assert fx == fy > 0 and [2 * cx, 2 * cy] == samples["image_size"]
    assert np.asarray(samples["sequences"][0]["frames"]).shape[1:] == (17, 3)


def test_pose_norm_golden_covers_both_paths_int8_and_degenerate_poses():
    """pose_norm.json pins what the Java port must mirror for input_norm="pose" models: float and int8 inputs from
    the screen and from the intrinsics normalization, poses with every joint on the hip (zeros) and one spread
    below POSE_NORM_EPS, and both sidecar strings plus rejected ones; its inputs are pose_normalize of its
    screen/intrinsics-normalized ones, hip at 0 and spanning [-1, 1]."""
    from graphsh_tf.contract import POSE_NORM_EPS, POSE_NORMALIZATION, SCREEN_NORMALIZATION, pose_normalize

    g = json.loads((GOLDEN / "pose_norm.json").read_text())
    assert g["normalization"] == SCREEN_NORMALIZATION and g["pose_normalization"] == POSE_NORMALIZATION
    assert g["pose_norm_eps"] == POSE_NORM_EPS
    pose = {c["name"]: c for c in g["pose_cases"]}
    assert np.array_equal(pose["all_on_hip"]["p"], np.zeros((16, 2)))
    u = np.asarray(pose["spread_below_eps"]["u"])
    assert 0 < np.abs(u - u[:1]).max() < POSE_NORM_EPS and 0 < np.abs(pose["spread_below_eps"]["p"]).max() < 1
    prep = g["prepare_cases"]
    assert {c["intrinsics"] is None for c in prep} == {True, False}
    assert sum("all_on_hip" in c["name"] for c in prep) >= 2
    for c in prep:
        x = np.asarray(c["input_float"])
        np.testing.assert_allclose(x, pose_normalize(np.float32(c["normalized"])), rtol=0, atol=0)
        assert np.array_equal(x[0], [0.0, 0.0])
        assert np.abs(x).max() == (0.0 if "all_on_hip" in c["name"] else 1.0)
        q = c["input_quantization"]
        assert c["input_int8"][0] == [q["zero_point"]] * 2  # the hip quantizes to the zero point
    side = {c["name"]: c["input_norm"] for c in g["sidecar_cases"]}
    assert side["screen"] == side["absent"] == "screen" and side["pose"] == "pose" and None in side.values()

def test_confidence_golden_carries_the_adapters_confidence_and_covers_both_normalizations():
    """confidence.json pins the input of models with a confidence channel: its third channel is the adapters'
    confidence (0 for filled joints, some present), its first two the 2-channel input of the same contract, screen
    and pose, screen frame and intrinsics; the int8 input keeps 0 and 1 apart; rejected sidecar channels exist."""
    from graphsh_tf import keypoints as kp
    from graphsh_tf.contract import CHANNELS, InputContract

    g = json.loads((GOLDEN / "confidence.json").read_text())
    assert g["channels"] == list(CHANNELS)
    assert {c["input_norm"] for c in g["prepare_cases"]} == {"screen", "pose"}
    assert {c["intrinsics"] is None for c in g["prepare_cases"]} == {True, False}
    zeros = 0
    for c in g["prepare_cases"]:
        x = np.asarray(c["input_float"])
        assert x.shape == (16, 3)
        np.testing.assert_allclose(x[:, 2], np.float32(c["confidence"]), rtol=0, atol=0)
        zeros += int((x[:, 2] == 0).sum())
        xy = kp.prepare_input(np.asarray(c["keypoints"]), *c["image_size"], c["layout"], np.asarray(c["scores"]),
                              c["min_score"], contract=InputContract(c["input_norm"]), intrinsics=c["intrinsics"])
        np.testing.assert_allclose(x[:, :2], xy[0], rtol=0, atol=0)
        q, quant = np.asarray(c["input_int8"]), c["input_quantization"]
        ones = x[:, 2] == 1
        assert (q[x[:, 2] == 0, 2] == quant["zero_point"]).all()
        assert (q[ones, 2] > quant["zero_point"] + 50).all()
    assert 0 < zeros < 16 * len(g["prepare_cases"])
    assert any(s["channels"] is None for s in g["sidecar_cases"])
    assert {"absent": ["x", "y"]}.items() <= {s["name"]: s["channels"] for s in g["sidecar_cases"]}.items()


def test_java_lifter_core_matches_golden(tmp_path):
    javac, java = shutil.which("javac"), shutil.which("java")
    missing = [str(j) for j in JUNIT_JARS if not j.is_file()]
    if javac is None or java is None or missing:
        msg = ("Java cross-check needs a JDK (javac, java) and JUnit 4 jars "
               f"(missing: {missing or 'javac/java'}); install the Debian packages: "
               "apt-get install -y default-jdk-headless junit4 libhamcrest-java")
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail(f"CI is set, so the Java cross-check must run: {msg}")
        pytest.skip(msg)
    main_src = sorted(str(p) for p in (CORE / "src" / "main" / "java").rglob("*.java"))
    test_src = sorted(str(p) for p in (CORE / "src" / "test" / "java").rglob("*.java"))
    assert main_src and test_src
    cp_junit = ":".join(str(j) for j in JUNIT_JARS)
    out_main, out_test = tmp_path / "main", tmp_path / "test"
    for cmd in (["javac", "--release", "17", "-d", str(out_main)] + main_src,
                ["javac", "--release", "17", "-d", str(out_test), "-cp", f"{out_main}:{cp_junit}"] + test_src):
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr
    classes = sorted("org.graphsh.lifter." + Path(p).stem for p in test_src if Path(p).stem.endswith("Test"))
    r = subprocess.run(["java", f"-Dgolden.dir={GOLDEN}", "-cp", f"{out_main}:{out_test}:{TEST_RESOURCES}:{cp_junit}",
                        "org.junit.runner.JUnitCore"] + classes, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert "OK (" in r.stdout


def test_missing_junit_fails_in_ci_and_skips_outside(tmp_path, monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "JUNIT_JARS", [tmp_path / "no-junit4.jar"])
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI is set.*junit4"):
        test_java_lifter_core_matches_golden(tmp_path)
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="junit4"):
        test_java_lifter_core_matches_golden(tmp_path)


def test_committed_phone_golden_files_are_current(tmp_path):
    """intrinsics.json (normalization through intrinsics, prepare_input with intrinsics, solve_root),
    smoothing.json (One Euro), stream.json (LifterStream.step) and one_body.json (LifterStream's one-body step)
    regenerate identically; the root cases include zero-weight joints, and the exact projections give back the true
    root."""
    written = _writer().write_phone(tmp_path)
    assert {p.name for p in written} == {"intrinsics.json", "smoothing.json", "stream.json", "one_body.json"}
    for p in written:
        _assert_same(json.loads((GOLDEN / p.name).read_text()), json.loads(p.read_text()), p.name)
    roots = json.loads((GOLDEN / "intrinsics.json").read_text())["root_cases"]
    assert any(0.0 in c["weights"] for c in roots)
    exact = [c for c in roots if c["name"].endswith("_exact") or "zero_weight" in c["name"]]
    assert exact and all(np.allclose(c["root_mm"], c["true_root_mm"], atol=0.05) for c in exact)


def test_stream_golden_covers_nan_and_missing_roots_resets_and_dropped_frames():
    """stream.json pins LifterStream.step where the Java port could differ: NaN roots (before any root, and one
    coordinate only), frames without a root, a reset, irregular timestamps with a gap; and it is what the Python
    LifterStream computes around a lifter."""
    from graphsh_tf.lite.lifter import LiftResult
    from graphsh_tf.smoothing import LifterStream

    cases = {c["name"]: c for c in json.loads((GOLDEN / "stream.json").read_text())["cases"]}
    assert len(cases) >= 3
    roots = [r for c in cases.values() for r in c["root_mm"]]
    assert None in roots and [None, None, None] in roots
    assert any(r is not None and r.count(None) == 1 for r in roots)
    assert all(c["reset_before"] for c in cases.values() if c["name"] != "no_intrinsics")
    t = np.asarray(cases["custom_irregular_dropped"]["timestamps"])
    assert np.diff(t).max() > 3.0 * np.diff(t).min()
    assert all(np.all(np.diff(c["timestamps"]) > 0) for c in cases.values())

    class Replay:  # a lifter that returns the golden frames
        def __init__(self, c):
            self.c, self.i = c, 0

        def __call__(self, keypoints_px, image_size, scores=None, intrinsics=None):
            r = self.c["root_mm"][self.i]
            root = None if r is None else np.array([np.nan if v is None else v for v in r])
            self.i += 1
            return LiftResult(np.asarray(self.c["joints_mm"][self.i - 1], dtype=np.float32), np.ones(16), True,
                              root, np.zeros((16, 2)))

    c = cases["defaults_30fps"]
    stream = LifterStream(Replay(c), one_body=False)   # the filtering alone (the one-body step: one_body.json)
    for i, t_i in enumerate(c["timestamps"]):
        if i in c["reset_before"]:
            stream.reset()
        out = stream(np.zeros((17, 2)), (640, 480), t_i)
        np.testing.assert_allclose(out.joints_mm, np.asarray(c["out_joints_mm"][i]), rtol=0, atol=0)
        want = c["out_root_mm"][i]
        got = out.root_mm
        assert (want is None) == (got is None)
        if want is not None:
            np.testing.assert_allclose(got, [np.nan if v is None else v for v in want], rtol=0, atol=0)


def test_one_body_golden_covers_the_edges_and_is_what_lifter_stream_does():
    """one_body.json pins LifterStream's one-body step (BodyLengths.update + apply_lengths) where the ports could
    differ: frames not confident (a track's first frames, the frame after a reset), a reset, a window that evicts
    frames (odd and even counts: both medians), a NaN joint flagged confident, a zero-length bone; and it is what the
    Python LifterStream(one_body=True) does after its filter (here the filter replaced by the identity), the result's
    valid and confidence giving ``confident``."""
    from graphsh_tf import anatomy
    from graphsh_tf.lite.lifter import LiftResult
    from graphsh_tf.smoothing import LifterStream

    g = json.loads((GOLDEN / "one_body.json").read_text())
    assert g["default_window"] == anatomy.BodyLengths.__init__.__defaults__[0]
    assert [tuple(p) for p in g["pairs"]] == list(anatomy.PAIRS)
    cases = {c["name"]: c for c in g["cases"]}
    assert len(cases) >= 3 and any(c["reset_before"] for c in cases.values())
    for c in cases.values():
        n = len(c["poses_mm"])
        assert len(c["confident"]) == len(c["lengths_mm"]) == len(c["out_poses_mm"]) == n
        assert not all(c["confident"]) and all(not c["confident"][i] for i in c["reset_before"])
    assert any(not c["confident"][0] for c in cases.values())
    small = cases["small_window_evicts"]
    assert sum(small["confident"]) > 2 * small["window"] and small["window"] % 2 == 1
    nan = cases["nan_joint_zero_bone"]
    pose_nan = [i for i, p in enumerate(nan["poses_mm"]) if any(v is None for j in p for v in j)]
    assert any(nan["confident"][i] for i in pose_nan)
    assert min(min(b) for b in nan["lengths_mm"]) >= 0 and any(
        min(anatomy.bone_lengths(np.asarray(p, dtype=float))) == 0 for p in nan["poses_mm"])

    class Replay:  # returns the golden poses, valid and every joint seen when confident
        def __init__(self, c):
            self.c, self.i = c, 0

        def __call__(self, keypoints_px, image_size, scores=None, intrinsics=None):
            i, self.i = self.i, self.i + 1
            conf = np.ones(16)
            valid = bool(self.c["confident"][i])
            if not valid and i % 2:
                valid, conf[3] = True, 0.0   # valid, but a joint not seen: not confident either
            pose = np.asarray(self.c["poses_mm"][i], dtype=float)
            return LiftResult(pose.astype(np.float32), conf, valid, None, np.zeros((16, 2)))

    for c in cases.values():
        stream = LifterStream(Replay(c))
        stream._body = anatomy.BodyLengths(c["window"])
        stream.step = lambda joints, root, t: (np.asarray(joints, dtype=np.float32), root)  # the filter: identity
        for i, want in enumerate(c["out_poses_mm"]):
            if i in c["reset_before"]:
                stream.reset()
            got = stream(np.zeros((17, 2)), (640, 480), i / 30).joints_mm
            np.testing.assert_allclose(got, np.asarray(want, dtype=float), rtol=0, atol=1e-3,
                                       err_msg=f"{c['name']} frame {i}")
