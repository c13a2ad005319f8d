"""The web demo's JavaScript adapters against the Python golden vectors, and ``python -m graphsh_tf.web``.

(a) ``node web_demo/test/golden.mjs`` checks web_demo/src/lifter_core.js on tests/fixtures/golden (adapters.json,
    decode.json, intrinsics.json: adapters, normalization with and without intrinsics, int8 codec, decoding) to
    1e-5, and one_body.json (a track's bone lengths, the page's one-body step) to 1e-3 mm, the same files
    android_demo/lifter-core is checked on; its joint and source tables equal
    graphsh_tf.keypoints'; web_demo/src/camera.js (the webcam path's letterbox and MoveNet decoding) is checked
    on lifter-core's golden/camera.json. Without ``node`` this skips, except when CI is set (then it fails: a
    cross-check that silently did not run is a hole).
(b) ``graphsh_tf.web`` copies a run's models + sidecars into the demo and writes the index the page reads; a missing
    run dir or a run without models is one line on stderr and exit 2.
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from graphsh_tf import keypoints, skeleton, web

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "web_demo"
GOLDEN = ROOT / "tests" / "fixtures" / "golden"


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _need(ok: bool, msg: str) -> None:
    """Skip with ``msg`` when a tool is missing; fail instead when CI is set."""
    if not ok:
        if _ci():
            pytest.fail(f"CI is set, so the web demo check must run: {msg}")
        pytest.skip(msg)


def _node(*args, timeout=120):
    _need(shutil.which("node") is not None, "needs Node.js (node) on PATH; install Node 20 (apt-get install nodejs)")
    return subprocess.run(["node", *map(str, args)], capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def test_js_adapters_match_python_golden_vectors():
    r = _node(DEMO / "test" / "golden.mjs", GOLDEN)
    assert r.stdout.strip(), r.stderr
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert r.returncode == 0 and not res["failures"], "\n".join(res["failures"][:20]) + r.stderr[-2000:]
    assert res["max_abs_err"] <= 1e-5
    assert res["camera_file"].endswith("camera.json")      # the webcam path's letterbox + MoveNet decoding too
    cases = sum(len(json.loads((GOLDEN / f).read_text())[k]) for f, k in
                (("adapters.json", "cases"), ("decode.json", "cases"), ("intrinsics.json", "cases"),
                 ("intrinsics.json", "prepare_cases")))
    assert cases >= 15 and res["checked"] > 1000


def test_js_one_body_matches_python():
    """web_demo/src/lifter_core.js's BodyLengths + applyLengths (the page's one-body step on video and webcam frames)
    reproduce graphsh_tf.anatomy on one_body.json frame by frame to 1e-3 mm: frames not confident, a reset, a window
    that evicts frames, a NaN joint, a zero-length bone; its pairs and default window are anatomy's."""
    from graphsh_tf import anatomy

    r = _node(DEMO / "test" / "golden.mjs", GOLDEN)
    assert r.stdout.strip(), r.stderr
    res = json.loads(r.stdout.strip().splitlines()[-1])
    one_body = [f for f in res["failures"] if f.startswith("one_body/")]
    assert r.returncode == 0 and not one_body, "\n".join(one_body[:20]) + r.stderr[-2000:]
    g = json.loads((GOLDEN / "one_body.json").read_text())
    assert res["one_body_frames"] == sum(len(c["poses_mm"]) for c in g["cases"]) >= 60
    t = json.loads(_node(DEMO / "test" / "golden.mjs", "--tables").stdout)
    assert [tuple(p) for p in t["BONE_PAIRS"]] == list(anatomy.PAIRS)
    assert t["ONE_BODY_WINDOW"] == anatomy.BodyLengths.__init__.__defaults__[0]


