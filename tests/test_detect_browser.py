"""The web page's real-detector paths in headless Chromium: BlazePose from web_demo/node_modules/@mediapipe/pose (run
by LiteRT.js) on a photo of real people opened through the page's file button, and on Chromium's fake camera playing
that photo; every request that leaves the page's own server fails the test.

Fails when: the page finds nobody or not the people Python's detector finds (keypoints within a few pixels: the same
models and the same pre/post-processing, only the JPEG decoder and float rounding differ); the page's 3D differs from
graphsh_tf's Lifter on the page's own detector output (<= 1e-4 mm + 1e-6 relative, as tests/test_web_browser.py);
BlazePose's own 3D (the world landmarks in H36M-16, ``world_mm``) differs from Python's ``Person.world_mm`` for the
same person by more than ~1 mm, or the "BlazePose 3D" checkbox is missing, not on after a photo, or does not take the
grey skeleton out of the 3D view;
any non-local request; LiteRT's information lines reach the console as errors; the stage latencies are missing;
"Stop webcam" leaves a running status or no playback. Screenshots stay in the test's tmp dir (``upload.png``,
``upload_webcam.png``; the 3D canvas with and without BlazePose's 3D: ``upload_3d.png``, ``upload_3d_off.png``).

Needs what tests/test_web_browser.py needs plus ``web_demo/node_modules/@mediapipe/pose``, the BlazePose files in
the model cache (``python -m graphsh_tf.detect.install``) and the test photos (tests/photo_assets.py).
"""
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from photo_assets import require_blazepose
from test_web_browser import DEMO, ROOT, chromium_path, require_tools, train_tiny_model

HFOV = 65.0
#: web_demo/src/view.js REFERENCE_COLOR: the overlaid BlazePose 3D skeleton, sRGB
REFERENCE_RGB = (0xB4, 0xB4, 0xB4)


def drive_media(config: dict, tmp: Path, timeout: float = 300) -> dict:
    cfg = dict(config, chromium=chromium_path(), out=str(tmp / "media_result.json"))
    (tmp / "media_config.json").write_text(json.dumps(cfg))
    r = subprocess.run(["node", str(DEMO / "test" / "drive_media.mjs"), str(tmp / "media_config.json")],
                       capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    assert r.returncode == 0, f"drive_media.mjs exit {r.returncode}: {r.stdout[-2000:]} {r.stderr[-3000:]}"
    return json.loads((tmp / "media_result.json").read_text())


def write_y4m(rgb: np.ndarray, path: Path, frames: int = 2) -> None:
    """RGB uint8 (H, W, 3), even sizes -> a 4:2:0 Y4M clip Chromium's fake camera plays in a loop (BT.601)."""
    f = rgb.astype(np.float64)
    y = 16 + 0.257 * f[..., 0] + 0.504 * f[..., 1] + 0.098 * f[..., 2]
    u = 128 - 0.148 * f[..., 0] - 0.291 * f[..., 1] + 0.439 * f[..., 2]
    v = 128 + 0.439 * f[..., 0] - 0.368 * f[..., 1] - 0.071 * f[..., 2]
    h, w = y.shape
    sub = lambda c: c.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))  # noqa: E731
    planes = b"".join(np.clip(np.round(p), 0, 255).astype(np.uint8).tobytes() for p in (y, sub(u), sub(v)))
    path.write_bytes(f"YUV4MPEG2 W{w} H{h} F10:1 Ip A1:1 C420jpeg\n".encode() + (b"FRAME\n" + planes) * frames)


def write_webm(rgb: np.ndarray, path: Path, frames: int = 10) -> None:
    """A 1 s VP8 clip of the frame panning 2 px per frame (OpenCV's FFmpeg)."""
    import cv2

    bgr = np.ascontiguousarray(rgb[..., ::-1])
    h, w = bgr.shape[:2]
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"VP80"), 10, (w, h))
    for i in range(frames):
        vw.write(np.roll(bgr, 2 * i, axis=1))
    vw.release()
    assert path.stat().st_size > 1000, "OpenCV could not write a VP8 clip"


