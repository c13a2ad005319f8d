"""The web demo in a real browser: headless Chromium (Debian's ``chromium``, driven by ``puppeteer-core``, no
browser download) loads the page from a server on 127.0.0.1 (graphsh_tf.web.make_server), the page runs a small
trained model's ``.tflite`` with LiteRT.js (WebAssembly) and draws it with three.js.

Fails when: the page's numbers drift from Python's (the golden keypoints of tests/fixtures/golden lifted in the
page — adapters, normalization with and without intrinsics, LiteRT.js, decoding — against
graphsh_tf.lite.lifter.Lifter on the same fp32 file, <= 1e-4 mm + 1e-6 relative, i.e. within a float32 step or two
at ~1 m; and against the Keras float model), the model fails to load, or nothing is drawn (the canvas screenshot
must hold skeleton-coloured pixels). The screenshots are kept in the test's tmp dir (``page.png``,
``page_canvas.png``, ``page_webcam.png``). The webcam path runs too: Chromium's fake camera -> a MoveNet-shaped
stand-in model -> the same adapters -> the lifter.

Needs ``node``, ``/usr/bin/chromium`` (or $CHROMIUM) and ``npm ci --prefix web_demo``: without them this skips with
the reason, except when CI is set (.ci/run sets it): then it fails.
"""
import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "web_demo"
GOLDEN = ROOT / "tests" / "fixtures" / "golden"
#: three.js bone colours of web_demo/src/view.js (right, left, spine/head), sRGB
SKELETON_RGB = [(0xFF, 0x3B, 0x30), (0x1E, 0x90, 0xFF), (0xFF, 0xD6, 0x0A)]


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def chromium_path() -> str:
    return os.environ.get("CHROMIUM", "/usr/bin/chromium")


def missing_tools() -> list:
    """What the browser test needs and this machine lacks (each with how to get it)."""
    out = []
    if shutil.which("node") is None:
        out.append("node (Node.js 20: apt-get install nodejs)")
    if not os.access(chromium_path(), os.X_OK):
        out.append(f"{chromium_path()} (apt-get install chromium, or set $CHROMIUM)")
    for pkg in ("puppeteer-core", "@litertjs/core", "@litertjs/wasm-utils", "three"):
        if not (DEMO / "node_modules" / pkg / "package.json").is_file():
            out.append(f"web_demo/node_modules/{pkg} (PUPPETEER_SKIP_DOWNLOAD=1 npm ci --prefix web_demo)")
    return out


def require_tools() -> None:
    missing = missing_tools()
    if missing:
        msg = "the browser test needs: " + "; ".join(missing)
        if _ci():
            pytest.fail(f"CI is set, so the browser test must run: {msg}")
        pytest.skip(msg)