def test_js_tables_equal_python():
    r = _node(DEMO / "test" / "golden.mjs", "--tables")
    assert r.returncode == 0, r.stderr
    t = json.loads(r.stdout)
    h36m = skeleton.H36M16
    assert t["JOINT_NAMES"] == list(h36m.joint_names) and t["PARENTS"] == list(h36m.parents)
    for layout, table in (("coco17", keypoints.COCO17_SOURCES), ("mediapipe33", keypoints.MEDIAPIPE33_SOURCES)):
        for j in range(h36m.num_joints):
            src = t["SOURCES"][layout][j]
            if j not in table:
                assert src is None, (layout, j)
            else:
                assert src == list(table[j][0]) and t["REQUIRED"][j] == table[j][1], (layout, j)
    assert t["LAYOUTS"] == {"coco17": 17, "mediapipe33": 33, "h36m16": 16}
    from graphsh_tf.contract import SCREEN_NORMALIZATION
    from graphsh_tf.frame import H36M_FOCAL_NORM
    from graphsh_tf.lite.lifter import Lifter

    assert t["NORMALIZATION"] == SCREEN_NORMALIZATION and t["H36M_FOCAL_NORM"] == H36M_FOCAL_NORM
    assert t["MIN_PRESENT_JOINTS"] == Lifter.MIN_PRESENT_JOINTS


def test_bundled_samples_are_small_and_current(tmp_path):
    """web_demo/samples/samples.json regenerates identically with tools/write_web_samples.py and stays small."""
    committed = DEMO / "samples" / "samples.json"
    assert committed.stat().st_size < 200_000
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "write_web_samples.py"), "--out",
                        str(tmp_path / "s.json")], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    a, b = json.loads(committed.read_text()), json.loads((tmp_path / "s.json").read_text())
    assert [s["name"] for s in a["sequences"]] == [s["name"] for s in b["sequences"]]
    for s, t in zip(a["sequences"], b["sequences"]):
        assert s["layout"] == t["layout"] and s["image_size"] == t["image_size"]
        np.testing.assert_allclose(s["frames"], t["frames"], atol=1e-6)
        if "joints_3d_mm" in s:
            np.testing.assert_allclose(s["joints_3d_mm"], t["joints_3d_mm"], atol=1e-6)
    layouts = {s["layout"] for s in a["sequences"]}
    assert layouts == {"coco17", "h36m16"}


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    """A tiny untrained GraphSH exported as fp32 and drq (batch 1) and fp32 at batch 8 (not a model the page runs)."""
    from graphsh_tf.lite import export
    from graphsh_tf.models import build_model

    out = tmp_path_factory.mktemp("exported")
    model = build_model(gcn="vanilla", hid_dim=8, num_stacks=1)
    export.export_variants(model, out, ["fp32", "drq"])
    export.export_variants(model, out, ["fp32"], batch=8)
    return out


def _fake_run(tmp_path: Path, exported: Path) -> Path:
    """A run dir whose tflite/ holds the tiny exports with their sidecars."""
    run = tmp_path / "run"
    shutil.copytree(exported, run / "tflite")
    return run


def _demo_copy(tmp_path: Path) -> Path:
    demo = tmp_path / "demo"
    demo.mkdir()
    shutil.copyfile(DEMO / "index.html", demo / "index.html")
    return demo


def test_copy_models_into_the_demo(tmp_path, exported):
    run, demo = _fake_run(tmp_path, exported), _demo_copy(tmp_path)
    (demo / "models").mkdir()
    (demo / "models" / "graphsh_stale.tflite").write_bytes(b"old")
    copied = web.copy_models(run, demo)
    assert [p.name for p in copied] == ["graphsh_fp32.tflite", "graphsh_drq.tflite"]
    for p in copied:
        assert p.read_bytes() == (run / "tflite" / p.name).read_bytes()
        assert p.with_suffix(".json").read_text() == (run / "tflite" / p.with_suffix(".json").name).read_text()
    assert not (demo / "models" / "graphsh_stale.tflite").exists()
    index = json.loads((demo / "models" / "index.json").read_text())
    assert index["variants"] == ["fp32", "drq"] and index["files"] == ["graphsh_fp32.tflite", "graphsh_drq.tflite"]
    assert index["run"] == "run"     # the folder's name, never an absolute path
    assert [p.name for p in web.copy_models(run, demo, ["drq"])] == ["graphsh_drq.tflite"]
    with pytest.raises(web.WebError, match="variant.*int8"):
        web.copy_models(run, demo, ["int8"])


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "graphsh_tf.web", *map(str, args)], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)