@pytest.fixture(scope="module")
def page(tmp_path_factory, photos_dir):
    require_tools()
    if not (DEMO / "node_modules" / "@mediapipe" / "pose" / "pose_landmark_full.tflite").is_file():
        from photo_assets import skip_or_fail

        skip_or_fail("web_demo/node_modules/@mediapipe/pose missing (PUPPETEER_SKIP_DOWNLOAD=1 npm ci --prefix "
                     "web_demo)")
    require_blazepose()
    from graphsh_tf import web

    from PIL import Image

    tmp = tmp_path_factory.mktemp("media")
    models = tmp / "models"
    models.mkdir()
    _, paths = train_tiny_model(models, variants=("fp32",))
    untrained_model(models)
    photo = photos_dir / "bus.jpg"
    # the camera's 640x480: the photo's rows 330-937 (the people, head to feet), scaled by 0.79
    cam = np.asarray(Image.open(photo).convert("RGB").crop((0, 330, 810, 937)).resize((640, 480), Image.BILINEAR))
    write_y4m(cam, tmp / "camera.y4m")
    write_webm(cam, tmp / "clip.webm")
    server = web.make_server(models_dir=models, port=0)
    web.serve_in_thread(server)
    try:
        res = drive_media({"url": web.url_of(server), "variant": "fp32", "upload": str(photo),
                           "upload_video": str(tmp / "clip.webm"), "fake_video": str(tmp / "camera.y4m"),
                           "webcam_frames": 2,
                           "screenshot": str(tmp / "upload.png"), "timeout_ms": 240000,
                           "check_variants": [{"variant": "untrained", "sample": "synthetic_Walking"}]}, tmp)
    finally:
        server.shutdown()
        server.server_close()
    return {"res": res, "model": paths["fp32"], "photo": photo, "camera_rgb": cam, "tmp": tmp}


def untrained_model(models: Path) -> None:
    """A GraphSH straight from its initializer, exported as models/graphsh_untrained.tflite (+ sidecar)."""
    import shutil

    from graphsh_tf.data.dataset import load_data
    from graphsh_tf.lite import export
    from graphsh_tf.models import build_model

    import tf_keras as keras

    keras.utils.set_random_seed(1)
    model = build_model(gcn="dc_preagg", hid_dim=16, num_stacks=1)
    out = models / "untrained"
    paths = export.export_variants(model, out, ["fp32"], representative=load_data("synthetic").train.poses_2d[:64])
    shutil.copyfile(paths["fp32"], models / "graphsh_untrained.tflite")
    shutil.copyfile(paths["fp32"].with_suffix(".json"), models / "graphsh_untrained.json")


def _why(res: dict) -> str:
    return f"status {res.get('status')!r}, error {res.get('error')!r}; console: " + " | ".join(res["console"][-20:])


def _check_lifting(media: dict, model: Path) -> None:
    """The page's 3D for its own detector output equals Python's Lifter on the same keypoints."""
    from graphsh_tf.lite.lifter import Lifter

    lifter = Lifter(str(model), layout="mediapipe33")
    w, h = media["width"], media["height"]
    from graphsh_tf.root import focal_from_fov

    f = focal_from_fov(w, HFOV)
    np.testing.assert_allclose(media["intrinsics"], [f, f, w / 2, h / 2], rtol=1e-12)
    for p in media["people"]:
        res = lifter(np.asarray(p["keypoints"]), (w, h), scores=np.asarray(p["scores"]), intrinsics=media["intrinsics"])
        want = np.asarray(res.joints_mm)
        diff = np.abs(np.asarray(p["joints"]) - want)
        assert (diff <= 1e-4 + 1e-6 * np.abs(want)).all(), f"page vs Python max |d| = {diff.max()} mm"
        np.testing.assert_allclose(p["confidence"], res.confidence, atol=1e-12)
        assert p["valid"] == bool(res.valid)


def test_no_request_leaves_the_server(page):
    res = page["res"]
    assert res.get("status") == "ready", _why(res)
    assert res["external_requests"] == []
    assert not [ln for ln in res["console"] if ln.startswith("error:") and "INFO:" in ln], res["console"]


def test_photo_file_finds_the_people_python_finds(page):
    from graphsh_tf.detect import Detector

    from PIL import Image

    m = page["res"].get("upload") or {}
    assert m.get("status") == "done", (m.get("error"), _why(page["res"]))
    assert (m["width"], m["height"]) == (810, 1080)
    want = Detector("blazepose-full")(np.asarray(Image.open(page["photo"]).convert("RGB")))
    assert len(m["people"]) == len(want) >= 2
    for p in m["people"]:
        kp = np.asarray(p["keypoints"])
        nearest = min(want, key=lambda q: np.abs(q.keypoints_px - kp).mean())
        # same models and processing; the browser's JPEG decoder and float32-vs-float64 rounding differ slightly
        assert np.median(np.linalg.norm(nearest.keypoints_px - kp, axis=1)) < 3.0
    _check_lifting(m, page["model"])
    assert all(m["stage_p50_ms"].get(s, 0) > 0 for s in ("detector", "landmarks", "adapter", "lifter"))
    assert "detector" in m["stages_text"] and "lifter" in m["stages_text"]
    assert (page["tmp"] / "upload.png").is_file()