def drive(config: dict, tmp: Path, timeout: float = 120) -> dict:
    """Run web_demo/test/drive.mjs with ``config`` (see its header); returns its result JSON."""
    cfg = dict(config, chromium=chromium_path(), out=str(tmp / "drive_result.json"))
    (tmp / "drive_config.json").write_text(json.dumps(cfg))
    r = subprocess.run(["node", str(DEMO / "test" / "drive.mjs"), str(tmp / "drive_config.json")],
                       capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    assert r.returncode == 0, f"drive.mjs exit {r.returncode}: {r.stdout[-2000:]} {r.stderr[-3000:]}"
    return json.loads((tmp / "drive_result.json").read_text())


def skeleton_pixels(png: Path, tol: int = 40) -> dict:
    """Pixels of each skeleton colour in a screenshot: {colour index: count}."""
    from PIL import Image

    img = np.asarray(Image.open(png).convert("RGB")).astype(int)
    return {i: int((np.abs(img - np.array(c)).max(axis=-1) <= tol).sum()) for i, c in enumerate(SKELETON_RGB)}


def train_tiny_model(out_dir: Path, variants=("fp32", "int8")):
    """A small trained GraphSH (hid 16, 1 stack, 8 epochs on 4,096 synthetic poses: ~5 s) exported to ``out_dir``;
    returns (keras model, {variant: path}). Trained, so the lifted skeleton has a body's extent on screen."""
    from graphsh_tf.config import TrainConfig
    from graphsh_tf.contract import MM_PER_MODEL_UNIT
    from graphsh_tf.data.dataset import load_data
    from graphsh_tf.lite import export
    from graphsh_tf.models import build_model
    from graphsh_tf.train.optim import compile_model

    import tf_keras as keras

    keras.utils.set_random_seed(0)
    model = build_model(gcn="dc_preagg", hid_dim=16, num_stacks=1)
    train = load_data("synthetic").train
    compile_model(model, TrainConfig(lr=3e-3))
    model.fit(train.poses_2d[:4096], train.poses_3d[:4096] / MM_PER_MODEL_UNIT, batch_size=128, epochs=8, verbose=0)
    paths = export.export_variants(model, out_dir, list(variants), representative=train.poses_2d[:256])
    return model, paths


MOVENET_SIZE = 192


def stand_in_movenet(path: Path) -> np.ndarray:
    """A MoveNet-shaped .tflite (uint8 [1,192,192,3] -> float32 [1,1,17,3]) for the webcam path: it answers the
    Android samples' first walking frame (web_demo/samples: COCO-17 at 640x480, letterboxed as for a 640x480 frame),
    shifted by at most 0.005 with the image's mean brightness (so its output depends on the camera frame). The real
    MoveNet is fetched by the browser at run time and never committed. Returns the base (y, x, score) rows."""
    import tensorflow as tf

    walk = json.loads((DEMO / "samples" / "samples.json").read_text())["sequences"][0]
    xy = np.asarray(walk["frames"][0], np.float64)[:, :2]
    scale = MOVENET_SIZE / 640.0
    pad_y = (MOVENET_SIZE - 480 * scale) / 2.0
    base = np.stack([(xy[:, 1] * scale + pad_y) / MOVENET_SIZE, xy[:, 0] * scale / MOVENET_SIZE,
                     np.full(17, 0.9)], axis=1).astype(np.float32)
    const = tf.constant(base.reshape(1, 1, 17, 3))

    class StandIn(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([1, MOVENET_SIZE, MOVENET_SIZE, 3], tf.uint8)])
        def detect(self, image):
            mean = tf.reduce_mean(tf.cast(image, tf.float32)) / 255.0
            return const + tf.constant([1.0, 1.0, 0.0]) * 0.01 * (mean - 0.5)

    module = StandIn()
    conv = tf.lite.TFLiteConverter.from_concrete_functions([module.detect.get_concrete_function()], module)
    path.write_bytes(conv.convert())
    return base


