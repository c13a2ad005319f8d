"""python -m graphsh_tf.lift: photos of real people (tests/photo_assets.py) -> BlazePose -> adapter -> lifter -> JSON /
NPZ and pictures; a video (made here from a photo) -> tracks, smoothing and a GIF; bad files -> one line, exit 2.
The plausibility of the lifted skeletons needs a trained model: ``test_lifted_people_are_plausible`` (slow) trains one
on the motion capture in ../shared (skipped, naming it, when that is absent)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from photo_assets import require_blazepose

ROOT = Path(__file__).resolve().parents[1]
MOCAP = ROOT.parent / "shared" / "datasets" / "bandai-namco-motion-1" / "data"


def run_lift(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "graphsh_tf.lift", *map(str, args)], capture_output=True, text=True,
                          timeout=600, cwd=cwd or ROOT, env=env)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    from test_web_browser import train_tiny_model

    out = tmp_path_factory.mktemp("lift_model")
    _, paths = train_tiny_model(out, variants=("fp32",))
    return paths["fp32"]


@pytest.fixture(scope="module")
def detector_ready():
    require_blazepose()


def test_photo_to_json_and_picture(tiny_model, photos_dir, detector_ready, tmp_path):
    r = run_lift(photos_dir / "zidane.jpg", "--model", tiny_model, "--out", tmp_path / "o")
    assert r.returncode == 0, r.stderr
    doc = json.loads((tmp_path / "o" / "lift.json").read_text())
    assert doc["layout"] == "mediapipe33" and doc["hfov_deg"] == 65.0 and len(doc["frames"]) == 1
    frame = doc["frames"][0]
    assert frame["image_size"] == [1280, 720] and len(frame["persons"]) == 2
    f = 0.5 * 1280 / np.tan(np.deg2rad(65.0) / 2)
    np.testing.assert_allclose(frame["intrinsics"], [f, f, 640, 360], rtol=1e-5)
    for p in frame["persons"]:
        assert np.asarray(p["keypoints_px"]).shape == (33, 2) and np.asarray(p["joints_mm"]).shape == (16, 3)
        assert np.asarray(p["keypoints_h36m16_px"]).shape == (16, 2) and len(p["confidence_h36m16"]) == 16
        root = np.asarray(p["root_mm"])
        assert root[2] > 300                                   # in front of the camera
        np.testing.assert_allclose(p["joints_camera_mm"], np.asarray(p["joints_mm"]) + root, atol=2e-3)
    for stage in ("detector", "landmarks", "adapter", "lifter"):
        assert doc["latency"][stage]["p50_ms"] > 0
        assert stage in r.stdout
    from PIL import Image

    png = Image.open(tmp_path / "o" / "zidane.png")
    assert png.size[0] > png.size[1] > 300                     # the frame beside the 3D view


def test_folder_npz_and_same_numbers_as_the_library(tiny_model, photos_dir, detector_ready, tmp_path):
    r = run_lift(photos_dir, "--model", tiny_model, "--out", tmp_path / "o", "--npz", "--no-pictures")
    assert r.returncode == 0, r.stderr
    z = np.load(tmp_path / "o" / "lift.npz")
    assert list(z["sources"]) == ["bus.jpg", "zidane.jpg"]
    assert z["joints_mm"].shape[1:] == (16, 3) and len(z["joints_mm"]) >= 4 and set(z["frame"]) == {0, 1}
    assert not list((tmp_path / "o").glob("*.png"))
    # the CLI's numbers are the library's: Detector -> Lifter on the same photo, the person given one body
    from graphsh_tf.anatomy import asymmetry, limb_direction_error_deg, one_body
    from graphsh_tf.detect import Detector
    from graphsh_tf.lite.lifter import Lifter
    from graphsh_tf.root import focal_from_fov

    from PIL import Image

    rgb = np.asarray(Image.open(photos_dir / "bus.jpg").convert("RGB"))
    people = Detector()(rgb)
    f = focal_from_fov(810, 65.0)
    lifter = Lifter(str(tiny_model), layout="mediapipe33")
    first = lifter(people[0].keypoints_px, (810, 1080), scores=people[0].scores, intrinsics=(f, f, 405, 540))
    np.testing.assert_allclose(z["joints_mm"][0], one_body(first.joints_mm), atol=2e-3)
    assert np.all(asymmetry(z["joints_mm"]) < 1e-3)                               # left and right bones equal
    assert np.all(limb_direction_error_deg(z["joints_mm"][0], first.joints_mm) < 0.05)   # directions kept


def test_video_tracks_smooths_and_writes_a_gif(tiny_model, photos_dir, detector_ready, tmp_path):
    import cv2

    img = cv2.imread(str(photos_dir / "bus.jpg"))
    clip = tmp_path / "clip.mp4"
    vw = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"mp4v"), 10, (640, 480))
    for i in range(6):          # a slow pan over the two men on the left
        vw.write(cv2.resize(img[300:900, 8 * i:8 * i + 800], (640, 480)))
    vw.release()
    r = run_lift(clip, "--model", tiny_model, "--out", tmp_path / "o", "--max-frames", 5)
    assert r.returncode == 0, r.stderr
    assert "5/5 frames" in r.stderr                      # the progress bar
    doc = json.loads((tmp_path / "o" / "lift.json").read_text())
    assert [f["frame"] for f in doc["frames"]] == [0, 1, 2, 3, 4]
    assert doc["frames"][1]["t"] == pytest.approx(0.1)
    tracks = [sorted(p["track"] for p in f["persons"]) for f in doc["frames"]]
    assert all(t[:2] == [0, 1] for t in tracks), tracks    # the two men keep their track ids
    from PIL import Image

    gif = Image.open(tmp_path / "o" / "clip.gif")
    assert gif.n_frames == 5


def test_bad_inputs_are_one_line_exit_2(tiny_model, tmp_path):
    bad = tmp_path / "photo.jpg"
    bad.write_text("not an image")
    badvid = tmp_path / "clip.mp4"
    badvid.write_text("not a video")
    empty = tmp_path / "empty"
    empty.mkdir()
    for args, needle in [((bad, "--model", tiny_model), "photo.jpg: not a readable image"),
                         ((badvid, "--model", tiny_model), "clip.mp4: not a readable video"),
                         ((empty, "--model", tiny_model), "no images in this folder"),
                         ((tmp_path / "nope.jpg", "--model", tiny_model), "no such file"),
                         ((bad, "--run", tmp_path), "graphsh_fp32.tflite"),
                         ((bad,), "pass --run")]:
        r = run_lift(*args, "--out", tmp_path / "o")
        assert r.returncode == 2, (args, r.stderr)
        lines = [ln for ln in r.stderr.splitlines() if ln.strip() and not ln.startswith("INFO:")]
        assert len(lines) == 1 and needle in lines[0], r.stderr
    assert not (tmp_path / "o").exists()                  # nothing written


def test_missing_detector_models_name_the_install_step(tiny_model, photos_dir, tmp_path):
    env_dir = tmp_path / "empty_cache"
    env_dir.mkdir()
    env = dict(os.environ, PYTHONPATH=str(ROOT), GRAPHSH_TF_MODELS=str(env_dir))
    r = subprocess.run([sys.executable, "-m", "graphsh_tf.lift", str(photos_dir / "bus.jpg"), "--model",
                        str(tiny_model), "--out", str(tmp_path / "o")], capture_output=True, text=True, env=env,
                       timeout=300)
    assert r.returncode == 2 and "python -m graphsh_tf.detect.install" in r.stderr


# --- plausibility with a trained model ----------------------------------------------------------------------------

def _length(j, a, b):
    from graphsh_tf.skeleton import H36M16

    return float(np.linalg.norm(j[H36M16.index(a)] - j[H36M16.index(b)]))


def plausibility(joints_camera_mm: np.ndarray) -> dict:
    """Limb symmetry (whole arm, whole leg: |L - R| / max), the standing order in camera y (down), and the height
    along the skeleton (mean leg + hip -> spine -> thorax -> head), in mm."""
    j = np.asarray(joints_camera_mm, np.float64)
    arm = [_length(j, f"{s}Shoulder", f"{s}Elbow") + _length(j, f"{s}Elbow", f"{s}Wrist") for s in "LR"]
    leg = [_length(j, f"{s}Hip", f"{s}Knee") + _length(j, f"{s}Knee", f"{s}Foot") for s in "LR"]
    from graphsh_tf.skeleton import H36M16

    y = {n: j[H36M16.index(n), 1] for n in H36M16.joint_names}
    return {"arm_asymmetry": abs(arm[0] - arm[1]) / max(arm), "leg_asymmetry": abs(leg[0] - leg[1]) / max(leg),
            "ankles_below_knees": min(y["LFoot"], y["RFoot"]) > max(y["LKnee"], y["RKnee"]),
            "knees_below_hips": min(y["LKnee"], y["RKnee"]) > max(y["LHip"], y["RHip"]),
            "height_mm": float(np.mean(leg)) + _length(j, "Hip", "Spine") + _length(j, "Spine", "Thorax")
            + _length(j, "Thorax", "Head")}


@pytest.mark.slow
def test_lifted_people_are_plausible(photos_dir, detector_ready, tmp_path):
    """A model trained for 4 epochs on real motion capture seen through random phone cameras (dc_preagg 32 x 2, ~2
    min on 2 cores; test MPJPE ~46 mm) lifts the two standing men of bus.jpg to plausible bodies: whole arms and
    legs left vs right within 15 %, ankles below knees below hips in camera space after the root solve, skeleton
    height 1.3-2.1 m, 1-4 m in front of the camera."""
    if not MOCAP.is_dir():
        from photo_assets import skip_or_fail

        skip_or_fail(f"{MOCAP} missing (the motion capture in ../shared/datasets)")
    run = tmp_path / "run"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, "training/fit.py", "--data", f"bvh:{MOCAP}", "--cameras", "phone",
                        "--hid-dim", "32", "--stacks", "2", "--recipe", "fast", "--epochs", "4", "--quiet",
                        "--out", str(run)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, r.stderr[-2000:]
    r = subprocess.run([sys.executable, "tflite/convert.py", str(run), "--variants", "fp32"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    r = run_lift(photos_dir / "bus.jpg", "--run", run, "--out", tmp_path / "o")
    assert r.returncode == 0, r.stderr
    persons = json.loads((tmp_path / "o" / "lift.json").read_text())["frames"][0]["persons"]
    standing = sorted((p for p in persons if p["valid"]),
                      key=lambda p: np.mean(np.asarray(p["keypoints_px"])[[23, 24], 0]))
    assert len(standing) >= 2
    for p in standing[:2]:
        m = plausibility(p["joints_camera_mm"])
        assert m["arm_asymmetry"] <= 0.15 and m["leg_asymmetry"] <= 0.15, m
        assert m["ankles_below_knees"] and m["knees_below_hips"], m
        assert 1300 <= m["height_mm"] <= 2100, m
        assert 1000 <= p["root_mm"][2] <= 4000, p["root_mm"]