def test_blazepose_world_landmarks_equal_python(page):
    """The page's BlazePose 3D (world landmarks rotated back from the region, H36M-16, hip-centred) is Python's
    Person.world_mm for the same person, to ~1 mm (the browser's JPEG decoder moves the crop by a fraction of a
    pixel, as for the 2D)."""
    from graphsh_tf.detect import Detector

    from PIL import Image

    m = page["res"].get("upload") or {}
    assert m.get("status") == "done", (m.get("error"), _why(page["res"]))
    want = Detector("blazepose-full")(np.asarray(Image.open(page["photo"]).convert("RGB")))
    assert all(q.world_mm is not None for q in want)
    for p in m["people"]:
        assert p["world_mm"] is not None, "the page has no world landmarks"
        world = np.asarray(p["world_mm"])
        assert world.shape == (16, 3)
        np.testing.assert_allclose(world[0], 0.0, atol=1e-9)
        kp = np.asarray(p["keypoints"])
        nearest = min(want, key=lambda q: np.abs(q.keypoints_px - kp).mean())
        # a person's hip-to-head extent is hundreds of mm: the world output is really there, not zeros
        assert np.linalg.norm(nearest.world_mm, axis=1).max() > 300
        diff = np.linalg.norm(world - nearest.world_mm, axis=1)
        assert np.median(diff) < 1.0 and diff.max() < 3.0, f"page vs Python world_mm: {np.round(diff, 2)} mm"


def test_the_page_overlays_blazepose_3d_with_a_toggle(page):
    from PIL import Image

    t = page["res"].get("toggle") or {}
    on, off = t.get("on") or {}, t.get("off") or {}
    assert on.get("exists") and on["label"] == "BlazePose 3D", t
    assert on["checked"] and not on["disabled"] and on["state"]["shown"] and on["legend_shown"], on
    assert "BlazePose 3D" in on["legend_text"]
    assert not off.get("checked") and not off["state"]["shown"] and not off["legend_shown"], off

    def grey(path: Path) -> int:
        img = np.asarray(Image.open(path).convert("RGB")).astype(int)
        return int((np.abs(img - np.array(REFERENCE_RGB)).max(axis=-1) <= 12).sum())

    with_bp, without = grey(page["tmp"] / "upload_3d.png"), grey(page["tmp"] / "upload_3d_off.png")
    assert with_bp > 200 and without < with_bp / 10, (with_bp, without)


def test_video_file_is_lifted_frame_by_frame(page):
    m = page["res"].get("video") or {}
    assert m.get("status") == "done" and m.get("frames", 0) >= 1, (m.get("error"), _why(page["res"]))
    assert (m["width"], m["height"]) == (640, 480) and len(m["people"]) >= 1
    _check_lifting(m, page["model"])
    assert "frames lifted" in m["status_text"] or m["status_text"].startswith("clip.webm")


def test_fake_camera_playing_the_photo(page):
    m = page["res"].get("webcam") or {}
    assert m.get("status") in ("running", "stopped") and m.get("frames", 0) >= 2, (m.get("error"), _why(page["res"]))
    assert (m["width"], m["height"]) == (640, 480)
    assert len(m["people"]) >= 1
    # the left man of the photo: mid-hip near x = 140 of 810 -> ~110 of 640
    hips = [float(np.mean(np.asarray(p["keypoints"])[[23, 24], 0])) for p in m["people"]]
    assert any(60 < x < 160 for x in hips), hips
    _check_lifting(m, page["model"])


def test_stop_webcam_returns_to_playback(page):
    after = page["res"].get("after_stop") or {}
    assert after.get("media_status") == "stopped", after
    assert "webcam stopped" in after["status_text"] and after["button"] == "Webcam"
    assert after["frame_after"] > after["frame_before"], "playback did not resume"


def test_an_untrained_model_gets_a_warning(page):
    """A model worse than always answering the mean pose is not drawn without a word."""
    (check,) = page["res"]["checks"]
    assert check["status"] == "ready", check
    assert check["mpjpe_mm"] > check["baseline_mm"]
    assert check["shown"] and "undertrained" in check["warning"], check