def golden_cases() -> list:
    """Every golden keypoint case (COCO-17 / MediaPipe-33, low scores, fallbacks; with and without intrinsics)."""
    cases = []
    for c in json.loads((GOLDEN / "adapters.json").read_text())["cases"]:
        cases.append({"name": c["name"], "keypoints": c["keypoints"], "scores": c["scores"], "layout": c["layout"],
                      "min_score": c["min_score"], "image_size": c["image_size"], "input_float": c["input_float"]})
    for c in json.loads((GOLDEN / "intrinsics.json").read_text())["prepare_cases"]:
        cases.append({"name": c["name"], "keypoints": c["keypoints"], "scores": c["scores"], "layout": c["layout"],
                      "min_score": c["min_score"], "image_size": c["image_size"], "intrinsics": c["intrinsics"],
                      "input_float": c["input_float"]})
    return cases


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    require_tools()
    from graphsh_tf import web

    models = tmp_path_factory.mktemp("web_models")
    model, paths = train_tiny_model(models)
    # a model that cannot load: the page must say so (status "error"), not hang or draw garbage
    (models / "graphsh_broken.tflite").write_bytes(b"\0not a flatbuffer\0" * 64)
    shutil.copyfile(paths["fp32"].with_suffix(".json"), models / "graphsh_broken.json")
    movenet_base = stand_in_movenet(models / "movenet.tflite")
    server = web.make_server(models_dir=models, port=0)
    web.serve_in_thread(server)
    yield {"url": web.url_of(server), "model": model, "paths": paths, "movenet_base": movenet_base}
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def page_run(served, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    cases = golden_cases()
    rng = np.random.default_rng(0)
    inputs = rng.uniform(-0.8, 0.8, (8, 16, 2)).astype(np.float32)
    res = drive({"url": served["url"], "variants": ["fp32", "int8", "broken"], "sample": "walk", "cases": cases,
                 "inputs": inputs.tolist(), "screenshot": str(tmp / "page.png"), "timeout_ms": 30000,
                 "webcam": {"movenet": "models/movenet.tflite", "frames": 5}}, tmp)
    return {"res": res, "cases": cases, "inputs": inputs, "tmp": tmp}


def _why(res: dict, variant: str) -> str:
    v = res["variants"].get(variant, {})
    return f"{variant}: status {v.get('status')!r}, error {v.get('error')!r}; console: " + " | ".join(
        ln for ln in res["console"][-30:] if "INFO:" not in ln)


def test_page_loads_the_models_and_shows_metadata_and_latency(page_run):
    res = page_run["res"]
    for variant in ("fp32", "int8"):
        v = res["variants"][variant]
        assert v.get("status") == "ready", _why(res, variant)
        assert v["meta"]["variant"] == variant and v["meta"]["format"] == "graphsh-tflite/1"
        assert v["frames"] == 40 and v["frames_shown"] >= 1
        assert 0 < v["p50_ms"] < 1000 and 0 < v["model_p50_ms"] <= v["p50_ms"] + 1e-9


def test_a_model_that_cannot_load_is_an_error_on_the_page(page_run):
    v = page_run["res"]["variants"]["broken"]
    assert v.get("status") == "error" and v.get("error"), v


def test_page_numbers_equal_python(page_run, served):
    """The page's adapters + LiteRT.js + decoding against graphsh_tf's Lifter (ai_edge_litert) on the same fp32
    file and the same golden keypoints; raw model calls against the Keras float model."""
    from graphsh_tf.lite.lifter import Lifter

    res, cases = page_run["res"], page_run["cases"]
    fp32 = res["variants"]["fp32"]
    assert fp32.get("status") == "ready", _why(res, "fp32")
    assert len(fp32["cases"]) == len(cases) >= 12
    lifters = {}
    worst = 0.0
    for case, got in zip(cases, fp32["cases"]):
        np.testing.assert_allclose(got["input"], case["input_float"], atol=1e-6, err_msg=case["name"])
        lifter = lifters.setdefault(case["layout"], Lifter(served["paths"]["fp32"], layout=case["layout"],
                                                           min_score=case["min_score"]))
        lifter.min_score = case["min_score"]
        result = lifter(np.asarray(case["keypoints"]), case["image_size"], scores=np.asarray(case["scores"]),
                        intrinsics=case.get("intrinsics"))
        want = result.joints_mm
        np.testing.assert_allclose(got["confidence"], result.confidence, atol=1e-12, err_msg=case["name"])
        assert got["valid"] == result.valid, case["name"]
        assert got["in_image"] == result.in_image.tolist(), case["name"]     # seen and inside the image, per joint
        diff = np.abs(np.asarray(got["joints"]) - want)
        worst = max(worst, float(diff.max()))
        # 1e-4 mm, plus 1e-6 of the pose's largest joint: joints reach ~1 m, where one float32 step is 1.2e-4 mm,
        # and XNNPack in WebAssembly may sum in another order than the native interpreter; the rounding of a sum
        # follows the size of its terms (the pose's scale), not the size of the one joint it ends in (measured: a
        # joint near the root 2.4e-4 mm off in a pose reaching 0.5 m)
        assert (diff <= 1e-4 + 1e-6 * np.abs(want).max()).all(), \
            f"{case['name']}: page vs Python TFLite max |d| = {diff.max()} mm"
    # raw inputs: LiteRT.js fp32 against Keras float (mm) — the exported graph, not only the runtime
    keras_mm = served["model"].predict(page_run["inputs"], verbose=0) * 1000.0
    d_keras = np.abs(np.asarray(fp32["inputs"]) - keras_mm).max()
    assert d_keras <= 1e-3 * max(1.0, np.abs(keras_mm).max() / 1000.0), f"page vs Keras max |d| = {d_keras} mm"
    assert np.abs(keras_mm).max() > 50, "the tiny model should lift to a body-sized pose"
    (page_run["tmp"] / "numbers.json").write_text(json.dumps({"page_vs_tflite_max_mm": worst,
                                                               "page_vs_keras_max_mm": float(d_keras)}))


def test_int8_page_numbers_close_to_python_int8(page_run, served):
    from graphsh_tf.lite.lifter import Lifter

    res, cases = page_run["res"], page_run["cases"]
    got = res["variants"]["int8"]
    assert got.get("status") == "ready", _why(res, "int8")
    case = cases[0]
    want = Lifter(served["paths"]["int8"], layout=case["layout"])(np.asarray(case["keypoints"]), case["image_size"],
                                                                   scores=np.asarray(case["scores"])).joints_mm
    # same quantized kernels family (XNNPack), but rounding may differ by a quantization step
    step = np.abs(want).max() / 64
    assert np.abs(np.asarray(got["cases"][0]["joints"]) - want).max() <= step


def test_the_skeleton_is_drawn(page_run):
    shot = page_run["tmp"] / "page_canvas.png"
    assert shot.is_file() and (page_run["tmp"] / "page.png").is_file(), page_run["res"]["variants"]["fp32"]
    counts = skeleton_pixels(shot)
    assert sum(counts.values()) >= 400 and sum(c >= 40 for c in counts.values()) >= 2, \
        f"skeleton pixels per colour (right, left, centre): {counts}; screenshot {shot}"


def test_webcam_path_fake_camera_to_lifter(page_run, served):
    """Chromium's fake camera -> the page's letterbox -> a MoveNet-shaped model (LiteRT.js) -> MoveNet decoding ->
    the COCO-17 adapter -> the lifter: the decoded keypoints are the stand-in's answer mapped back to frame pixels,
    and the lifted joints equal Python's Lifter on those keypoints."""
    from graphsh_tf.lite.lifter import Lifter

    res = page_run["res"]
    cam = res["variants"]["fp32"].get("webcam") or {}
    assert cam.get("status") in ("running", "stopped") and cam.get("frames", 0) >= 5, \
        (cam.get("error"), _why(res, "fp32"))
    w, h = cam["width"], cam["height"]
    scale = MOVENET_SIZE / max(w, h)
    pad_x, pad_y = (MOVENET_SIZE - w * scale) / 2, (MOVENET_SIZE - h * scale) / 2
    base = served["movenet_base"].astype(np.float64)
    want_xy = np.stack([(base[:, 1] * MOVENET_SIZE - pad_x) / scale, (base[:, 0] * MOVENET_SIZE - pad_y) / scale], 1)
    shift_px = 0.005 * MOVENET_SIZE / scale + 1e-3
    assert np.abs(np.asarray(cam["keypoints"]) - want_xy).max() <= shift_px
    np.testing.assert_allclose(cam["scores"], base[:, 2], atol=1e-6)
    lifter = Lifter(served["paths"]["fp32"], layout="coco17", min_score=cam["min_score"])
    result = lifter(np.asarray(cam["keypoints"]), (w, h), scores=np.asarray(cam["scores"]))
    want = result.joints_mm
    assert cam["valid"] == result.valid
    diff = np.abs(np.asarray(cam["joints"]) - want)
    assert (diff <= 1e-4 + 1e-6 * np.abs(want)).all(), f"webcam: page vs Python max |d| = {diff.max()} mm"
    assert cam["detect_p50_ms"] > 0 and cam["lift_p50_ms"] > 0