def test_cli_copies_without_serving(tmp_path, exported):
    run, demo = _fake_run(tmp_path, exported), _demo_copy(tmp_path)
    r = _cli(run, "--demo", demo, "--no-serve")
    assert r.returncode == 0, r.stderr
    assert "copied 2 model(s)" in r.stdout and (demo / "models" / "graphsh_fp32.json").is_file()


@pytest.mark.parametrize("case", ["missing_run", "no_tflite", "no_sidecar", "no_demo"])
def test_cli_bad_input_is_one_line_exit_2(tmp_path, case, exported):
    run, demo = _fake_run(tmp_path, exported), _demo_copy(tmp_path)
    if case == "missing_run":
        run, want = tmp_path / "nope", "run directory not found"
    elif case == "no_tflite":
        shutil.rmtree(run / "tflite")
        (run / "tflite").mkdir()
        want = "no .tflite models"
    elif case == "no_sidecar":
        for f in (run / "tflite").glob("*.json"):
            f.unlink()
        want = "sidecar JSON not found"
    else:
        demo, want = tmp_path / "empty", "no web demo here"
        demo.mkdir()
    r = _cli(run, "--demo", demo, "--no-serve")
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.returncode == 2 and len(lines) == 1, r.stderr
    assert lines[0].startswith("graphsh_tf.web: error: ") and want in lines[0], lines[0]
    assert "Traceback" not in r.stderr


def test_server_refuses_without_npm_packages(tmp_path):
    demo = _demo_copy(tmp_path)
    with pytest.raises(web.WebError, match="npm ci --prefix"):
        web.make_server(demo, port=0)


def test_js_pose_normalization_matches_python(tmp_path):
    """Models trained with ``input_norm="pose"`` (sidecar ``input.normalization`` = POSE_NORMALIZATION): the page
    hip-centres and scales the input as graphsh_tf.keypoints.prepare_input(..., InputContract("pose")) does; expected
    values computed here from the Python functions, on the golden keypoints (float and int8, with and without
    intrinsics)."""
    from graphsh_tf.contract import InputContract, Int8Codec, pose_normalize

    calls = []
    adapters = json.loads((GOLDEN / "adapters.json").read_text())["cases"]
    prepare = json.loads((GOLDEN / "intrinsics.json").read_text())["prepare_cases"]
    for c in adapters + prepare:
        w, h = c["image_size"]
        k = c.get("intrinsics")
        for quant in (None, c["input_quantization"]):
            contract = InputContract("pose", quant=Int8Codec.from_dict(quant))
            x = keypoints.prepare_input(np.asarray(c["keypoints"]), w, h, c["layout"], np.asarray(c["scores"]),
                                        c["min_score"], contract=contract, intrinsics=k)[0]
            calls.append({"name": f"{c['name']}_pose_{'int8' if quant else 'float'}", "fn": "prepareInput",
                          "args": [c["keypoints"], w, h, c["layout"], c["scores"], c["min_score"], quant, k, "pose"],
                          "expected": x.astype(np.float64).tolist()})
    zeros = np.zeros((16, 2))
    calls.append({"name": "all_on_hip", "fn": "poseNormalize", "args": [zeros.tolist()],
                  "expected": pose_normalize(zeros).astype(np.float64).tolist()})
    (tmp_path / "calls.json").write_text(json.dumps(calls))
    r = _node(DEMO / "test" / "golden.mjs", "--calls", tmp_path / "calls.json")
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert r.returncode == 0 and not res["failures"], "\n".join(res["failures"][:20]) + r.stderr[-2000:]
    assert res["checked"] >= 30 * len(calls) // 2
